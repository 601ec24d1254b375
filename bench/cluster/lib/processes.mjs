// Processes the cluster benchmark starts (redis-server, server nodes) and what it reads about them from /proc.
// Every process runs in its own process group (detached), so stopping it by its PID ends exactly what we started.
import { spawn, execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const CLK_TCK = (() => {
  try { return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100; } catch { return 100; }
})();

export const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

export const portOpen = (port) => new Promise((resolve) => {
  const s = connect({ host: "127.0.0.1", port });
  const done = (ok) => { s.destroy(); resolve(ok); };
  s.once("connect", () => done(true));
  s.once("error", () => done(false));
  s.setTimeout(1000, () => done(false));
});

const isAlive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
}

/** utime + stime of all threads of pid in seconds, or null when it is gone. */
export function cpuSeconds(pid) {
  try { const f = statFields(pid); return (Number(f[11]) + Number(f[12])) / CLK_TCK; } catch { return null; }
}

const processGroup = (pid) => { try { return Number(statFields(pid)[2]); } catch { return null; } };

/** PID of the process in process group `pgid` that listens on 127.0.0.1/any `port`, or null. */
export function listenerInGroup(port, pgid) {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines = [];
    try { lines = readFileSync(file, "utf8").split("\n").slice(1); } catch { continue; }
    for (const line of lines) {
      const c = line.trim().split(/\s+/);
      if (c.length > 9 && c[3] === "0A" && c[1].endsWith(`:${hex}`)) inodes.add(`socket:[${c[9]}]`);
    }
  }
  if (!inodes.size) return null;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || processGroup(entry) !== pgid) continue;
    let fds = [];
    try { fds = readdirSync(`/proc/${entry}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (inodes.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return Number(entry); } catch { /* closed */ }
    }
  }
  return null;
}

/**
 * Starts argv (pinned with taskset when cpus is set) in its own process group, logging to logFile, and waits until
 * its output matches `ready` and `port` accepts. Resolves with { pid, measuredPid, stop }; measuredPid is the
 * process of that group that owns the listening socket (a `sh -c` wrapper is not measured).
 */
export async function startProcess({ name, argv, cwd, env, cpus, port, ready, logFile, timeoutS = 120 }) {
  if (await portOpen(port)) throw new Error(`${name}: port ${port} is already in use`);
  const full = cpus ? ["taskset", "-c", String(cpus), ...argv] : argv;
  const logFd = openSync(logFile, "a");
  const child = spawn(full[0], full.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let seen = false;
  let exited = null;
  const onData = (buf) => { writeSync(logFd, buf); if (!seen && ready.test(buf.toString("utf8"))) seen = true; };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.on("exit", (code, signal) => { exited = { code, signal }; });
  child.on("error", (err) => { exited = { error: err.message }; });
  const stop = async () => {
    await stopGroup(child.pid, () => exited);
    try { closeSync(logFd); } catch { /* closed */ }
  };
  const deadline = Date.now() + timeoutS * 1000;
  while (!(seen && await portOpen(port))) {
    if (exited) { await stop(); throw new Error(`${name} exited during start-up (${JSON.stringify(exited)}); log ${logFile}`); }
    if (Date.now() > deadline) { await stop(); throw new Error(`${name} not ready within ${timeoutS}s; log ${logFile}`); }
    await sleep(100);
  }
  return { name, pid: child.pid, measuredPid: listenerInGroup(port, child.pid) ?? child.pid, stop };
}

// SIGTERM the group we created, SIGKILL it after 10 s.
async function stopGroup(pid, exitedFn) {
  const kill = (sig) => { try { process.kill(-pid, sig); } catch { /* gone */ } };
  kill("SIGTERM");
  for (let i = 0; i < 100 && !exitedFn() && isAlive(pid); i++) await sleep(100);
  kill("SIGKILL");
  for (let i = 0; i < 30 && !exitedFn() && isAlive(pid); i++) await sleep(100);
}

const harnessGroups = new Set();

/** Ends the process group of every harness still running (on SIGINT/SIGTERM of this process). */
export function killRunningChildren() {
  for (const pid of harnessGroups) { try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ } }
}

/** Runs the harness (pinned), forwarding its stderr line by line to onLine; resolves with its last stdout JSON line. */
export function runChild({ argv, cwd, cpus, timeoutS, onLine }) {
  return new Promise((resolve) => {
    const full = cpus ? ["taskset", "-c", String(cpus), ...argv] : argv;
    const child = spawn(full[0], full.slice(1), { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    harnessGroups.add(child.pid);
    let stdout = "";
    let partial = "";
    child.stdout.on("data", (b) => { stdout += b.toString("utf8"); });
    child.stderr.on("data", (b) => {
      process.stderr.write(b);
      const lines = (partial + b.toString("utf8")).split("\n");
      partial = lines.pop();
      for (const line of lines) onLine(line);
    });
    const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, timeoutS * 1000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      harnessGroups.delete(child.pid);
      try { resolve(JSON.parse(stdout.trim().split("\n").pop())); } catch { resolve({ error: `harness exited ${code} without JSON` }); }
    });
    child.on("error", (err) => { clearTimeout(timer); resolve({ error: err.message }); });
  });
}

/** Pins this process (all its threads) to cpus, so the in-process proxy shares the generator's cores. */
export function pinSelf(cpus) {
  execFileSync("taskset", ["-a", "-c", "-p", String(cpus), String(process.pid)], { stdio: "ignore" });
}
