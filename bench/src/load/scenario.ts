/**
 * What a scenario is (bench/src/load/scenarios/*.ts): a name, defaults, k6
 * thresholds, and a script run against a LoadContext, which turns "N join at
 * this rate", "a tenth leaves", "the host removes five" into real
 * participants' actions and measures them.
 */
import type { Thresholds } from './thresholds.js';
import type { Executor } from './types.js';

/** The options a scenario reads (CLI flags override its defaults). */
export interface ScenarioOptions {
  /** Participants in the meeting (the whole run, all slices together). */
  readonly participants: number;
  /** Arrivals (or churn: joins and leaves) per second. */
  readonly rate: number;
  /** How long the scenario runs or holds the meeting, ms. */
  readonly duration: number;
  /** Ramping arrival rate: time to reach `rate`, ms. */
  readonly ramp: number;
  /** mass-leave: the fraction that leaves at once. */
  readonly fraction: number;
  /** host-removal: members the host removes, one at a time. */
  readonly count: number;
  /** sweep: the meeting sizes measured in turn. */
  readonly sizes: readonly number[];
}

export interface LoadContext {
  readonly options: ScenarioOptions;
  /** Participants of this slice in the group now (the host included). */
  readonly members: number;
  /** ms since the run started. */
  elapsed(): number;
  log(line: string): void;
  /**
   * Participants join at the executor's arrival times (this slice's share of
   * the first `limit` arrivals); resolves once each was admitted or failed.
   */
  join(e: Executor, limit?: number): Promise<void>;
  /** `count` members (this slice's share) leave at once; resolves once the group dropped each. */
  leave(count: number): Promise<void>;
  /** The host removes `count` members (this slice's share) one at a time, each once the last is out. */
  remove(count: number): Promise<void>;
  /** Until no join or departure is pending and every member is in the same epoch for a moment. */
  settle(): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** sweep: the aggregated metrics of samples since `from` (ms since start) as one row. */
  sweepPoint(participants: number, from: number): void;
}

export interface Scenario {
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  readonly defaults: Partial<ScenarioOptions>;
  /** k6 thresholds that hold by default (`--threshold` adds more). */
  readonly thresholds: Thresholds;
  /** Plays the scenario; it ends with `ctx.settle()` (the agreement check follows). */
  run(ctx: LoadContext): Promise<void>;
}
