'use strict';
// One generator process: opens its share of the connections (WebSocket only, authenticated with the token it
// was given), each from one of several 127.0.0.x source addresses, keeps them idle (the client answers the
// server's pings), and reports to the parent. Messages: {type:'connected'|'progress'|'report'}.
const { io } = require('socket.io-client');

const { url, token, count, firstAddress, addresses, concurrency } = JSON.parse(process.argv[2]);
const sockets = [];
let connected = 0;
let failed = 0;
let disconnects = 0;
const failures = new Map();

function open(i) {
  return new Promise((resolve) => {
    const localAddress = `127.0.0.${firstAddress + (i % addresses)}`;
    const socket = io(url, {
      auth: { token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 60000,
      localAddress,
    });
    let settled = false;
    socket.once('connect', () => {
      if (!settled) { settled = true; connected++; resolve(); }
    });
    socket.once('connect_error', (err) => {
      if (!settled) {
        settled = true;
        failed++;
        const key = String(err && err.message).slice(0, 80);
        failures.set(key, (failures.get(key) || 0) + 1);
        resolve();
      }
    });
    socket.on('disconnect', (reason) => {
      if (settled) { disconnects++; return; }
      // Closed before CONNECT was answered (e.g. a pending-session limit): count it, do not wait forever.
      settled = true;
      failed++;
      const key = `disconnect before connect: ${reason}`;
      failures.set(key, (failures.get(key) || 0) + 1);
      resolve();
    });
    sockets.push(socket);
  });
}

async function main() {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      await open(i);
      if ((connected + failed) % 500 === 0) process.send({ type: 'progress', connected, failed });
    }
  });
  await Promise.all(runners);
  process.send({ type: 'connected', connected, failed, failures: Object.fromEntries(failures) });
}

process.on('message', (msg) => {
  if (msg.type === 'report') {
    const live = sockets.filter((s) => s.connected).length;
    process.send({ type: 'report', live, disconnects, connected, failed });
  } else if (msg.type === 'close') {
    for (const s of sockets) s.close();
    setTimeout(() => process.exit(0), 200);
  }
});

main().catch((err) => { process.send({ type: 'error', message: String(err) }); process.exit(1); });
