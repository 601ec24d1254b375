// Round-robin TCP proxy: each new connection goes to the next backend, bytes are piped both ways unchanged.
// While piping it reads (never alters) the first client→server WebSocket frames of each connection until the
// Socket.IO `join_conversation` event, so the benchmark can tell on which node each conversation's members sit.
import { connect, createServer } from "node:net";

const SNIFF_LIMIT = 64 * 1024; // bytes of one connection read before giving up on finding the join

export async function startProxy(backendPorts) {
  let next = 0;
  const sockets = new Set();
  const placement = new Map(); // conversation id -> connections per backend
  const counts = backendPorts.map(() => ({ connections: 0, websockets: 0, joins: 0 }));
  const server = createServer((client) => {
    const index = next++ % backendPorts.length;
    counts[index].connections++;
    const upstream = connect({ host: "127.0.0.1", port: backendPorts[index] });
    for (const s of [client, upstream]) { s.setNoDelay(true); sockets.add(s); s.on("close", () => sockets.delete(s)); }
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    const sniffer = joinSniffer((kind, conversationId) => {
      if (kind === "websocket") counts[index].websockets++;
      if (kind !== "join") return;
      counts[index].joins++;
      const perNode = placement.get(conversationId) ?? backendPorts.map(() => 0);
      perNode[index]++;
      placement.set(conversationId, perNode);
    });
    const onData = (chunk) => { if (!sniffer(chunk)) client.off("data", onData); };
    client.on("data", onData);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    stats: () => ({ perNode: counts.map((c) => ({ ...c })), ...placementStats(placement) }),
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

// Rooms whose members span nodes, and the share of (sender, receiver) pairs, sender included, on different nodes:
// with every member sending at the same rate that is the share of deliveries that had to cross Redis.
function placementStats(placement) {
  let spanning = 0;
  let pairs = 0;
  let crossPairs = 0;
  for (const perNode of placement.values()) {
    const members = perNode.reduce((s, c) => s + c, 0);
    if (perNode.filter((c) => c > 0).length > 1) spanning++;
    pairs += members * members;
    crossPairs += members * members - perNode.reduce((s, c) => s + c * c, 0);
  }
  return { rooms: placement.size, roomsSpanningNodes: spanning, crossNodePairShare: pairs ? Math.round((crossPairs / pairs) * 1000) / 1000 : null };
}

// Feed it client→server bytes; it calls onEvent("websocket") after an upgrade request and onEvent("join", id) at the
// join. Returns false once it has nothing more to learn from this connection.
function joinSniffer(onEvent) {
  let buffer = Buffer.alloc(0);
  let inFrames = false;
  let seen = 0;
  return (chunk) => {
    seen += chunk.length;
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    if (!inFrames) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return seen < SNIFF_LIMIT;
      if (!/^upgrade:\s*websocket/im.test(buffer.subarray(0, end).toString("latin1"))) return false; // REST
      onEvent("websocket");
      inFrames = true;
      buffer = buffer.subarray(end + 4);
    }
    for (;;) {
      const frame = readFrame(buffer);
      if (!frame) return seen < SNIFF_LIMIT;
      buffer = buffer.subarray(frame.size);
      const id = frame.text === null ? null : joinedConversation(frame.text);
      if (id !== null) { onEvent("join", id); return false; }
    }
  };
}

// One complete WebSocket frame at the start of buf: { size, text } (text null unless an uncompressed text frame).
function readFrame(buf) {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  const compressed = (buf[0] & 0x40) !== 0;
  const masked = (buf[1] & 0x80) !== 0;
  let length = buf[1] & 0x7f;
  let offset = 2;
  if (length === 126) { if (buf.length < 4) return null; length = buf.readUInt16BE(2); offset = 4; }
  else if (length === 127) { if (buf.length < 10) return null; length = Number(buf.readBigUInt64BE(2)); offset = 10; }
  const maskAt = offset;
  if (masked) offset += 4;
  if (buf.length < offset + length) return null;
  if (opcode !== 1 || compressed) return { size: offset + length, text: null };
  const payload = Buffer.from(buf.subarray(offset, offset + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= buf[maskAt + (i & 3)];
  return { size: offset + length, text: payload.toString("utf8") };
}

// Engine.IO message "4" + Socket.IO EVENT "2" (optional ack id) + ["join_conversation", { conversation_id }].
function joinedConversation(text) {
  const match = /^42\d*(\[.*)$/s.exec(text);
  if (!match) return null;
  try {
    const [event, body] = JSON.parse(match[1]);
    if (event !== "join_conversation" || !body) return null;
    return String(body.conversation_id ?? body.conversationId);
  } catch { return null; }
}
