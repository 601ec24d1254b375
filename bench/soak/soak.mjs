#!/usr/bin/env node
// Soak test: starts the built Raven server on a free port over a fresh DATA_DIR, runs mixed load (connect/disconnect
// churn, WebSocket and polling clients sending acknowledged messages, REST history reads) for --duration seconds,
// samples the server process from /proc every --interval seconds, and writes soak.csv and soak.png to --out.
//
// Pass rule (exit 0): after --warmup seconds, RSS stays within 10% of its post-warm-up baseline (the median of the
// first minute after warm-up, or of the first 10% of that phase if shorter) and open file descriptors do not grow
// (the median of the last 10% of samples is at most the baseline median + max(5, 5%)). Threads are reported too.
//
//   node bench/soak/soak.mjs --duration 3600 --warmup 300 --out bench/soak/results
//   node bench/soak/soak.mjs --duration 180 --warmup 90        # what CI runs (scripts/test.sh)
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lineChartPng } from "./png.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const duration = Number(args.duration ?? 180);
const warmup = Number(args.warmup ?? Math.min(300, Math.round(duration / 3)));
const interval = Number(args.interval ?? 2);
const outDir = resolve(args.out ?? join(root, "artifacts", "soak"));
const serverDll = resolve(args.server ?? join(process.env.RAVEN_ARTIFACTS ?? join(root, "artifacts"), "bin/Raven.Server/release/Raven.Server.dll"));
const load = { steady: Number(args.steady ?? 20), polling: Number(args.polling ?? 5), sendEveryMs: Number(args["send-every-ms"] ?? 500), churnPerSecond: Number(args.churn ?? 5), restPerSecond: Number(args.rest ?? 10) };

const requireFromTests = createRequire(join(root, "tests/js/package.json"));
let io;
try {
  ({ io } = requireFromTests("socket.io-client"));
} catch {
  fail("socket.io-client not found: run `npm ci` in tests/js first");
}
if (!existsSync(serverDll)) fail(`${serverDll} not found: build src/Raven.Server -c Release first`);
if (!existsSync("/proc/self/status")) fail("needs Linux /proc to sample the server");

function fail(message) {
  console.error(`soak: ${message}`);
  process.exit(2);
}

const freePort = () => new Promise((ok) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = join(tmpdir(), `raven-soak-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const server = spawn("dotnet", [serverDll, `--urls=${base}`], {
  env: { ...process.env, ASPNETCORE_ENVIRONMENT: "Production", DATA_DIR: dataDir, JWT_SECRET: "soak-test-secret-soak-test-secret-0123", PASSWORD_HASH_ITERATIONS: "10000", Logging__LogLevel__Default: "Warning" },
  stdio: ["ignore", "pipe", "pipe"],
});
let serverLog = "";
server.stdout.on("data", (d) => { serverLog = (serverLog + d).slice(-20000); });
server.stderr.on("data", (d) => { serverLog = (serverLog + d).slice(-20000); });
const cleanup = () => { try { server.kill("SIGKILL"); } catch {} rmSync(dataDir, { recursive: true, force: true }); };
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/healthz/ready`)).ok) break; } catch {}
  if (i > 600 || server.exitCode !== null) fail(`server did not become ready:\n${serverLog}`);
  await sleep(100);
}

async function api(path, { method = "GET", body, cookie } = {}) {
  const response = await fetch(base + path, { method, headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, cookies: response.headers.getSetCookie?.() ?? [] };
}

async function user(n) {
  const username = `soak${n}x${process.pid}`;
  const email = `${username}@example.com`;
  const signup = await api("/api/v1/auth/signup", { method: "POST", body: { username, email, password: "Passw0rd!" } });
  if (signup.status !== 201) fail(`signup failed: ${signup.status} ${JSON.stringify(signup.body)}`);
  const signin = await api("/api/v1/auth/signin", { method: "POST", body: { email, password: "Passw0rd!" } });
  const cookie = signin.cookies.map((c) => c.split(";")[0]).join("; ");
  const token = /accessToken=([^;]+)/.exec(cookie)[1];
  return { id: signup.body.data.id, cookie, token };
}

const users = [];
for (let i = 0; i < 8; i++) users.push(await user(i));
const conversation = await api("/api/v1/conversations", { method: "POST", cookie: users[0].cookie, body: { name: "soak", type: "group", userIds: users.slice(1).map((u) => u.id) } });
const conversationId = conversation.body.data.id;

const stats = { acked: 0, sendErrors: 0, churned: 0, churnErrors: 0, restReads: 0, restErrors: 0 };
let running = true;
const timers = [];

function connect(u, transports) {
  return io(base, { auth: { token: u.token }, transports, forceNew: true, reconnection: true, reconnectionDelay: 500 });
}

// Steady senders (WebSocket) and polling clients: one acknowledged send_message per period each.
const steady = [];
for (let i = 0; i < load.steady + load.polling; i++) {
  const polling = i >= load.steady;
  const socket = connect(users[i % users.length], polling ? ["polling"] : ["websocket"]);
  socket.on("connect", () => socket.emit("join_conversation", { conversation_id: conversationId }));
  steady.push(socket);
  const period = polling ? load.sendEveryMs * 4 : load.sendEveryMs;
  timers.push(setInterval(() => {
    if (!socket.connected) return;
    socket.timeout(10_000).emit("send_message", { conversation_id: conversationId, text: `soak ${i} ${Date.now()}` }, (err, reply) => {
      if (err || !reply?.ok) stats.sendErrors++; else stats.acked++;
    });
  }, period + (i % 7) * 13));
}

// Churn: short-lived sockets that connect, send one heartbeat and leave.
timers.push(setInterval(() => {
  const socket = connect(users[stats.churned % users.length], stats.churned % 3 === 0 ? ["polling", "websocket"] : ["websocket"]);
  const giveUp = setTimeout(() => { stats.churnErrors++; socket.close(); }, 10_000);
  socket.on("connect", () => socket.timeout(5000).emit("heartbeat", { timestamp: Date.now() }, () => { clearTimeout(giveUp); stats.churned++; socket.close(); }));
}, 1000 / load.churnPerSecond));

// REST reads: history pages and the conversation list.
timers.push(setInterval(async () => {
  try {
    const u = users[stats.restReads % users.length];
    const path = stats.restReads % 2 ? "/api/v1/conversations" : `/api/v1/messages/conversation/${conversationId}?limit=50`;
    const r = await api(path, { cookie: u.cookie });
    if (r.status === 200) stats.restReads++; else stats.restErrors++;
  } catch { stats.restErrors++; }
}, 1000 / load.restPerSecond));

// Sampling from /proc.
const ticks = 100; // USER_HZ on Linux
const samples = [];
const started = Date.now();
let lastCpu = null;
function sample() {
  const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const threads = Number(/Threads:\s+(\d+)/.exec(status)[1]);
  const fields = readFileSync(`/proc/${server.pid}/stat`, "utf8").split(") ")[1].split(" ");
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const fds = readdirSync(`/proc/${server.pid}/fd`).length;
  const t = (Date.now() - started) / 1000;
  const cpu = lastCpu ? ((cpuTicks - lastCpu.ticks) / ticks / (t - lastCpu.t)) * 100 : 0;
  lastCpu = { ticks: cpuTicks, t };
  samples.push({ t: Math.round(t * 10) / 10, rssMb: Math.round(rssKb / 102.4) / 10, cpu: Math.round(cpu * 10) / 10, fds, threads, ...stats });
}
sample();
const sampler = setInterval(() => { try { sample(); } catch (e) { console.error(`soak: sampling failed: ${e.message}`); running = false; } }, interval * 1000);
const progress = setInterval(() => {
  const s = samples.at(-1);
  console.log(`soak: t=${s.t}s rss=${s.rssMb}MB cpu=${s.cpu}% fds=${s.fds} threads=${s.threads} acked=${s.acked} sendErrors=${s.sendErrors} churned=${s.churned} rest=${s.restReads}`);
}, 30_000);

while (running && (Date.now() - started) / 1000 < duration && server.exitCode === null) await sleep(200);
clearInterval(sampler); clearInterval(progress);
timers.forEach(clearInterval);
steady.forEach((s) => s.close());
const serverDied = server.exitCode !== null;

// Verdict.
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
const after = samples.filter((s) => s.t >= warmup);
const baselineWindow = Math.max(3, Math.min(Math.round(60 / interval), Math.round(after.length / 10)));
const baseline = after.slice(0, baselineWindow);
const tail = after.slice(-Math.max(3, Math.round(after.length / 10)));
const rssBase = median(baseline.map((s) => s.rssMb));
const rssMax = Math.max(...after.map((s) => s.rssMb));
const rssMin = Math.min(...after.map((s) => s.rssMb));
const fdBase = median(baseline.map((s) => s.fds));
const fdTail = median(tail.map((s) => s.fds));
const threadBase = median(baseline.map((s) => s.threads));
const threadTail = median(tail.map((s) => s.threads));
const checks = [
  [after.length >= 6, `enough samples after warm-up (${after.length})`],
  [!serverDied, `server stayed up${serverDied ? ` (exited ${server.exitCode}):\n${serverLog}` : ""}`],
  [rssMax <= rssBase * 1.1 && rssMin >= rssBase * 0.9, `RSS within 10% of baseline ${rssBase} MB after warm-up (min ${rssMin}, max ${rssMax})`],
  [fdTail <= fdBase + Math.max(5, fdBase * 0.05), `open fds do not grow (baseline median ${fdBase}, last-10% median ${fdTail})`],
  [stats.acked > 0 && stats.churned > 0 && stats.restReads > 0, `load ran (acked ${stats.acked}, churned ${stats.churned}, REST reads ${stats.restReads})`],
];

const header = "t_s,rss_mb,cpu_pct,fds,threads,acked,send_errors,churned,churn_errors,rest_reads,rest_errors";
writeFileSync(join(outDir, "soak.csv"), [header, ...samples.map((s) => [s.t, s.rssMb, s.cpu, s.fds, s.threads, s.acked, s.sendErrors, s.churned, s.churnErrors, s.restReads, s.restErrors].join(","))].join("\n") + "\n");
const xs = samples.map((s) => s.t);
writeFileSync(join(outDir, "soak.png"), lineChartPng([
  { title: "RSS (MB)", x: xs, y: samples.map((s) => s.rssMb), marker: warmup, color: [30, 90, 200] },
  { title: "CPU (%)", x: xs, y: samples.map((s) => s.cpu), marker: warmup, color: [200, 60, 40] },
  { title: "OPEN FDS", x: xs, y: samples.map((s) => s.fds), marker: warmup, color: [40, 150, 60] },
  { title: "THREADS", x: xs, y: samples.map((s) => s.threads), marker: warmup, color: [120, 60, 160] },
]));
console.log(`soak: ${duration}s (warm-up ${warmup}s), ${samples.length} samples; threads ${threadBase} -> ${threadTail}; send errors ${stats.sendErrors}, churn errors ${stats.churnErrors}, REST errors ${stats.restErrors}`);
for (const [ok, text] of checks) console.log(`soak: ${ok ? "PASS" : "FAIL"} ${text}`);
console.log(`soak: wrote ${join(outDir, "soak.csv")} and ${join(outDir, "soak.png")}`);
process.exitCode = checks.every(([ok]) => ok) ? 0 : 1;
setTimeout(() => process.exit(), 500).unref();
