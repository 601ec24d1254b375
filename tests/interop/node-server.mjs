// A Node socket.io 4.8 server on @socket.io/redis-adapter 8.3 (and a @socket.io/redis-emitter 5.1), driven by the
// Raven.SocketIO.Redis interop tests through POST /control on the same port. Environment: PORT, REDIS_URL.
// Binary values cross the control channel as {"$binary": "<base64>"}. Prints "listening <port>" when ready.
import http from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";

const port = Number(process.env.PORT);
const url = process.env.REDIS_URL;

const pub = createClient({ url });
const sub = pub.duplicate();
const emitterClient = pub.duplicate();
for (const c of [pub, sub, emitterClient]) c.on("error", () => {});
await Promise.all([pub.connect(), sub.connect(), emitterClient.connect()]);

const decode = (v) => {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === "object") {
    if (typeof v.$binary === "string") return Buffer.from(v.$binary, "base64");
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
};
const encode = (v) => {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return { $binary: Buffer.from(v).toString("base64") };
  if (Array.isArray(v)) return v.map(encode);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encode(x)]));
  return v;
};

const serverSideEvents = [];
const target = (cmd) => {
  let op = io.of(cmd.nsp ?? "/");
  if (cmd.timeout !== undefined) op = op.timeout(cmd.timeout);
  for (const r of cmd.rooms ?? []) op = op.to(r);
  for (const r of cmd.except ?? []) op = op.except(r);
  return op;
};

const commands = {
  emit: (cmd) => { target(cmd).emit(cmd.event, ...decode(cmd.args ?? [])); return null; },
  emitWithAck: (cmd) => new Promise((resolve) => {
    target(cmd).emit(cmd.event, ...decode(cmd.args ?? []), (err, responses) => resolve({ error: err?.message ?? null, responses: encode(responses) }));
  }),
  fetch: async (cmd) => (await target(cmd).fetchSockets()).map((s) => ({
    id: s.id, rooms: [...s.rooms], data: encode(s.data), handshake: { query: s.handshake.query, auth: s.handshake.auth, address: s.handshake.address, url: s.handshake.url, issued: s.handshake.issued },
  })),
  join: async (cmd) => { await target(cmd).socketsJoin(cmd.room); return null; },
  leave: async (cmd) => { await target(cmd).socketsLeave(cmd.room); return null; },
  disconnect: async (cmd) => { await target(cmd).disconnectSockets(!!cmd.close); return null; },
  serverSideEmit: (cmd) => { io.of(cmd.nsp ?? "/").serverSideEmit(cmd.event, ...decode(cmd.args ?? [])); return null; },
  serverSideEmitWithAck: (cmd) => new Promise((resolve) => {
    io.of(cmd.nsp ?? "/").serverSideEmit(cmd.event, ...decode(cmd.args ?? []), (err, responses) => resolve({ error: err?.message ?? null, responses: encode(responses) }));
  }),
  serverSideEvents: () => serverSideEvents,
  serverCount: () => io.of("/").adapter.serverCount(),
  emitter: (cmd) => {
    let op = emitter.of(cmd.nsp ?? "/");
    for (const r of cmd.rooms ?? []) op = op.to(r);
    op.emit(cmd.event, ...decode(cmd.args ?? []));
    return null;
  },
};

const httpServer = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/control") return; // socket.io handles its own path
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    try {
      const cmd = JSON.parse(body);
      const result = await commands[cmd.cmd](cmd);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ result: result ?? null }));
    } catch (e) {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(e?.stack ?? e) }));
    }
  });
});

const io = new Server(httpServer, { adapter: createAdapter(pub, sub, { requestsTimeout: 3000 }) });
const emitter = new Emitter(emitterClient);

io.on("connection", (socket) => {
  socket.data = { runtime: "node", name: socket.handshake.query.name ?? null };
  if (socket.handshake.query.room) socket.join(socket.handshake.query.room);
  socket.on("join", (room, ack) => { socket.join(room); ack?.("joined"); });
});
for (const event of ["from-raven", "from-raven-2"]) {
  io.on(event, (...args) => serverSideEvents.push({ event, args: encode(args) }));
}
// Answers a server-side emit with acks (only the first argument of the callback reaches the sender).
io.on("ask-node", (question, callback) => callback({ runtime: "node", question }));

httpServer.listen(port, "127.0.0.1", () => console.log(`listening ${port}`));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
