/**
 * One load run: the coordinator. It opens the target (embedded server or
 * --server), spreads virtual participants over worker threads (crowds), runs
 * the host in this thread, plays the scenario through a LoadContext, samples
 * the server's and its own CPU and memory about once a second, prints live
 * progress, checks the group's agreement at the end, and builds the summary.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Crowd } from './crowd.js';
import { arrivals, type Segment, sliceArrivals } from './executors.js';
import { aggregate, MetricSet } from './metrics.js';
import { type Probe, startProbes } from './probes.js';
import type { LoadContext, Scenario, ScenarioOptions } from './scenario.js';
import { buildSummary } from './summary.js';
import {
  LoadError,
  openTarget,
  ProcStat,
  parseLink,
  scrapeMetrics,
  sumSeries,
  type Target,
} from './target.js';
import type { Thresholds } from './thresholds.js';
import {
  type Executor,
  METRICS,
  type Summary,
  type SweepPoint,
  type TimelinePoint,
} from './types.js';
import type { CrowdConfig, DepartureReport, FromCrowd, MemberState, ToCrowd } from './wire.js';

export interface RunOptions {
  readonly scenario: Scenario;
  readonly options: ScenarioOptions;
  readonly thresholds: Thresholds;
  readonly server?: string;
  readonly hostLink?: string;
  readonly link?: string;
  readonly segment: Segment;
  readonly workers: number;
  readonly probes: number;
  /** How long a join may take before it counts as failed, ms. */
  readonly joinTimeout: number;
  /** Members of a thread share signature verifications (false: each verifies on its own). */
  readonly sharedVerify: boolean;
  readonly quiet: boolean;
  /** Print progress every this many ms (0: never). */
  readonly progressMs: number;
  readonly print: (line: string) => void;
}

const wallNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const BATCH_MS = 300;

interface Endpoint {
  readonly index: number;
  post(m: ToCrowd): void;
  members: number;
  /** It sent its first batch (a worker thread has loaded). */
  ready: boolean;
  /** The longest event-loop block it reported since the last progress line, ms. */
  lagMs: number;
  /** When its last batch came (wall ms): a thread that is busy for long says nothing. */
  lastBatchAt: number;
  /** It was said once that this thread fell behind. */
  saidBehind?: boolean;
  minEpoch?: bigint;
  maxEpoch?: bigint;
  treeSize?: number;
}

interface PendingDeparture {
  readonly at: number;
  readonly reports: DepartureReport[];
  readonly done: () => void;
}

export function machineDescription(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
}

export async function runLoad(o: RunOptions): Promise<Summary> {
  const log = (line: string) => {
    if (!o.quiet) o.print(line);
  };
  const n = o.options.participants;
  let coordinator: Coordinator | undefined;
  const target = await openTarget({
    server: o.server,
    hostLink: o.hostLink,
    link: o.link,
    maxParticipants: n + o.probes + 8,
    webApp: o.probes > 0,
    // the server's warnings, counted per kind once the run is under way
    log: (line) => (coordinator ? coordinator.note(line) : log(line)),
  });
  try {
    coordinator = new Coordinator(o, target, log);
    return await coordinator.run();
  } finally {
    await target.close();
  }
}

class Coordinator implements LoadContext {
  readonly #o: RunOptions;
  readonly #target: Target;
  readonly log: (line: string) => void;
  readonly metrics = new MetricSet();
  readonly #origin = wallNow();
  readonly #startedAt = new Date();
  readonly #endpoints: Endpoint[] = [];
  readonly #workers: Worker[] = [];
  /** The host's crowd, in this thread (slice 1 only). */
  #hostEp: Endpoint | undefined;
  /** Virtual participant ids handed out so far (the same sequence on every slice). */
  #nextArrival = 0;
  /** Members in the group: vid → userId, endpoint. */
  readonly #members = new Map<number, { userId: string; endpoint: Endpoint }>();
  readonly #pendingJoins = new Map<number, () => void>();
  readonly #departures = new Map<string, PendingDeparture>();
  /** Everyone ever announced as departing (never picked twice). */
  readonly #departing = new Set<string>();
  /** First epoch without the departed, and the departed's own last epoch. */
  readonly #rekeyEpoch = new Map<string, bigint>();
  readonly #lastEpoch = new Map<string, bigint>();
  readonly #timeline: TimelinePoint[] = [];
  readonly #sweep: SweepPoint[] = [];
  #stateReplies: MemberState[][] = [];
  #stateWaiting = 0;
  #stateDone: (() => void) | undefined;
  #finishing = 0;
  #finished: (() => void) | undefined;
  #admitted = 0;
  #failed = 0;
  #departuresDone = 0;
  #departuresLost = 0;
  /** Counters come from the server's /metrics (slice 1, when reachable), else from participants. */
  #serverCounters = false;
  #hostUserId: string | undefined;
  /** Failures and drop-outs by reason, said once per progress line. */
  readonly #news = new Map<string, number>();

  /** A server log line: counted by kind (who and which epoch aside). */
  note(line: string): void {
    this.#tally(line.replace(/ (epoch|user|meeting|meetingId)=\S+/g, ''));
  }

  #tally(what: string): void {
    this.#news.set(what, (this.#news.get(what) ?? 0) + 1);
    if (this.#o.progressMs === 0) this.#sayNews(); // quiet: nothing, see log
  }

  #sayNews(): void {
    for (const [what, n] of this.#news) this.log(`  ${what} (×${n})`);
    this.#news.clear();
  }

  constructor(o: RunOptions, target: Target, log: (line: string) => void) {
    this.#o = o;
    this.#target = target;
    this.log = log;
  }

  get options(): ScenarioOptions {
    return this.#o.options;
  }
  get members(): number {
    let m = 0;
    for (const e of this.#endpoints) m += e.members;
    return m;
  }
  elapsed(): number {
    return wallNow() - this.#origin;
  }
  sleep(ms: number): Promise<void> {
    return sleep(ms);
  }

  // --- the run ---------------------------------------------------------------

  async run(): Promise<Summary> {
    const o = this.#o;
    const seg = o.segment;
    const participant = parseLink(this.#target.participantLink);
    const base: Omit<CrowdConfig, 'token' | 'host' | 'prefix'> = {
      url: participant.ws,
      asKey: participant.asKey,
      origin: this.#origin,
      batchMs: BATCH_MS,
      joinTimeout: o.joinTimeout,
      sharedVerify: o.sharedVerify,
    };
    const prefix = seg.count > 1 ? `load${seg.index}-` : 'load-';
    for (let i = 0; i < o.workers; i++) {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), {
        workerData: {
          ...base,
          token: participant.token,
          host: false,
          prefix,
        } satisfies CrowdConfig,
      });
      const e = this.#endpoint((m) => worker.postMessage(m));
      worker.on('message', (m: FromCrowd) => this.#onMessage(e, m));
      worker.on('error', (err) => this.log(`worker ${i + 1} failed: ${err.message}`));
      this.#workers.push(worker);
    }
    const sampler = this.#startSampling();
    let probes: { probes: Probe[]; close(): Promise<void> } | undefined;
    try {
      // the baseline for memory per participant: every worker loaded, nobody joined
      const loading = wallNow() + 60_000;
      while (!this.#endpoints.every((e) => e.ready)) {
        if (wallNow() > loading) throw new LoadError('a worker thread did not start within 60 s');
        await sleep(50);
      }
      const baseline = process.memoryUsage.rss();
      if (seg.index === 1 && this.#target.hostLink) await this.#startHost(base);
      if (o.probes > 0) {
        if (seg.index !== 1) throw new LoadError('--probes runs on slice 1 only');
        probes = await startProbes({
          participantLink: this.#target.participantLink,
          count: o.probes,
          log: this.log,
        });
      }
      await o.scenario.run(this); // every scenario ends settled
      if (probes) await this.#measureProbes(probes.probes);
      const agreement = await this.#agreement();
      await this.#finish();
      sampler.stop();
      this.#sayNews();
      const durationMs = this.elapsed();
      this.#perParticipant(baseline);
      return buildSummary({
        scenario: o.scenario.name,
        options: {
          ...o.options,
          server: this.#target.pid ? 'embedded' : this.#target.server,
          workers: o.workers,
          probes: o.probes,
          verify: o.sharedVerify ? 'shared per thread' : 'each member',
          counters: this.#serverCounters ? 'server /metrics' : 'participants',
        },
        segment: seg,
        startedAt: this.#startedAt,
        durationMs,
        machine: machineDescription(),
        metrics: this.metrics,
        checks: this.#checks(agreement),
        timeline: this.#timeline,
        ...(this.#sweep.length ? { sweep: this.#sweep } : {}),
        thresholds: o.thresholds,
      });
    } finally {
      sampler.stop();
      await probes?.close();
      await Promise.all(this.#workers.map((w) => w.terminate()));
    }
  }

  #endpoint(post: (m: ToCrowd) => void): Endpoint {
    const e: Endpoint = {
      index: this.#endpoints.length,
      post,
      members: 0,
      ready: false,
      lagMs: 0,
      lastBatchAt: wallNow(),
    };
    this.#endpoints.push(e);
    return e;
  }

  /** The host, in this thread: it creates the group and admits everyone from the lobby. */
  async #startHost(base: Omit<CrowdConfig, 'token' | 'host' | 'prefix'>): Promise<void> {
    const host = parseLink(this.#target.hostLink!);
    let e!: Endpoint;
    const crowd = new Crowd({ ...base, token: host.token, host: true, prefix: 'load-host-' }, (m) =>
      // as a worker's message would: after this turn
      queueMicrotask(() => this.#onMessage(e, m)),
    );
    e = this.#endpoint((m) => crowd.handle(m));
    this.#hostEp = e;
    const admitted = new Promise<void>((resolve) => this.#pendingJoins.set(-1, resolve));
    crowd.handle({ type: 'join', vids: [-1], at: wallNow() });
    await admitted;
    if (!this.#members.has(-1)) throw new LoadError('the host could not join the meeting');
    this.#hostUserId = this.#members.get(-1)!.userId;
    this.log(`host in the meeting (${this.#hostUserId})`);
  }

  #onMessage(e: Endpoint, m: FromCrowd): void {
    switch (m.type) {
      case 'batch':
        this.#onBatch(e, m);
        return;
      case 'state':
        this.#stateReplies.push([...m.members]);
        if (--this.#stateWaiting === 0) this.#stateDone?.();
        return;
      case 'finished':
        if (--this.#finishing === 0) this.#finished?.();
        return;
    }
  }

  #onBatch(e: Endpoint, m: Extract<FromCrowd, { type: 'batch' }>): void {
    for (const [name, samples] of Object.entries(m.samples)) {
      // with the server's counters, the participants' own view of them is not added twice
      if (
        this.#serverCounters &&
        (name === 'canopy_commits_refused' || name === 'canopy_recoveries')
      )
        continue;
      this.metrics.addAll(name, samples);
    }
    for (const j of m.joined) {
      this.#members.set(j.vid, { userId: j.userId, endpoint: e });
      this.#admitted += j.vid >= 0 ? 1 : 0;
      this.#pendingJoins.get(j.vid)?.();
      this.#pendingJoins.delete(j.vid);
    }
    for (const f of m.failed) {
      this.#failed++;
      this.#tally(`joins failed: ${f.error}`);
      this.#pendingJoins.get(f.vid)?.();
      this.#pendingJoins.delete(f.vid);
    }
    for (const g of m.gone) {
      // a member that was not asked to leave lost its connection: a finding
      if (this.#members.has(g.vid) && !/^(left|removed)$/.test(g.why))
        this.#tally(`members dropped out: ${g.why}`);
      this.#members.delete(g.vid);
    }
    for (const d of m.departed) this.#lastEpoch.set(d.userId, BigInt(d.lastEpoch));
    for (const r of m.rekeyed) {
      const d = this.#departures.get(r.userId);
      if (!d) continue;
      d.reports.push(r);
      if (d.reports.length === this.#endpoints.length) this.#rekeyed(r.userId, d);
    }
    e.ready = true;
    e.lastBatchAt = wallNow();
    e.lagMs = Math.max(e.lagMs, m.lagMs);
    if (m.lagMs > 10_000 && !e.saidBehind) {
      e.saidBehind = true; // once: the progress line follows it
      this.log(
        `thread ${e.index + 1} fell ${(m.lagMs / 1000).toFixed(1)} s behind its frames ` +
          '(the DS passes over committers after 3 s): the load machine is the limit now',
      );
    }
    e.members = m.members;
    e.minEpoch = m.minEpoch === undefined ? undefined : BigInt(m.minEpoch);
    e.maxEpoch = m.maxEpoch === undefined ? undefined : BigInt(m.maxEpoch);
    e.treeSize = m.treeSize;
  }

  /** Every crowd's last member got past the departure: one rekey (and switch) sample. */
  #rekeyed(userId: string, d: PendingDeparture): void {
    this.#departures.delete(userId);
    const applied = Math.max(...d.reports.map((r) => r.appliedAt ?? 0));
    const switched = Math.max(...d.reports.map((r) => r.switchedAt ?? 0));
    let first: bigint | undefined;
    for (const r of d.reports) {
      const e = r.epoch === undefined ? undefined : BigInt(r.epoch);
      if (e !== undefined && (first === undefined || e < first)) first = e;
    }
    if (first !== undefined) this.#rekeyEpoch.set(userId, first);
    if (applied > 0) this.metrics.add('canopy_rekey', applied - this.#origin, applied - d.at);
    if (switched > 0)
      this.metrics.add('canopy_rekey_switch', switched - this.#origin, switched - d.at);
    this.#departuresDone++;
    d.done();
  }

  // --- what scenarios do -------------------------------------------------------

  async join(e: Executor, limit = Number.POSITIVE_INFINITY): Promise<void> {
    const all = arrivals(e).slice(0, limit);
    const first = this.#nextArrival;
    this.#nextArrival += all.length;
    const mine = sliceArrivals(
      all.map((_, i) => i),
      this.#o.segment,
    );
    const workers = this.#endpoints.filter((x) => x !== this.#hostEp);
    if (workers.length === 0) throw new LoadError('no worker threads');
    const start = wallNow();
    const done: Promise<void>[] = [];
    for (const i of mine) {
      done.push(new Promise<void>((r) => this.#pendingJoins.set(first + i, r)));
    }
    // dispatch every arrival when due, grouped per worker in each turn
    let k = 0;
    while (k < mine.length) {
      const now = wallNow() - start;
      const batches = new Map<Endpoint, number[]>();
      while (k < mine.length && all[mine[k]] <= now) {
        const vid = first + mine[k];
        const w = workers[vid % workers.length];
        batches.set(w, [...(batches.get(w) ?? []), vid]);
        k++;
      }
      const at = wallNow();
      for (const [w, vids] of batches) w.post({ type: 'join', vids, at });
      if (k < mine.length) await sleep(Math.max(0, Math.min(50, all[mine[k]] - now)));
    }
    // each participant gives up by itself after joinTimeout; this is a safety net
    const stuck = sleep(this.#o.joinTimeout + 60_000).then(() => 'stuck' as const);
    if ((await Promise.race([Promise.all(done), stuck])) === 'stuck')
      this.log('some joins reported neither admission nor failure');
  }

  /** The host's crowd while the host is in the meeting. */
  #hostEndpoint(): Endpoint | undefined {
    return this.#members.has(-1) ? this.#hostEp : undefined;
  }

  /** `count` departures of this slice's share: random members other than the host. */
  #pick(count: number): { vid: number; userId: string; endpoint: Endpoint }[] {
    const share = sliceArrivals(
      Array.from({ length: count }, (_, i) => i),
      this.#o.segment,
    ).length;
    const candidates = [...this.#members].filter(
      ([vid, m]) => vid >= 0 && !this.#departing.has(m.userId),
    );
    const out: { vid: number; userId: string; endpoint: Endpoint }[] = [];
    for (let i = 0; i < share && candidates.length > 0; i++) {
      const [vid, m] = candidates.splice(Math.floor(Math.random() * candidates.length), 1)[0];
      out.push({ vid, ...m });
    }
    return out;
  }

  /** Announces departures to every crowd (before they happen); resolves when each was rekeyed. */
  #announce(list: { userId: string }[]): Promise<void>[] {
    const at = wallNow();
    const done = list.map(
      (d) => new Promise<void>((r) => this.#departures.set(d.userId, { at, reports: [], done: r })),
    );
    for (const d of list) this.#departing.add(d.userId);
    const departures = list.map((d) => ({ userId: d.userId, at }));
    for (const e of this.#endpoints) e.post({ type: 'departing', departures });
    return done;
  }

  async #awaitDepartures(done: Promise<void>[]): Promise<void> {
    const timeout = sleep(Math.max(60_000, this.#o.joinTimeout));
    await Promise.race([Promise.all(done), timeout]);
  }

  async leave(count: number): Promise<void> {
    const picked = this.#pick(count);
    if (picked.length === 0) return;
    const done = this.#announce(picked);
    const byEndpoint = new Map<Endpoint, number[]>();
    for (const p of picked) {
      byEndpoint.set(p.endpoint, [...(byEndpoint.get(p.endpoint) ?? []), p.vid]);
    }
    for (const [e, vids] of byEndpoint) e.post({ type: 'leave', vids });
    this.log(`${picked.length} leaving`);
    await this.#awaitDepartures(done);
  }

  async remove(count: number): Promise<void> {
    const host = this.#hostEndpoint();
    if (!host) {
      this.log('no host in this slice: removals are done by slice 1');
      return;
    }
    for (const p of this.#pick(count)) {
      const done = this.#announce([p]);
      host.post({ type: 'remove', userIds: [p.userId] });
      this.log(`the host removes ${p.userId}`);
      await this.#awaitDepartures(done);
    }
  }

  async settle(): Promise<void> {
    const deadline = wallNow() + Math.max(120_000, this.#o.joinTimeout);
    let stableSince = wallNow();
    let last: bigint | undefined;
    while (wallNow() < deadline) {
      await sleep(BATCH_MS);
      const live = this.#endpoints.filter((e) => e.members > 0);
      const idle = this.#pendingJoins.size === 0 && this.#departures.size === 0;
      if (live.length === 0 && idle) return; // nobody left to agree
      const epochs = new Set(live.flatMap((e) => [e.minEpoch, e.maxEpoch]));
      const one = epochs.size === 1 ? [...epochs][0] : undefined;
      const calm =
        one !== undefined && this.#pendingJoins.size === 0 && this.#departures.size === 0;
      if (!calm || one !== last) stableSince = wallNow();
      last = one;
      if (calm && wallNow() - stableSince >= 2_000) return;
    }
    this.log('the meeting did not settle (epochs differ or joins/departures pending)');
  }

  sweepPoint(participants: number, from: number): void {
    const metrics: Record<string, Record<string, number>> = {};
    const to = this.elapsed();
    for (const def of METRICS) {
      const s = this.metrics.samples(def.name).filter(([t]) => t >= from && t <= to);
      metrics[def.name] = aggregate(def, s, to - from);
    }
    this.#sweep.push({ participants, metrics });
  }

  // --- probes ------------------------------------------------------------------

  async #measureProbes(probes: Probe[]): Promise<void> {
    const host = this.#hostEndpoint();
    for (const p of probes) {
      try {
        const f = await p.firstFrame();
        this.metrics.add('canopy_probe_first_frame', this.elapsed(), f.firstFrameAt - f.admittedAt);
        if (!host) continue;
        const userId = await p.userId();
        const done = this.#announce([{ userId }]);
        const at = wallNow();
        host.post({ type: 'remove', userIds: [userId] });
        await this.#awaitDepartures(done);
        await sleep(2_000);
        const last = await p.lastDecryptedAt();
        this.metrics.add('canopy_probe_removal_window', this.elapsed(), Math.max(0, last - at));
      } catch (e) {
        this.log(`probe ${p.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  // --- the end -----------------------------------------------------------------

  /** Every member's epoch and security code. */
  async #agreement(): Promise<MemberState[]> {
    this.#stateReplies = [];
    this.#stateWaiting = this.#endpoints.length;
    const done = new Promise<void>((r) => {
      this.#stateDone = r;
    });
    for (const e of this.#endpoints) e.post({ type: 'state' });
    await Promise.race([done, sleep(30_000)]);
    return this.#stateReplies.flat();
  }

  async #finish(): Promise<void> {
    this.#finishing = this.#endpoints.length;
    const done = new Promise<void>((r) => {
      this.#finished = r;
    });
    for (const e of this.#endpoints) e.post({ type: 'finish' });
    await Promise.race([done, sleep(30_000)]);
    for (const d of this.#departures.values()) {
      this.#departuresLost++;
      d.done();
    }
    this.#departures.clear();
  }

  #checks(states: MemberState[]): { name: string; passes: number; fails: number }[] {
    const key = (s: MemberState) => `${s.epoch} ${s.securityCode}`;
    const tally = new Map<string, number>();
    for (const s of states) tally.set(key(s), (tally.get(key(s)) ?? 0) + 1);
    const agreeing = Math.max(0, ...tally.values());
    let removedOk = 0;
    let removedBad = 0;
    for (const [userId, e] of this.#rekeyEpoch) {
      const last = this.#lastEpoch.get(userId);
      if (last === undefined) continue;
      if (last < e) removedOk++;
      else removedBad++;
    }
    return [
      { name: 'every join admitted', passes: this.#admitted, fails: this.#failed },
      {
        name: 'every departure rekeyed the group',
        passes: this.#departuresDone,
        fails: this.#departuresLost,
      },
      {
        name: 'all members share one epoch and security code at the end',
        passes: agreeing,
        fails: states.length - agreeing,
      },
      {
        name: 'a departed member never applied the epoch after its departure',
        passes: removedOk,
        fails: removedBad,
      },
    ];
  }

  /** The runner's resident memory per participant, at the peak. */
  #perParticipant(baseline: number): void {
    let peak: TimelinePoint | undefined;
    for (const p of this.#timeline) if (!peak || p.participants > peak.participants) peak = p;
    if (peak && peak.participants > 0)
      this.metrics.add(
        'canopy_runner_rss_per_participant',
        peak.t,
        Math.max(0, peak.runnerRss - baseline) / peak.participants,
      );
  }

  // --- sampling and progress -------------------------------------------------------

  #startSampling(): { stop(): void } {
    const o = this.#o;
    const proc = this.#target.pid ? new ProcStat(this.#target.pid) : undefined;
    proc?.sample();
    let cpu = process.cpuUsage();
    let at = performance.now();
    let counters: { accepted: number; refused: number; recoveries: number } | undefined;
    let lastMaxEpoch: bigint | undefined;
    let lastProgress = 0;
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const t = this.elapsed();
        const used = process.cpuUsage(cpu);
        const now = performance.now();
        const runnerCpu = ((used.user + used.system) / 1000 / (now - at)) * 100;
        cpu = process.cpuUsage();
        at = now;
        const runnerRss = process.memoryUsage.rss();
        let serverCpu: number | undefined;
        let serverRss: number | undefined;
        const s = proc?.sample();
        if (s) {
          serverCpu = s.cpu;
          serverRss = s.rss;
        }
        // the server's own counters (and, for a remote server, its CPU and memory)
        const scraped = await scrapeMetrics(this.#target.server);
        if (scraped && o.segment.index === 1) {
          const c = {
            accepted: sumSeries(scraped, 'canopy_commits_total', 'result="accepted"'),
            refused: sumSeries(scraped, 'canopy_commits_total', 'result="refused"'),
            recoveries: sumSeries(scraped, 'canopy_recoveries_total'),
          };
          if (counters) {
            if (c.accepted > counters.accepted)
              this.metrics.add('canopy_commits', t, c.accepted - counters.accepted);
            if (c.refused > counters.refused)
              this.metrics.add('canopy_commits_refused', t, c.refused - counters.refused);
            if (c.recoveries > counters.recoveries)
              this.metrics.add('canopy_recoveries', t, c.recoveries - counters.recoveries);
          }
          counters = c;
          this.#serverCounters = true;
        }
        if (scraped && !proc) {
          const cpuSeconds = sumSeries(scraped, 'canopy_process_cpu_seconds_total');
          serverRss = sumSeries(scraped, 'canopy_process_resident_memory_bytes') || undefined;
          serverCpu = this.#remoteCpu(cpuSeconds);
        }
        // without the server's counters: epochs the group went through
        const maxEpoch = this.#maxEpoch();
        if (!this.#serverCounters && o.segment.index === 1 && maxEpoch !== undefined) {
          if (lastMaxEpoch !== undefined && maxEpoch > lastMaxEpoch)
            this.metrics.add('canopy_commits', t, Number(maxEpoch - lastMaxEpoch));
          lastMaxEpoch = maxEpoch;
        }
        const participants = this.members;
        const treeSize = this.#endpoints.reduce((m, e) => Math.max(m, e.treeSize ?? 0), 0);
        this.metrics.add('canopy_participants', t, participants);
        if (treeSize) this.metrics.add('canopy_tree_size', t, treeSize);
        this.metrics.add('canopy_runner_cpu', t, runnerCpu);
        this.metrics.add('canopy_runner_rss', t, runnerRss);
        if (serverCpu !== undefined) this.metrics.add('canopy_server_cpu', t, serverCpu);
        if (serverRss !== undefined) this.metrics.add('canopy_server_rss', t, serverRss);
        this.#timeline.push({
          t,
          participants,
          ...(serverCpu !== undefined ? { serverCpu } : {}),
          ...(serverRss !== undefined ? { serverRss } : {}),
          runnerCpu,
          runnerRss,
        });
        if (o.progressMs > 0 && t - lastProgress >= o.progressMs - 100) {
          lastProgress = t;
          o.print(this.#progress(t, maxEpoch));
          this.#sayNews();
        }
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), 1_000);
    return { stop: () => clearInterval(timer) };
  }

  #lastRemote: { seconds: number; at: number } | undefined;
  #remoteCpu(seconds: number): number | undefined {
    const at = performance.now();
    const last = this.#lastRemote;
    this.#lastRemote = { seconds, at };
    return last ? ((seconds - last.seconds) / ((at - last.at) / 1000)) * 100 : undefined;
  }

  #maxEpoch(): bigint | undefined {
    let max: bigint | undefined;
    for (const e of this.#endpoints)
      if (e.maxEpoch !== undefined && (max === undefined || e.maxEpoch > max)) max = e.maxEpoch;
    return max;
  }

  #progress(t: number, epoch: bigint | undefined): string {
    const p95 = (name: string) => {
      const s = this.metrics.samples(name);
      if (s.length === 0) return '-';
      const v = s.map((x) => x[1]).sort((a, b) => a - b);
      return `${Math.round(v[Math.min(v.length - 1, Math.floor(v.length * 0.95))])}ms`;
    };
    // a thread still busy has not reported its block yet: its silence is its lag
    const silent = (e: Endpoint) => (e === this.#hostEp ? 0 : wallNow() - e.lastBatchAt);
    const lag = Math.max(0, ...this.#endpoints.map((e) => Math.max(e.lagMs, silent(e))));
    const last = this.#timeline.at(-1);
    for (const e of this.#endpoints) e.lagMs = 0;
    return [
      `${(t / 1000).toFixed(0).padStart(4)}s`,
      `members ${this.members}`,
      `joins ok ${this.#admitted} pending ${this.#pendingJoins.size} failed ${this.#failed}`,
      `epoch ${epoch ?? '-'}`,
      `join p95 ${p95('canopy_join_admitted')}`,
      `rekey p95 ${p95('canopy_rekey')}`,
      `max thread lag ${(lag / 1000).toFixed(1)}s`,
      `cpu runner ${Math.round(last?.runnerCpu ?? 0)}%${last?.serverCpu !== undefined ? ` server ${Math.round(last.serverCpu)}%` : ''}`,
    ].join('  ');
  }
}
