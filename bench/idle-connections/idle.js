#!/usr/bin/env node
'use strict';
// Idle-connection memory benchmark (issue 7): start a server, sign up one user, open N authenticated Socket.IO
// connections over WebSocket from several generator processes and many 127.0.0.x source addresses, hold them
// through heartbeats, and report the server's RSS per connection. Run it once per server, e.g.
//   node idle.js --name raven --cwd /path/to/publish --cmd "dotnet Raven.Server.dll" --env ASPNETCORE_ENVIRONMENT=Production
//   node idle.js --name node-ref --cwd ../../../shared/bench/node-ref --cmd "node server.js" --env BCRYPT_COST=4
// Flags: --n 19000 --procs 4 --addresses 64 --hold 60 --concurrency 100 --server-cpus 0 --gen-cpus 1 --out FILE
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const { spawn, fork, execSync } = require('node:child_process');

function parseArgs(argv) {
  const out = { env: [] };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const value = argv[i + 1];
    i++;
    if (key === 'env') out.env.push(value); else out[key] = value;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const N = Number(args.n || 19000);
const PROCS = Number(args.procs || 4);
const ADDRESSES = Number(args.addresses || 64);
const HOLD_S = Number(args.hold || 60);
const CONCURRENCY = Number(args.concurrency || 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...m) => console.error(`[idle ${new Date().toISOString().slice(11, 19)}]`, ...m);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function listenerPid(port) {
  try {
    const out = execSync(`ss -Hltnp 'sport = :${port}'`, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

function rssKB(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

function cpuSec(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function sampleRss(pid, seconds) {
  const samples = [];
  for (let i = 0; i < seconds * 2; i++) { samples.push(rssKB(pid)); await sleep(500); }
  return median(samples);
}

async function signup(url) {
  const id = Date.now().toString(36);
  const body = (o) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(o) });
  const email = `idle${id}@example.com`;
  const password = 'Bench!Pass123';
  const up = await fetch(`${url}/api/v1/auth/signup`, body({ username: `idle${id}`, email, password }));
  if (up.status >= 300) throw new Error(`signup: HTTP ${up.status} ${await up.text()}`);
  const res = await fetch(`${url}/api/v1/auth/signin`, body({ email, password }));
  const cookie = (res.headers.getSetCookie() || []).map((c) => /accessToken=([^;]+)/.exec(c)).find(Boolean);
  const json = await res.json().catch(() => ({}));
  const token = cookie ? decodeURIComponent(cookie[1]) : (json.data && (json.data.accessToken || json.data.token));
  if (!token) throw new Error('signin returned no token');
  return token;
}

async function main() {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idle-'));
  const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir, DB_PATH: path.join(dataDir, 'chat.db'), JWT_SECRET: 'idle-bench-secret-0123456789abcdef0123456789abcdef' };
  for (const kv of args.env) { const i = kv.indexOf('='); env[kv.slice(0, i)] = kv.slice(i + 1); }
  const pin = args.serverCpus ? ['taskset', '-c', args.serverCpus] : [];
  const argv = [...pin, 'sh', '-c', args.cmd];
  const server = spawn(argv[0], argv.slice(1), { cwd: args.cwd, env, detached: true, stdio: ['ignore', fs.openSync(path.join(dataDir, 'server.log'), 'a'), fs.openSync(path.join(dataDir, 'server.log'), 'a')] });
  const stop = () => { try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ } };
  process.on('exit', stop);
  for (let i = 0; !(await portOpen(port)); i++) {
    if (i > 1200) throw new Error(`server did not listen; see ${dataDir}/server.log`);
    await sleep(100);
  }

  const url = `http://127.0.0.1:${port}`;
  const pid = listenerPid(port) || server.pid;
  const token = await signup(url);
  await sleep(3000);
  const baseline = await sampleRss(pid, 2);
  const cpuBefore = cpuSec(pid);
  log(`${args.name}: pid ${pid}, baseline RSS ${(baseline / 1024).toFixed(1)} MiB; opening ${N} connections from ${PROCS} processes`);

  const started = Date.now();
  const perProc = Math.ceil(N / PROCS);
  const workers = [];
  for (let p = 0; p < PROCS; p++) {
    const count = Math.min(perProc, N - p * perProc);
    const spec = { url, token, count, firstAddress: 2 + p * Math.ceil(ADDRESSES / PROCS), addresses: Math.ceil(ADDRESSES / PROCS), concurrency: CONCURRENCY };
    const execArgv = [];
    const child = args.genCpus
      ? fork(path.join(__dirname, 'worker.js'), [JSON.stringify(spec)], { execPath: 'taskset', execArgv: ['-c', args.genCpus, process.execPath] })
      : fork(path.join(__dirname, 'worker.js'), [JSON.stringify(spec)], { execArgv });
    workers.push(child);
  }

  const connectedMsgs = await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.on('message', (m) => {
      if (m.type === 'connected') resolve(m);
      if (m.type === 'error') reject(new Error(m.message));
    });
    w.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  })));
  const connectSeconds = (Date.now() - started) / 1000;
  const connected = connectedMsgs.reduce((a, m) => a + m.connected, 0);
  const failed = connectedMsgs.reduce((a, m) => a + m.failed, 0);
  const failures = {};
  for (const m of connectedMsgs) for (const [k, v] of Object.entries(m.failures)) failures[k] = (failures[k] || 0) + v;
  log(`${connected} connected, ${failed} failed in ${connectSeconds.toFixed(1)} s`, failed ? JSON.stringify(failures) : '');

  await sleep(2000);
  const afterConnect = await sampleRss(pid, 2);
  log(`holding for ${HOLD_S} s`);
  await sleep(Math.max(0, HOLD_S - 2) * 1000);
  const held = await sampleRss(pid, 2);
  const cpuHold = cpuSec(pid);

  const reports = await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.on('message', (m) => { if (m.type === 'report') resolve(m); });
    w.send({ type: 'report' });
  })));
  const live = reports.reduce((a, m) => a + m.live, 0);
  const disconnects = reports.reduce((a, m) => a + m.disconnects, 0);
  for (const w of workers) w.send({ type: 'close' });
  stop();

  const result = {
    name: args.name, n: N, procs: PROCS, addresses: ADDRESSES, holdSeconds: HOLD_S,
    connected, failed, failures, live, disconnects, connectSeconds,
    connPerSec: connected / connectSeconds,
    rss: { baselineKB: baseline, afterConnectKB: afterConnect, afterHoldKB: held },
    rssPerConnKB: (held - baseline) / Math.max(1, live),
    rssPerConnAfterConnectKB: (afterConnect - baseline) / Math.max(1, connected),
    serverCpuSecConnectAndHold: cpuHold - cpuBefore,
    loadAverage: os.loadavg(),
  };
  log(`${args.name}: ${live}/${N} held, ${disconnects} disconnects, RSS per connection ${result.rssPerConnKB.toFixed(1)} KB (after connect ${result.rssPerConnAfterConnectKB.toFixed(1)} KB), load ${os.loadavg()[0].toFixed(1)}`);
  if (args.out) fs.writeFileSync(args.out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
  await sleep(500);
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
