// Micro-benchmark harness: calibrates a batch size, then times repeated runs
// and reports the median per-operation time. Figures are printed, never asserted.
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface BenchOptions {
  /** Timed runs (the median is over these). Default 15. */
  runs?: number;
  /** Minimum wall time of one run, in ms; the batch grows until a run takes this long. Default 40. */
  minRunMs?: number;
  /** Upper bound on operations per run (for slow setups). Default 1e6. */
  maxBatch?: number;
}

export interface BenchResult {
  name: string;
  /** Median time per operation, in nanoseconds. */
  medianNs: number;
  /** Fastest and slowest run, per operation, in nanoseconds. */
  minNs: number;
  maxNs: number;
  runs: number;
  batch: number;
}

function summarize(name: string, perOp: number[], batch: number): BenchResult {
  const sorted = [...perOp].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    name,
    medianNs: median,
    minNs: sorted[0],
    maxNs: sorted[sorted.length - 1],
    runs: sorted.length,
    batch,
  };
}

/** The batch size to try after `batch` operations took `dt` ms: enough for a run of `minRunMs`. */
function nextBatch(batch: number, dt: number, minRunMs: number, maxBatch: number): number {
  return Math.min(maxBatch, dt <= 0 ? batch * 10 : Math.ceil((batch * minRunMs * 1.2) / dt));
}

/** Times a synchronous operation; returns the median over `runs` runs. */
export function bench(name: string, op: () => unknown, opts: BenchOptions = {}): BenchResult {
  const { runs = 15, minRunMs = 40, maxBatch = 1e6 } = opts;
  op(); // warm-up and JIT
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) op();
    const dt = performance.now() - t0;
    if (dt >= minRunMs || batch >= maxBatch) break;
    batch = nextBatch(batch, dt, minRunMs, maxBatch);
  }
  const perOp: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) op();
    perOp.push(((performance.now() - t0) * 1e6) / batch);
  }
  return summarize(name, perOp, batch);
}

/** Times an asynchronous operation (awaited one at a time). */
export async function benchAsync(
  name: string,
  op: () => Promise<unknown>,
  opts: BenchOptions = {},
): Promise<BenchResult> {
  const { runs = 15, minRunMs = 40, maxBatch = 1e6 } = opts;
  await op();
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await op();
    const dt = performance.now() - t0;
    if (dt >= minRunMs || batch >= maxBatch) break;
    batch = nextBatch(batch, dt, minRunMs, maxBatch);
  }
  const perOp: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await op();
    perOp.push(((performance.now() - t0) * 1e6) / batch);
  }
  return summarize(name, perOp, batch);
}

/**
 * Times an operation that needs fresh state each time (setup is not timed):
 * `prepare` builds the input, `op` is measured once per run. For slow
 * operations (milliseconds and up) where batching is not wanted.
 */
export function benchEach<S>(
  name: string,
  prepare: () => S,
  op: (state: S) => unknown,
  runs = 9,
): BenchResult {
  op(prepare()); // warm-up
  const perOp: number[] = [];
  for (let r = 0; r < runs; r++) {
    const state = prepare();
    const t0 = performance.now();
    op(state);
    perOp.push((performance.now() - t0) * 1e6);
  }
  return summarize(name, perOp, 1);
}

/** benchEach for an asynchronous `op` (prepare may be asynchronous too; neither runs concurrently). */
export async function benchEachAsync<S>(
  name: string,
  prepare: () => S | Promise<S>,
  op: (state: S) => Promise<unknown>,
  runs = 9,
): Promise<BenchResult> {
  await op(await prepare()); // warm-up
  const perOp: number[] = [];
  for (let r = 0; r < runs; r++) {
    const state = await prepare();
    const t0 = performance.now();
    await op(state);
    perOp.push((performance.now() - t0) * 1e6);
  }
  return summarize(name, perOp, 1);
}

/** Human-readable duration from nanoseconds. */
export function formatNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** One line describing the machine and runtime, printed above every table. */
export function machineInfo(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

/** Prints a Markdown table (so results paste straight into notes). */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of cells.slice(1)) console.log(line(r));
}
