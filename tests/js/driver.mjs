// Test driver for the official socket.io-client / engine.io-client, spawned by Raven.Testing.NodeDriver.
//
// Protocol: JSON lines. stdin carries commands {id, cmd, ...}; stdout carries
//   {type:"result", id, ok:true, result}  or  {type:"result", id, ok:false, error}
//   {type:"event", client, name, args, seq}
// Buffers travel as {"$binary":"<base64>"} in both directions. Anything written to stderr is diagnostics only.
// A bad command answers ok:false and never takes the process down: the C# side owns its lifetime
// (it closes stdin or kills the process tree).

import { createInterface } from "node:readline";
import { io, Manager } from "socket.io-client";
import { Socket as EngineSocket } from "engine.io-client";

const clients = new Map(); // id -> { kind: "sio" | "eio" | "manager", obj, replies?: Map }
let seq = 0;
let nextAutoId = 1;

function write(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

// Outgoing (to C#): buffers become {$binary}, errors become plain objects, functions are dropped.
function encode(v, depth = 0) {
  if (depth > 64) return "[too deep]";
  if (v === undefined) return null;
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "function") return undefined;
  if (isBinary(v)) return { $binary: toBuffer(v).toString("base64") };
  if (v instanceof Error) {
    const e = { message: v.message };
    if (v.data !== undefined) e.data = encode(v.data, depth + 1);
    if (v.description !== undefined) e.description = describe(v.description);
    if (v.type !== undefined) e.type = v.type;
    if (v.context !== undefined) e.context = describe(v.context);
    return e;
  }
  if (Array.isArray(v)) return v.filter((x) => typeof x !== "function").map((x) => encode(x, depth + 1));
  if (typeof v === "object") {
    // Class instances (transports, XHRs, close events) can be huge or cyclic: keep their scalar essentials only.
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return describe(v);
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === "function") continue;
      o[k] = encode(x, depth + 1);
    }
    return o;
  }
  return String(v);
}

// Close/error descriptions are often Events, Errors or XHR objects with cycles; keep only what a test can assert on.
function describe(d) {
  if (d === undefined || d === null) return null;
  if (typeof d === "string" || typeof d === "number") return d;
  if (d instanceof Error) return { message: d.message };
  const o = {};
  for (const k of ["message", "code", "reason", "type", "status", "statusCode"]) {
    if (d[k] !== undefined && typeof d[k] !== "object" && typeof d[k] !== "function") o[k] = d[k];
  }
  if (d.error instanceof Error) o.error = d.error.message;
  return o;
}

// Incoming (from C#): {$binary} objects become Buffers.
function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$binary" && typeof v.$binary === "string") {
      return Buffer.from(v.$binary, "base64");
    }
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = decode(x);
    return o;
  }
  return v;
}

function event(client, name, args) {
  write({ type: "event", client, name, args: encode(args ?? []), seq: ++seq });
}

function get(id, kind) {
  const c = clients.get(id);
  if (!c) throw new Error(`unknown client '${id}'`);
  if (kind && c.kind !== kind) throw new Error(`client '${id}' is a ${c.kind}, not a ${kind}`);
  return c;
}

function newId(requested, prefix) {
  const id = requested ?? `${prefix}${nextAutoId++}`;
  if (clients.has(id)) throw new Error(`client id '${id}' already in use`);
  return id;
}

function hookManager(id, manager) {
  for (const name of ["open", "close", "error", "reconnect", "reconnect_attempt", "reconnect_error", "reconnect_failed"]) {
    manager.on(name, (...args) => event(id, `manager:${name}`, args));
  }
  // Each (re)connection has a new Engine.IO socket; record its transport upgrades.
  manager.on("open", () => {
    const engine = manager.engine;
    engine?.on("upgrade", (t) => event(id, "engine:upgrade", [t?.name ?? null]));
  });
}

function hookSocket(id, socket, entry, withManager) {
  socket.on("connect", () => event(id, "connect", [{ id: socket.id, recovered: socket.recovered ?? false }]));
  socket.on("connect_error", (err) => event(id, "connect_error", [encode(err)]));
  socket.on("disconnect", (reason, details) => event(id, "disconnect", details === undefined ? [reason] : [reason, describe(details)]));
  socket.onAny((name, ...args) => {
    const ack = args.length > 0 && typeof args[args.length - 1] === "function" ? args.pop() : null;
    event(id, name, args);
    if (ack) {
      const reply = entry.replies.get(name);
      if (reply !== undefined) ack(...decode(reply));
    }
  });
  // Each socket's manager is recorded too (once per manager per client), so reconnect events are visible per client.
  if (withManager) hookManager(id, socket.io);
}

function sioStatus(socket) {
  return {
    id: socket.id ?? null,
    connected: socket.connected,
    active: socket.active,
    recovered: socket.recovered ?? false,
    transport: socket.io.engine?.transport?.name ?? null,
  };
}

const commands = {
  ping: () => "pong",

  // {client?, url, opts?} or {client?, manager, nsp, opts?}: a socket.io-client socket. Connection starts at once
  // unless opts.autoConnect === false; wait for the "connect" / "connect_error" events.
  connect(cmd) {
    const id = newId(cmd.client, "c");
    const opts = decode(cmd.opts ?? {});
    let socket;
    if (cmd.manager !== undefined) {
      const m = get(cmd.manager, "manager").obj;
      socket = m.socket(cmd.nsp ?? "/", opts);
      if (opts.autoConnect !== false) socket.connect();
    } else {
      socket = io(cmd.url, opts);
    }
    const entry = { kind: "sio", obj: socket, replies: new Map() };
    clients.set(id, entry);
    // A shared manager's own events are recorded under the manager id instead of every socket's.
    hookSocket(id, socket, entry, cmd.manager === undefined);
    return { client: id };
  },

  // {manager?, url, opts?}: a Manager shared by several namespace sockets (multiplexed on one Engine.IO session).
  manager(cmd) {
    const id = newId(cmd.manager, "m");
    const opts = decode(cmd.opts ?? {});
    const m = new Manager(cmd.url, opts);
    clients.set(id, { kind: "manager", obj: m });
    hookManager(id, m);
    return { manager: id };
  },

  // {client, event, args?, volatile?, compress?}
  emit(cmd) {
    let s = get(cmd.client, "sio").obj;
    if (cmd.volatile) s = s.volatile;
    if (cmd.compress !== undefined) s = s.compress(cmd.compress);
    s.emit(cmd.event, ...decode(cmd.args ?? []));
    return null;
  },

  // {client, event, args?, timeout}: resolves with every ack argument; fails with "operation has timed out".
  emitWithAck(cmd) {
    const s = get(cmd.client, "sio").obj;
    const args = decode(cmd.args ?? []);
    return new Promise((resolve, reject) => {
      s.timeout(cmd.timeout ?? 5000).emit(cmd.event, ...args, (err, ...response) => {
        if (err) reject(err);
        else resolve(response);
      });
    });
  },

  // {client, event, reply: [...]}: when the server emits `event` with an ack, answer with `reply`. null removes it.
  onAck(cmd) {
    const entry = get(cmd.client, "sio");
    if (cmd.reply === null || cmd.reply === undefined) entry.replies.delete(cmd.event);
    else entry.replies.set(cmd.event, Array.isArray(cmd.reply) ? cmd.reply : [cmd.reply]);
    return null;
  },

  // {client}: socket.disconnect() (server sees "client namespace disconnect"; client sees "io client disconnect").
  disconnect(cmd) {
    const c = get(cmd.client);
    if (c.kind === "sio") c.obj.disconnect();
    else if (c.kind === "eio") c.obj.close();
    else c.obj._close?.();
    return null;
  },

  // {client}: socket.connect() again after a disconnect.
  reconnect(cmd) {
    get(cmd.client, "sio").obj.connect();
    return null;
  },

  // {client}: closes the underlying Engine.IO session abruptly-ish (simulates a network drop for the socket layer).
  closeEngine(cmd) {
    const s = get(cmd.client, "sio").obj;
    s.io.engine?.close();
    return null;
  },

  status(cmd) {
    const c = get(cmd.client);
    if (c.kind === "sio") return sioStatus(c.obj);
    if (c.kind === "eio") return { id: c.obj.id ?? null, readyState: c.obj.readyState, transport: c.obj.transport?.name ?? null };
    return { readyState: c.obj._readyState ?? null };
  },

  // {client?, url, opts?, packets?}: a raw engine.io-client socket. Events: open {sid, transport}, message, close
  // [reason, description], error, upgrading, upgrade, upgradeError, and with packets:true every packet (ping, pong...).
  eioOpen(cmd) {
    const id = newId(cmd.client, "e");
    const opts = decode(cmd.opts ?? {});
    const socket = new EngineSocket(cmd.url, opts);
    clients.set(id, { kind: "eio", obj: socket });
    socket.on("open", () => event(id, "open", [{ sid: socket.id, transport: socket.transport?.name ?? null }]));
    socket.on("message", (data) => event(id, "message", [data]));
    socket.on("close", (reason, description) => event(id, "close", [reason, describe(description)]));
    socket.on("error", (err) => event(id, "error", [encode(err instanceof Error ? err : { message: String(err) })]));
    socket.on("upgrading", (t) => event(id, "upgrading", [t?.name ?? null]));
    socket.on("upgrade", (t) => event(id, "upgrade", [t?.name ?? null]));
    socket.on("upgradeError", (err) => event(id, "upgradeError", [encode(err)]));
    if (cmd.packets) socket.on("packet", (p) => event(id, "packet", [{ type: p.type, data: p.data ?? null }]));
    return { client: id };
  },

  // {client, data}: data is a string or {$binary}.
  eioSend(cmd) {
    const s = get(cmd.client, "eio").obj;
    const data = decode(cmd.data);
    return new Promise((resolve) => s.send(data, undefined, () => resolve(null)));
  },

  // {client}: drops the client and closes whatever it holds.
  remove(cmd) {
    const c = get(cmd.client);
    closeEntry(c);
    clients.delete(cmd.client);
    return null;
  },

  closeAll() {
    for (const c of clients.values()) closeEntry(c);
    clients.clear();
    return null;
  },
};

function closeEntry(c) {
  try {
    if (c.kind === "sio") c.obj.disconnect();
    else if (c.kind === "eio") c.obj.close();
    else c.obj.engine?.close();
  } catch {
    // closing is best effort
  }
}

async function handle(line) {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    write({ type: "result", id: null, ok: false, error: { message: `bad JSON: ${e.message}` } });
    return;
  }
  const id = cmd?.id ?? null;
  try {
    const fn = commands[cmd?.cmd];
    if (!fn) throw new Error(`unknown command '${cmd?.cmd}'`);
    const result = await fn(cmd);
    write({ type: "result", id, ok: true, result: encode(result) ?? null });
  } catch (e) {
    write({ type: "result", id, ok: false, error: encode(e instanceof Error ? e : new Error(String(e))) });
  }
}

process.on("uncaughtException", (e) => {
  process.stderr.write(`driver: uncaught ${e?.stack ?? e}\n`);
});
process.on("unhandledRejection", (e) => {
  process.stderr.write(`driver: unhandled rejection ${e?.stack ?? e}\n`);
});

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (line.trim().length > 0) void handle(line);
});
rl.on("close", () => {
  for (const c of clients.values()) closeEntry(c);
  // give close frames a moment, then leave even if a reconnecting manager still holds timers
  setTimeout(() => process.exit(0), 200).unref();
  setTimeout(() => process.exit(0), 1000);
});

write({ type: "ready", pid: process.pid, node: process.version });
