// Per-round metrics of one cluster run, the printed table and the median B/A ratios.

const round = (v, d = 3) => (typeof v === "number" && Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

export const METRICS = [
  ["deliveriesPerSec", "higher"],
  ["p50Ms", "lower"],
  ["p99Ms", "lower"],
  ["lost", "lower"],
  ["duplicates", "lower"],
  ["outOfOrder", "lower"],
  ["connectFailed", "lower"],
  ["nodesCpuSec", "info"],
  ["cpuSecPer1000Deliveries", "lower"],
  ["redisCpuSec", "info"],
  ["cpuSecPer1000DeliveriesWithRedis", "lower"],
  ["serverCoresUtil", "info"],
  ["generatorUtil", "info"],
  ["proxyCpuSec", "info"],
  ["roomsSpanningNodes", "info"],
  ["crossNodePairShare", "info"],
];
const RATIOS = ["deliveriesPerSec", "p99Ms", "cpuSecPer1000Deliveries", "cpuSecPer1000DeliveriesWithRedis"];

/** Metrics of one run from the harness JSON, the CPU of the window and the proxy's placement stats. */
export function roundMetrics(harness, cpu, windowSec, serverCores, placement) {
  const m = harness.messages ?? {};
  const deliveries = m.uniqueDeliveries;
  const nodes = cpu.node1 + cpu.node2;
  const per1000 = (sec) => (deliveries ? round((sec * 1000) / deliveries, 4) : null);
  return {
    deliveriesPerSec: m.deliveriesPerSec,
    p50Ms: m.latencyMs?.p50,
    p99Ms: m.latencyMs?.p99,
    lost: m.lost,
    duplicates: m.duplicates,
    outOfOrder: m.outOfOrder,
    connectFailed: harness.connect?.failed,
    uniqueDeliveries: deliveries,
    nodesCpuSec: round(nodes),
    node1CpuSec: round(cpu.node1),
    node2CpuSec: round(cpu.node2),
    cpuSecPer1000Deliveries: per1000(nodes),
    redisCpuSec: round(cpu.redis),
    cpuSecPer1000DeliveriesWithRedis: per1000(nodes + cpu.redis),
    serverCoresUtil: windowSec ? round((nodes + cpu.redis) / windowSec / serverCores) : null,
    generatorUtil: m.window?.generator?.util,
    proxyCpuSec: round(cpu.self),
    roomsSpanningNodes: placement.rooms ? `${placement.roomsSpanningNodes}/${placement.rooms}` : "-",
    crossNodePairShare: placement.crossNodePairShare,
    pass: harness.verdict?.pass,
  };
}

function median(xs) {
  const s = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (v) => (v === undefined || v === null ? "-" : String(round(v, 4)));

/** Medians per side, median of per-round B/A ratios, and the printable text. */
export function summarize(runs, sides) {
  const of = (key) => runs.filter((r) => r.side === key);
  const medians = Object.fromEntries(sides.map((s) => [s.name, Object.fromEntries(METRICS.map(([k]) => [k, median(of(s.key).map((r) => r.metrics?.[k]))]))]));
  const [A, B] = [of("A"), of("B")];
  const ratios = {};
  for (const k of RATIOS) {
    const rs = [];
    for (let i = 0; i < Math.min(A.length, B.length); i++) {
      const [va, vb] = [A[i].metrics?.[k], B[i].metrics?.[k]];
      if (typeof va === "number" && typeof vb === "number" && va !== 0) rs.push(vb / va);
    }
    ratios[k] = rs.length ? round(median(rs)) : null;
  }
  const lines = ["", "== cluster fanout (2 nodes + 1 redis per side): per round",
    ["round", "side", ...METRICS.map(([k]) => k), "pass"].join("\t")];
  for (const r of runs) lines.push([r.round, r.name, ...METRICS.map(([k]) => (r.error ? (k === METRICS[0][0] ? `ERROR ${r.error}` : "-") : fmt(r.metrics[k]))), r.metrics?.pass ?? "-"].join("\t"));
  lines.push("", `== median B/A ratios (B=${sides[1].name}, A=${sides[0].name}; per-round ratio, median over rounds)`);
  for (const k of RATIOS) lines.push(`${k}\t${fmt(ratios[k])}\t(${METRICS.find(([m]) => m === k)[1]} is better)`);
  return { medians, ratios, text: lines.join("\n") };
}
