// A join storm: N headless participants — the real participant core
// (client/src/participant), real MLS on the native provider, each with its own
// real WebSocket — join one meeting at once, against the real delivery
// service on a loopback HTTP server. Measured: the time until every one is in
// the group, the commits that took, the DS's staggered self-updates that fill
// the tree afterwards, bytes per participant, each participant's own
// processing time (every participant shares this process and its cores, so
// end-to-end times are far longer than on N devices), and then a member's
// update and remove commits on the filled tree.

import { Participant, type ParticipantOptions } from '@canopy/client/participant';
import type { delivery } from '@canopy/server';
import type { CommitOutput, MlsGroup } from '@canopy/shared/mls';
import { type CommitReason, decodeServerFrame, encodeServerFrame } from '@canopy/shared/protocol';
import { startLoopbackDelivery } from './delivery-server.js';

export interface StormOptions {
  readonly n: number;
  /** After-storm update and remove commits measured. */
  readonly runs: number;
  /** DS timings (defaults: the DS's own, except the committer timeout, see below). */
  readonly meeting?: Partial<delivery.MeetingOptions>;
  readonly log?: (line: string) => void;
}

export interface AfterSample {
  readonly bytes: number;
  readonly createMs: number;
  /** Each other member's time to process the commit: the median and the slowest. */
  readonly processMedianMs: number;
  readonly processMaxMs: number;
  /** From the commit's creation until every member applied it (end to end, shared cores). */
  readonly appliedMs: number;
}

export interface StormResult {
  readonly n: number;
  readonly admittedMs: number;
  /** Commits that added members until everyone was in. */
  readonly addCommits: number;
  /** Until the DS's last self-update commit (after the storm) was accepted. */
  readonly filledMs: number;
  readonly updateCommits: number;
  /** 4-leaf blocks the group's leaves span: the most self-updates the DS can ask for. */
  readonly blocks: number;
  /** Sizes of the self-update commits, in order. */
  readonly updateBytes: number[];
  /** Per participant (payload bytes of the DS protocol frames). */
  readonly admittedReceived: number[];
  readonly admittedSent: number[];
  readonly filledReceived: number[];
  readonly filledSent: number[];
  /** Per participant: its own time handling frames (MLS, credentials, commits it made). */
  readonly admittedCpuMs: number[];
  readonly filledCpuMs: number[];
  readonly totalCpuMs: number;
  /** Commits the DS refused and committers it passed over until the tree was filled, by reason. */
  readonly refusals: Record<string, number>;
  readonly after: { update: AfterSample[]; remove1: AfterSample[] };
}

const MEETING = 'bench-storm';
const now = () => performance.now();
const COMMIT_TAG = encodeServerFrame({ type: 'commit', epoch: 0n, message: new Uint8Array(1) })[0];
const REQUEST_TAG = encodeServerFrame({ type: 'commit-request', epoch: 0n, reason: 'update' })[0];

/** The real participant core, metered: bytes in and out, and its own time per frame. */
class MeteredParticipant extends Participant {
  received = 0;
  sent = 0;
  cpuMs = 0;
  /** Time spent on the last commit frame. */
  lastCommitMs = 0;
  lastCreate: { ms: number; bytes: number; at: number } | undefined;

  constructor(options: ParticipantOptions) {
    const counted = (bytes: number) => {
      this.sent += bytes;
    };
    class CountingWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        // a connection the server closes is a finding: say why
        this.addEventListener('close', (ev) => {
          if (ev.code !== 1000 && ev.code !== 1005)
            console.error(`  … ${options.displayName}: closed ${ev.code} ${ev.reason}`);
        });
      }
      override send(data: Parameters<WebSocket['send']>[0]): void {
        counted((data as Uint8Array).byteLength ?? 0);
        super.send(data);
      }
    }
    super({ ...options, WebSocket: CountingWebSocket });
  }

  protected override receive(bytes: Uint8Array): void {
    this.received += bytes.length;
    const t0 = now();
    try {
      super.receive(bytes);
    } finally {
      const dt = now() - t0;
      this.cpuMs += dt;
      if (bytes[0] === COMMIT_TAG) this.lastCommitMs = dt;
    }
  }

  protected override createCommit(group: MlsGroup, reason: CommitReason): CommitOutput {
    const t0 = now();
    const out = super.createCommit(group, reason);
    this.lastCreate = { ms: now() - t0, bytes: out.commit.length, at: now() };
    return out;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function runJoinStorm(o: StormOptions): Promise<StormResult> {
  const log = o.log ?? (() => {});
  /** The highest epoch the DS asked anyone to commit in (seen as it sends the request). */
  let requestedEpoch = -1n;
  const d = await startLoopbackDelivery({
    maxConnections: o.n + 64,
    observe: (bytes) => {
      if (bytes[0] !== REQUEST_TAG) return;
      const f = decodeServerFrame(bytes);
      if (f.type === 'commit-request' && f.epoch > requestedEpoch) requestedEpoch = f.epoch;
    },
    meeting: {
      maxParticipants: o.n + 64,
      // A named committer here waits behind every other participant's work on
      // the shared cores; the DS's 3 s would pass over healthy committers.
      committerTimeoutMs: 600_000,
      ...o.meeting,
    },
  });
  const commits: delivery.DeliveryEvents['commit-accepted'][0][] = [];
  let lastCommitAt = now();
  d.ds.on('commit-accepted', (e) => {
    commits.push(e);
    lastCommitAt = now();
  });
  /** Refused commits and passed-over committers, by reason (a healthy storm has none). */
  const refusals: Record<string, number> = {};
  d.ds.on('commit-refused', (e) => {
    refusals[`refused: ${e.reason}`] = (refusals[`refused: ${e.reason}`] ?? 0) + 1;
  });
  d.ds.on('committer-passed-over', (e) => {
    refusals[`passed over: ${e.why}`] = (refusals[`passed over: ${e.why}`] ?? 0) + 1;
  });
  let failure: Error | undefined;
  d.ds.on('recovery', (e) => {
    failure ??= new Error(`a member could not process the ${e.subject} of epoch ${e.epoch}`);
  });
  const ps: MeteredParticipant[] = [];
  const every = (f: (p: MeteredParticipant) => number) => ps.map(f);
  /** All in one epoch, the DS asked nobody to commit in it, and no commit for `quietMs`. */
  const quiet = async (quietMs = 1_500, ms = 3_600_000): Promise<void> => {
    const deadline = Date.now() + ms;
    let since = now();
    for (;;) {
      if (failure) throw failure;
      const e = ps[0].epoch;
      const calm =
        e !== undefined &&
        e === d.ds.meeting(MEETING)?.epoch &&
        requestedEpoch < e &&
        ps.every((p) => p.epoch === e);
      if (!calm) since = now();
      else if (now() - since >= quietMs && now() - lastCommitAt >= quietMs) {
        // the DS handles a meeting's frames and timers one per turn of the event
        // loop: a self-update it decided on may still wait behind everyone's acks
        await d.ds.meeting(MEETING)?.idle();
        if (requestedEpoch < e && d.ds.meeting(MEETING)?.epoch === e) return;
        since = now();
      }
      if (Date.now() > deadline) throw new Error('the meeting never settled');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    // 1. the storm
    const t0 = now();
    for (let i = 0; i < o.n; i++)
      ps.push(
        new MeteredParticipant({
          url: d.url,
          token: d.links.issue(MEETING),
          displayName: `p${i}`,
          asPublicKey: d.as.publicKey,
          suite: d.suite,
        }),
      );
    let joined = 0;
    await Promise.all(
      ps.map((p) =>
        p.connect().then(() => {
          if (++joined % 100 === 0) log(`${joined}/${o.n} admitted`);
        }),
      ),
    );
    const admittedMs = now() - t0;
    const addCommits = commits.filter((c) => c.added > 0).length;
    const admittedReceived = every((p) => p.received);
    const admittedSent = every((p) => p.sent);
    const admittedCpuMs = every((p) => p.cpuMs);
    log(`all ${o.n} admitted in ${(admittedMs / 1000).toFixed(1)} s; filling the tree`);

    // 2. the DS's self-updates fill the tree. On a loaded machine the DS's next
    // request has come 1.7 s after a commit although its delay is 50 ms: 5 s of
    // calm before calling the tree filled (updateCommits shows a shortfall).
    await quiet(5_000);
    const filledMs = lastCommitAt - t0;
    const updates = commits.filter((c) => c.added === 0 && c.removed === 0);
    const filledReceived = every((p) => p.received);
    const filledSent = every((p) => p.sent);
    const filledCpuMs = every((p) => p.cpuMs);
    const stormRefusals = { ...refusals };
    log(`tree filled after ${(filledMs / 1000).toFixed(1)} s (${updates.length} self-updates)`);

    // 3. a member's update and remove commits on the filled tree
    const after: StormResult['after'] = { update: [], remove1: [] };
    let seed = 7;
    const pick = () => {
      seed = (seed * 7919 + 13) % 1_000_003;
      return ps[seed % ps.length];
    };
    const sample = async (start: () => void): Promise<AfterSample> => {
      const epoch = ps[0].epoch!;
      const t = now();
      start();
      const live = () => ps.filter((p) => p.epoch !== undefined);
      while (!live().every((p) => p.epoch! > epoch)) {
        if (failure) throw failure;
        if (now() - t > 3_600_000) throw new Error('a commit was never applied');
        await new Promise((r) => setTimeout(r, 5));
      }
      const appliedMs = now() - t;
      const committer = ps
        .filter((p) => p.lastCreate && p.lastCreate.at >= t)
        .sort((a, b) => a.lastCreate!.at - b.lastCreate!.at)[0];
      if (!committer) throw new Error('no committer seen');
      const others = live().filter((p) => p !== committer);
      const processing = others.map((p) => p.lastCommitMs);
      return {
        bytes: committer.lastCreate!.bytes,
        createMs: committer.lastCreate!.ms,
        processMedianMs: median(processing),
        processMaxMs: Math.max(...processing),
        appliedMs,
      };
    };
    for (let r = 0; r < o.runs; r++) {
      const u = pick();
      after.update.push(await sample(() => u.update()));
      await quiet(500);
      const leaver = pick();
      after.remove1.push(
        await sample(() => {
          leaver.leave();
          ps.splice(ps.indexOf(leaver), 1);
        }),
      );
      await quiet(500); // the DS refreshes the leaver's block with a self-update
      log(`after-storm round ${r + 1}/${o.runs}`);
    }
    const totalCpuMs = filledCpuMs.reduce((s, x) => s + x, 0);
    return {
      n: o.n,
      admittedMs,
      addCommits,
      filledMs,
      updateCommits: updates.length,
      blocks: Math.ceil(o.n / 4),
      updateBytes: updates.map((c) => c.bytes),
      admittedReceived,
      admittedSent,
      filledReceived,
      filledSent,
      admittedCpuMs,
      filledCpuMs,
      totalCpuMs,
      refusals: stormRefusals,
      after,
    };
  } finally {
    for (const p of ps) p.disconnect();
    await d.close();
  }
}
