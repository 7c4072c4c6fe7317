// MLS at 100, 1,000 and 10,000 members (suite 1, Node's native crypto
// provider): Canopy's MLS on a sparse tree (only the creator has committed) and
// on a populated one, and ts-mls on the same scenario where it can reach the
// size. Medians over `runs` rounds; see mls-scenario.ts for the scenario.
//
//   npm run bench -- mls                       all sizes
//   CANOPY_BENCH_MLS_SIZES=100,1000 npm run bench -- mls
//   CANOPY_BENCH_MLS_RUNS=7 CANOPY_BENCH_TSMLS=0 ...   rounds; skip ts-mls
//   CANOPY_BENCH_MLS_PROVIDER=noble ...        pure-JS crypto, as in a browser
import { nodeProvider } from '@canopy/server/crypto';
import { getCipherSuite } from '@canopy/shared/crypto';
import { type CanopyScenarioResult, runCanopyScenario } from './canopy-mls-scenario.js';
import { formatNs, printTable } from './harness.js';
import { MLS_OPS, type MlsOp, median, type ScenarioResult } from './mls-scenario.js';
import { runTsMlsScenario } from './ts-mls-scenario.js';

const sizes = (process.env.CANOPY_BENCH_MLS_SIZES ?? '100,1000,10000').split(',').map(Number);
const runs = Number(process.env.CANOPY_BENCH_MLS_RUNS ?? 5);
const withTsMls = process.env.CANOPY_BENCH_TSMLS !== '0';
const budgetMs = Number(process.env.CANOPY_BENCH_TSMLS_BUDGET_MS ?? 15 * 60_000);
const noble = process.env.CANOPY_BENCH_MLS_PROVIDER === 'noble';
const providerName = noble ? 'noble (pure JS, as in browsers)' : 'native provider';

const ms = (v: number | undefined) => (v === undefined ? '—' : formatNs(v * 1e6));
const kb = (v: number | undefined) => (v === undefined ? '—' : `${(v / 1024).toFixed(1)} KiB`);
const ratio = (theirs: number | undefined, ours: number | undefined) =>
  theirs === undefined || ours === undefined || ours === 0 ? '—' : `${(theirs / ours).toFixed(1)}×`;

const GOALS: Record<string, Record<number, number>> = {
  'process remove1': { 1000: 10, 10000: 20 },
  'process update': { 1000: 10, 10000: 20 },
  'create remove1': { 1000: 15, 10000: 30 },
  'create update': { 1000: 15, 10000: 30 },
  join: { 1000: 400, 10000: 4000 },
  'create add100': { 1000: 300, 10000: 400 },
  'process add100': { 1000: 300, 10000: 400 },
};

export default async function run(): Promise<void> {
  const suite = noble ? getCipherSuite(1) : getCipherSuite(1, nodeProvider);
  for (const n of sizes) {
    const sparse = runCanopyScenario({
      suite,
      n,
      runs,
      batch: 100,
      buildBudgetMs: Infinity,
      populate: false,
      validator: true,
    });
    const populated = runCanopyScenario({
      suite,
      n,
      runs,
      batch: 100,
      buildBudgetMs: Infinity,
      populate: true,
      validator: true,
    });
    const theirs: ScenarioResult | undefined = withTsMls
      ? await runTsMlsScenario({ n, runs, batch: 100, buildBudgetMs: budgetMs })
      : undefined;
    report(n, sparse, populated, theirs);
  }
}

function report(
  n: number,
  sparse: CanopyScenarioResult,
  populated: CanopyScenarioResult,
  theirs?: ScenarioResult,
): void {
  const t = theirs?.reached ? theirs : undefined;
  const rows: (string | number)[][] = [];
  const row = (name: string, a?: number, b?: number, c?: number, unit = ms) => {
    const goal = GOALS[name]?.[n];
    rows.push([
      name,
      unit(a),
      unit(b),
      goal === undefined ? '' : `≤ ${goal} ms`,
      unit(c),
      ratio(c, a),
    ]);
  };
  row('build (batched adds of 100)', sparse.buildMs, populated.buildMs, t?.buildMs);
  for (const op of MLS_OPS as MlsOp[]) {
    row(
      `create ${op}`,
      median(sparse.create[op]),
      median(populated.create[op]),
      median(t?.create[op]),
    );
    row(
      `process ${op}`,
      median(sparse.process[op]),
      median(populated.process[op]),
      median(t?.process[op]),
    );
    row(`validator apply ${op}`, median(sparse.validate[op]), median(populated.validate[op]));
  }
  row('join', median(sparse.join), median(populated.join), median(t?.join));
  for (const op of MLS_OPS as MlsOp[]) {
    row(
      `size: commit ${op}`,
      sparse.commitBytes[op],
      populated.commitBytes[op],
      t?.commitBytes[op],
      kb,
    );
  }
  row(
    'size: welcome (add1, with tree)',
    sparse.welcomeBytes,
    populated.welcomeBytes,
    t?.welcomeBytes,
    kb,
  );
  row('size: ratchet tree', sparse.treeBytes, populated.treeBytes, t?.treeBytes, kb);
  printTable(
    `MLS, N = ${n.toLocaleString('en')} (suite 1, ${providerName}; medians of ${runs} rounds)`,
    [
      'operation',
      'canopy, sparse tree',
      'canopy, populated tree',
      'goal',
      theirs?.implementation ?? 'ts-mls (not run)',
      'ts-mls ÷ canopy (sparse)',
    ],
    rows,
  );
  if (populated.populateMs !== undefined)
    console.log(`\npopulating (every 4th member commits once): ${ms(populated.populateMs)}`);
  if (theirs && !theirs.reached)
    console.log(`${theirs.implementation} did not reach N = ${n}: ${theirs.note}`);
  else if (theirs?.note) console.log(`${theirs.implementation} at N = ${n}: ${theirs.note}`);
  if (theirs) {
    console.log(
      '(ts-mls commits that only add members carry no path: it cannot be forced; Canopy always sends one.)',
    );
  } else console.log('(ts-mls not run: CANOPY_BENCH_TSMLS=0)');
}
