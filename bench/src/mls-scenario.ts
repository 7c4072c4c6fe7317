// The MLS benchmark scenario, defined once so Canopy's MLS and ts-mls run
// exactly the same operations (bench/src/mls.bench.ts prints both side by side).
//
// Scenario at N members, suite 1, basic credentials:
//  1. Build: creator A creates the group; member B is added in the first batch
//     and joins from its Welcome; the other N-2 members are added by A in
//     commits of `batch` adds (each with a path), which B processes. The time
//     to build counts A's commit creation and merging (not KeyPackage generation).
//  2. For each of `runs` rounds, each operation in this order: A creates the
//     commit (timed), merges it, and B processes it (timed):
//       add1    — adds 1 member (fresh KeyPackage)
//       remove1 — removes 1 member (not A or B)
//       update  — a self-update (empty commit with a path)
//       add100  — adds 100 members (last: its 100 unmerged leaves make every
//                 later commit encrypt to each of them until they commit)
//  3. Join: the member added by each add1 joins from its Welcome, with the
//     ratchet tree in the Welcome (timed; includes whole-tree validation).
//  4. Sizes: bytes of each commit, of the add1 Welcome, and of the ratchet tree.

export type MlsOp = 'add1' | 'add100' | 'remove1' | 'update';
export const MLS_OPS: readonly MlsOp[] = ['add1', 'remove1', 'update', 'add100'];

export interface ScenarioOptions {
  readonly n: number;
  readonly runs: number;
  readonly batch: number;
  /** Give up building (reached: false) once building has taken this long. */
  readonly buildBudgetMs: number;
}

export interface ScenarioResult {
  readonly implementation: string;
  readonly n: number;
  /** False when the group could not be built within the budget (or failed); see note. */
  readonly reached: boolean;
  readonly note?: string;
  readonly buildMs?: number;
  /** Per-run times in ms. */
  readonly create: Partial<Record<MlsOp, number[]>>;
  readonly process: Partial<Record<MlsOp, number[]>>;
  readonly join: number[];
  /** Bytes, from the last run. */
  readonly commitBytes: Partial<Record<MlsOp, number>>;
  readonly welcomeBytes?: number;
  readonly treeBytes?: number;
}

export function median(xs: readonly number[] | undefined): number | undefined {
  if (!xs || xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
