// The delivery service (issue 8 §6), suite 1 on Node's native crypto provider:
// 1. its cost per commit at 100, 1,000 and 10,000 members: validate + fan-out
//    over loopback WebSockets (delivery-fanout.ts says what is real and what
//    is simulated);
// 2. a join storm of headless participants (the real participant core, real
//    MLS, real WebSockets, the real DS; delivery-storm.ts).
// Medians over the runs; every participant shares this machine's cores.
//
//   npm run bench -- delivery
//   CANOPY_BENCH_DELIVERY_SIZES=100,1000 CANOPY_BENCH_DELIVERY_RUNS=5 ...   fan-out sizes, rounds
//   CANOPY_BENCH_STORM=1000 ...      join storm size (default 200; 0 skips it)
//   CANOPY_BENCH_STORM_RUNS=3 ...    after-storm update and remove commits measured
//   CANOPY_BENCH_DELIVERY_POPULATE=0 ...   fan-out on a sparse tree (only the creator committed)
import {
  type FanoutOp,
  type FanoutResult,
  type FanoutSample,
  runFanoutScenario,
} from './delivery-fanout.js';
import { runJoinStorm, type StormResult } from './delivery-storm.js';
import { formatNs, machineInfo, printTable } from './harness.js';
import { median } from './mls-scenario.js';

/**
 * The default storm size. 1,000 participants in one process take far more than
 * a few minutes here (every one of them processes every commit on the same
 * cores: admission grows with N², and ~N/4 self-updates follow, each processed
 * by all N); CANOPY_BENCH_STORM=1000 runs the full one.
 */
export const DEFAULT_STORM = 200;

export interface DeliveryBenchOptions {
  readonly sizes: readonly number[];
  readonly runs: number;
  readonly populate: boolean;
  /** Join storm participants; 0 skips it. */
  readonly storm: number;
  /** After-storm update and remove commits measured. */
  readonly stormRuns: number;
  readonly log?: (line: string) => void;
}

export function optionsFromEnv(env = process.env): DeliveryBenchOptions {
  return {
    sizes: (env.CANOPY_BENCH_DELIVERY_SIZES ?? '100,1000,10000')
      .split(',')
      .filter((x) => x.trim() !== '')
      .map(Number),
    runs: Number(env.CANOPY_BENCH_DELIVERY_RUNS ?? 5),
    populate: env.CANOPY_BENCH_DELIVERY_POPULATE !== '0',
    storm: Number(env.CANOPY_BENCH_STORM ?? DEFAULT_STORM),
    stormRuns: Number(env.CANOPY_BENCH_STORM_RUNS ?? 3),
    log: env.CANOPY_BENCH_QUIET === '1' ? undefined : (line) => console.error(`  … ${line}`),
  };
}

const ms = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? '—' : formatNs(v * 1e6);
const kib = (v: number | undefined) => (v === undefined ? '—' : `${(v / 1024).toFixed(1)} KiB`);
const col = (xs: readonly FanoutSample[], k: keyof FanoutSample) =>
  median(xs.map((x) => x[k])) ?? Number.NaN;

export interface DeliveryBenchResult {
  readonly fanout: FanoutResult[];
  readonly storm?: StormResult;
}

/** Runs both parts and prints their tables; returns the figures (for the bench test). */
export async function runDeliveryBench(o: DeliveryBenchOptions): Promise<DeliveryBenchResult> {
  const fanout: FanoutResult[] = [];
  for (const n of o.sizes) {
    const r = await runFanoutScenario({ n, runs: o.runs, populate: o.populate, log: o.log });
    fanout.push(r);
    reportFanout(r, o);
  }
  let storm: StormResult | undefined;
  if (o.storm > 0) {
    storm = await runJoinStorm({ n: o.storm, runs: o.stormRuns, log: o.log });
    reportStorm(storm);
  }
  return { fanout, storm };
}

function reportFanout(r: FanoutResult, o: DeliveryBenchOptions): void {
  const rows = (Object.keys(r.samples) as FanoutOp[]).map((op) => {
    const s = r.samples[op];
    return [
      op,
      kib(col(s, 'bytes')),
      ms(col(s, 'createMs')),
      ms(col(s, 'validateMs')),
      ms(col(s, 'dsMs')),
      ms(col(s, 'dsMs') - col(s, 'validateMs')),
      ms((col(s, 'dsMs') - col(s, 'validateMs')) / r.sockets),
      ms(col(s, 'deliveredMs')),
      ms(col(s, 'acksMs')),
      ms(col(s, 'switchDeliveredMs')),
    ];
  });
  printTable(
    `DS cost per commit, N = ${r.n.toLocaleString('en')} members, ${o.populate ? 'populated' : 'sparse'} tree (${machineInfo()}; medians of ${o.runs})`,
    [
      'commit',
      'size',
      'member creates it',
      'DS: GroupValidator.process',
      'DS: accept + fan-out (commit-accepted fanoutMs)',
      'of which not validation',
      'that, per member',
      'in every member socket',
      'N acks → switch announced',
      'switch in every socket',
    ],
    rows,
  );
  console.log(
    `\nbuilt in ${ms(r.buildMs)} (batched adds)${r.populateMs === undefined ? '' : `, populated in ${ms(r.populateMs)}`}; ${r.sockets.toLocaleString('en')} member sockets at the end; ${kib(r.bytesPerSocket)} received per socket over the measured rounds`,
  );
}

function reportStorm(s: StormResult): void {
  printTable(
    `Join storm: ${s.n.toLocaleString('en')} headless participants at once (${machineInfo()})`,
    ['measure', 'value'],
    [
      ['all admitted (end to end)', ms(s.admittedMs)],
      ['commits until all admitted (adds)', s.addCommits],
      ['tree filled by the DS’s self-updates after (end to end)', ms(s.filledMs)],
      ['self-update commits (of 4-leaf blocks)', `${s.updateCommits} (of ${s.blocks})`],
      [
        'refused commits, passed-over committers',
        Object.entries(s.refusals)
          .map(([k, v]) => `${k} × ${v}`)
          .join(', ') || 'none',
      ],
      [
        'self-update commit size: first / median / largest',
        `${kib(s.updateBytes[0])} / ${kib(median(s.updateBytes))} / ${kib(Math.max(...s.updateBytes))}`,
      ],
      [
        'per participant until admitted: received / sent (median)',
        `${kib(median(s.admittedReceived))} / ${kib(median(s.admittedSent))}`,
      ],
      [
        'per participant until filled: received / sent (median)',
        `${kib(median(s.filledReceived))} / ${kib(median(s.filledSent))}`,
      ],
      [
        'per participant own processing until admitted: median / max',
        `${ms(median(s.admittedCpuMs))} / ${ms(Math.max(...s.admittedCpuMs))}`,
      ],
      [
        'per participant own processing until filled: median / max',
        `${ms(median(s.filledCpuMs))} / ${ms(Math.max(...s.filledCpuMs))}`,
      ],
      ['all participants’ processing together (one thread)', ms(s.totalCpuMs)],
    ],
  );
  printTable(
    `After the storm: a member's commits on the filled tree, N = ${s.n.toLocaleString('en')} (medians of ${s.after.update.length})`,
    [
      'commit',
      'size',
      'create (committer)',
      'process (median member)',
      'process (slowest member)',
      'all members applied (end to end)',
    ],
    (['update', 'remove1'] as const).map((op) => {
      const xs = s.after[op];
      return [
        op,
        kib(median(xs.map((x) => x.bytes))),
        ms(median(xs.map((x) => x.createMs))),
        ms(median(xs.map((x) => x.processMedianMs))),
        ms(median(xs.map((x) => x.processMaxMs))),
        ms(median(xs.map((x) => x.appliedMs))),
      ];
    }),
  );
  console.log(
    '\n(Every participant runs in this one process: end-to-end times include all the others’ work on the shared cores; a participant’s own processing is what its device would spend. The DS’s committer timeout is raised for the storm, since a named committer here waits behind everyone’s processing.)',
  );
}

export default async function run(): Promise<void> {
  await runDeliveryBench(optionsFromEnv());
}
