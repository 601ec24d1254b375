#!/usr/bin/env node
// Cross-node cost: two Raven nodes vs two node-ref nodes, each pair on its own redis-server and one shared database,
// measured with the chat-bench harness (../shared/bench/harness run.js) through a round-robin TCP proxy in this
// process. Rounds run A B A B ...; prints a per-round table and the median B/A ratios; full JSON goes to --out.
//
//   node bench/cluster/cluster.mjs --b-cwd /tmp/raven-cluster --rounds 3 -- --n 1000 --k 10 --rate 2 --duration 15
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startCpuSampler } from "./lib/cpu-window.mjs";
import { killRunningChildren, pinSelf, runChild, sleep, startProcess, freePort } from "./lib/processes.mjs";
import { startProxy } from "./lib/proxy.mjs";
import { roundMetrics, summarize } from "./lib/report.mjs";

const HELP = `usage: node bench/cluster/cluster.mjs --b-cwd RAVEN_PUBLISH_DIR [flags] [-- run.js flags]
  --a CMD / --b CMD          commands of one node                       [node server.js / dotnet Raven.Server.dll]
  --a-cwd DIR / --b-cwd DIR  their working directories                  [/tmp/bench/node-ref / required]
  --a-name / --b-name        labels                                     [node-ref / raven]
  --env K=V                  extra env for every node (repeatable)
  --a-env K=V / --b-env K=V  extra env for one side's nodes (repeatable) [A: BCRYPT_COST=4;
                             B: PASSWORD_HASH_ITERATIONS=10000 ASPNETCORE_ENVIRONMENT=Production]
  --harness DIR              chat-bench harness with node_modules       [/tmp/bench/harness]
  --scenario S               fanout | bigroom                           [fanout]
  --rounds N                 A/B rounds                                 [3]
  --jwt-secret S             JWT_SECRET of all nodes (>= 32 bytes)      [bench-secret-...]
  --server-cpus L            taskset CPUs of both nodes and redis       [0]
  --gen-cpus L               taskset CPUs of the harness and this process (the proxy) [1]
  --no-pin                   pin nothing
  --redis-server PATH        redis-server binary                        [redis-server]
  --ready-pattern RE         node output that means ready (case-insensitive) [listening]
  --start-timeout S / --run-timeout S / --cooldown S                    [120 / 1200 / 3]
  --keep-data                keep each run's temp dir (database, logs)
  --out FILE                 full JSON                      [bench/cluster/results/cluster-<time>.json]
run.js flags default to: --n 1000 --k 10 --rate 2 --duration 15 (websocket transport is always used).`;

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const out = { env: [], aEnv: [], bEnv: [], rest: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") { out.rest = argv.slice(i + 1); break; }
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const key = arg.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (["help", "keepData"].includes(key)) { out[key] = true; continue; }
    if (key === "noPin") { out.pin = false; continue; }
    if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
    if (Array.isArray(out[key])) out[key].push(argv[++i]); else out[key] = argv[++i];
  }
  return out;
}

const envList = (list) => Object.fromEntries(list.map((kv) => {
  const at = kv.indexOf("=");
  if (at <= 0) throw new Error(`bad env ${kv} (want KEY=VALUE)`);
  return [kv.slice(0, at), kv.slice(at + 1)];
}));

const args = parseArgs(process.argv.slice(2));
if (args.help || !args.bCwd) { process.stderr.write(`${HELP}\n`); process.exit(args.help ? 0 : 64); }
const scenario = args.scenario ?? "fanout";
if (!["fanout", "bigroom"].includes(scenario)) { process.stderr.write("--scenario is fanout or bigroom\n"); process.exit(64); }
const harnessDir = resolve(args.harness ?? "/tmp/bench/harness");
if (!existsSync(join(harnessDir, "run.js")) || !existsSync(join(harnessDir, "node_modules", "socket.io-client"))) {
  process.stderr.write(`${harnessDir} has no run.js or no node_modules: copy ../shared/bench and run npm ci in the copy\n`);
  process.exit(2);
}
const rounds = Number(args.rounds ?? 3);
const pin = args.pin !== false;
const serverCpus = pin ? String(args.serverCpus ?? "0") : null;
const genCpus = pin ? String(args.genCpus ?? "1") : null;
const serverCores = serverCpus ? countCpus(serverCpus) : availableParallelism();
const jwtSecret = args.jwtSecret ?? "bench-secret-0123456789abcdef0123456789abcdef";
if (Buffer.byteLength(jwtSecret) < 32) { process.stderr.write("--jwt-secret must be at least 32 bytes\n"); process.exit(64); }
const runArgs = [scenario, "--transport", "websocket", ...(args.rest ?? ["--n", "1000", "--k", "10", "--rate", "2", "--duration", "15"])];
const common = envList(args.env);
const sides = [
  { key: "A", name: args.aName ?? "node-ref", cmd: args.a ?? "node server.js", cwd: resolve(args.aCwd ?? "/tmp/bench/node-ref"), env: { BCRYPT_COST: "4", ...common, ...envList(args.aEnv) } },
  { key: "B", name: args.bName ?? "raven", cmd: args.b ?? "dotnet Raven.Server.dll", cwd: resolve(args.bCwd), env: { PASSWORD_HASH_ITERATIONS: "10000", ASPNETCORE_ENVIRONMENT: "Production", ...common, ...envList(args.bEnv) } },
];
for (const side of sides) {
  if (!existsSync(side.cwd)) { process.stderr.write(`${side.name}: working directory ${side.cwd} does not exist\n`); process.exit(64); }
}
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const outFile = resolve(args.out ?? join(here, "results", `cluster-${stamp}.json`));
const log = (s) => process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function countCpus(list) {
  return list.split(",").reduce((n, part) => { const [a, b] = part.split("-").map(Number); return n + (b === undefined ? 1 : b - a + 1); }, 0);
}

let cleanupCurrent = null;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => { log(`${signal}: stopping what this run started`); killRunningChildren(); if (cleanupCurrent) await cleanupCurrent(); process.exit(130); });
}

const tail = (file) => { try { return readFileSync(file, "utf8").split("\n").slice(-15).join("\n"); } catch { return ""; } };

async function runSide(side, roundNo) {
  const dir = mkdtempSync(join(tmpdir(), `raven-cluster-${side.key}-r${roundNo}-`));
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const started = [];
  let proxy = null;
  let sampler = null;
  let cleaning = null;
  const cleanup = () => (cleaning ??= (async () => { // once, whether the run ends or a signal arrives
    sampler?.stop();
    await proxy?.close();
    for (const p of started.reverse()) await p.stop();
    if (!args.keepData) rmSync(dir, { recursive: true, force: true });
  })());
  cleanupCurrent = cleanup;
  try {
    const redisPort = await freePort();
    const redis = await startProcess({
      name: "redis-server", cwd: dir, env: process.env, cpus: serverCpus, port: redisPort, ready: /ready to accept connections/i,
      argv: [args.redisServer ?? "redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      logFile: join(dir, "redis.log"), timeoutS: 30,
    });
    started.push(redis);
    const nodes = [];
    for (const n of [1, 2]) { // one after the other: the second finds the schema the first created
      const port = await freePort();
      const env = { ...process.env, PORT: String(port), JWT_SECRET: jwtSecret, REDIS_URL: `redis://127.0.0.1:${redisPort}`, DATA_DIR: dataDir, DB_PATH: join(dataDir, "chat.db"), ...side.env };
      const logFile = join(dir, `node${n}.log`);
      try {
        const node = await startProcess({ name: `${side.name} node ${n}`, argv: ["sh", "-c", side.cmd], cwd: side.cwd, env, cpus: serverCpus, port, ready: new RegExp(args.readyPattern ?? "listening", "i"), logFile, timeoutS: Number(args.startTimeout ?? 120) });
        started.push(node);
        nodes.push({ ...node, port });
      } catch (err) { throw new Error(`${err.message}${args.keepData ? "" : " (removed; --keep-data keeps it)"}; its last lines:\n${tail(logFile)}`); }
    }
    proxy = await startProxy(nodes.map((n) => n.port));
    log(`round ${roundNo} ${side.key}=${side.name}: redis :${redisPort} pid ${redis.measuredPid}; nodes :${nodes[0].port} pid ${nodes[0].measuredPid}, :${nodes[1].port} pid ${nodes[1].measuredPid}; proxy :${proxy.port} (in this process); shared data ${dataDir}`);
    sampler = startCpuSampler({ node1: nodes[0].measuredPid, node2: nodes[1].measuredPid, redis: redis.measuredPid });
    let sendMark = null;
    const runTimeout = Number(args.runTimeout ?? 1200);
    const harness = await runChild({
      argv: [process.execPath, join(harnessDir, "run.js"), ...runArgs, "--url", `http://127.0.0.1:${proxy.port}`, "--server-pid", String(nodes[0].measuredPid), "--label", `${side.name} cluster r${roundNo}`, "--max-seconds", String(runTimeout)],
      cwd: harnessDir, cpus: genCpus, timeoutS: runTimeout + 30,
      onLine: (line) => { if (sendMark === null && /\] send: /.test(line)) sendMark = sampler.mark(); },
    });
    sampler.stop();
    const m = harness.messages;
    if (harness.error || !m || sendMark === null) throw new Error(harness.error ?? "the harness reported no send phase");
    // The harness's own CPU window for node 1 runs from its "send:" line to the end of the drain; use the same one.
    const windowMs = m.window.wallSec * 1000 + m.drainMs + 250;
    const cpu = sampler.between(sendMark, sendMark + windowMs);
    const placement = proxy.stats();
    const metrics = roundMetrics(harness, cpu, windowMs / 1000, serverCores, placement);
    const windowCheck = { node1CpuSecHere: metrics.node1CpuSec, node1CpuSecHarness: harness.server?.cpuSecSendPhase ?? null };
    const crossNodeDeliveries = placement.crossNodePairShare === null ? null : Math.round(placement.crossNodePairShare * (m.uniqueDeliveries ?? 0));
    log(`round ${roundNo} ${side.name}: ${metrics.deliveriesPerSec} deliveries/s, p99 ${metrics.p99Ms} ms, lost ${metrics.lost}, dup ${metrics.duplicates}, `
      + `nodes ${metrics.nodesCpuSec} CPU-s (${metrics.cpuSecPer1000Deliveries}/1000 deliveries), redis ${metrics.redisCpuSec} CPU-s; `
      + `rooms spanning both nodes ${metrics.roomsSpanningNodes}, ~${crossNodeDeliveries} deliveries crossed nodes; `
      + `node-1 CPU here ${windowCheck.node1CpuSecHere} s vs harness ${windowCheck.node1CpuSecHarness} s`);
    return { side: side.key, name: side.name, round: roundNo, metrics, placement, crossNodeDeliveries, windowCheck, windowSec: windowMs / 1000, harness };
  } catch (err) {
    log(`round ${roundNo} ${side.name}: ERROR ${err.message}`);
    return { side: side.key, name: side.name, round: roundNo, error: err.message.split("\n")[0], detail: err.message };
  } finally {
    await cleanup();
    cleanupCurrent = null;
  }
}

if (pin) pinSelf(genCpus);
log(`${scenario}, ${rounds} round(s); ${pin ? `nodes + redis on CPU ${serverCpus}, harness + proxy on CPU ${genCpus}` : "not pinned"}; run.js ${runArgs.join(" ")}`);
const runs = [];
for (let r = 1; r <= rounds; r++) {
  for (const side of sides) {
    runs.push(await runSide(side, r));
    await sleep(Number(args.cooldown ?? 3) * 1000);
  }
}
const { medians, ratios, text } = summarize(runs, sides);
process.stderr.write(`${text}\n`);
process.stderr.write("(the round-robin proxy is one extra hop in this process, on the generator's CPU, shared by both sides)\n");
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, `${JSON.stringify({
  tool: "raven-cluster-bench", scenario, rounds, pinned: pin, serverCpus, genCpus, runArgs, loadavgEnd: loadavg(),
  topology: "per side and round: 1 redis-server, 2 nodes (same JWT_SECRET, REDIS_URL, shared SQLite: DB_PATH for node-ref, DATA_DIR for Raven), 1 round-robin TCP proxy in this process",
  sides: sides.map(({ key, name, cmd, cwd, env }) => ({ key, name, cmd, cwd, env })), medians, ratiosBoverA: ratios, runs,
}, null, 2)}\n`);
log(`full results: ${outFile}`);
process.exit(runs.some((r) => r.error) ? 1 : 0);
