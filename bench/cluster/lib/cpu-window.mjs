// Samples the CPU seconds of a set of processes (and of this one) every 100 ms on this process's monotonic clock,
// so the CPU they used inside a window known only afterwards (the harness's send phase) can be read by interpolation.
import { performance } from "node:perf_hooks";
import { cpuSeconds } from "./processes.mjs";

export function startCpuSampler(pids, intervalMs = 100) {
  const samples = [];
  const take = () => {
    const own = process.cpuUsage();
    const row = { t: performance.now(), self: (own.user + own.system) / 1e6 };
    for (const [name, pid] of Object.entries(pids)) row[name] = cpuSeconds(pid);
    samples.push(row);
    return row.t;
  };
  take();
  const timer = setInterval(take, intervalMs);
  const at = (name, t) => {
    let i = samples.findIndex((s) => s.t >= t);
    if (i < 0) i = samples.length - 1;
    if (i === 0) return samples[0][name];
    const [a, b] = [samples[i - 1], samples[i]];
    if (a[name] === null || b[name] === null || b.t <= a.t) return b[name] ?? a[name];
    return a[name] + ((b[name] - a[name]) * Math.min(1, Math.max(0, (t - a.t) / (b.t - a.t))));
  };
  return {
    /** Takes a sample now and returns its time (use it to mark a window's start). */
    mark: take,
    /** CPU seconds each process used between t0 and t1 (ms on this clock). */
    between: (t0, t1) => Object.fromEntries(["self", ...Object.keys(pids)].map((n) => [n, at(n, t1) - at(n, t0)])),
    stop: () => { take(); clearInterval(timer); },
  };
}
