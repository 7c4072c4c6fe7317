/**
 * A crowd: the virtual participants of one thread. Each is the real
 * participant core (client/src/participant: real MLS on Node's native crypto,
 * its own real WebSocket), metered: messages and bytes both ways, join →
 * admitted, DS send → commit received. A crowd watches the departures the
 * coordinator announces and reports when its last member applied an epoch
 * without the departed (and got the switch to it); it batches everything to
 * the coordinator every `batchMs`, never per event.
 *
 * A host crowd (one host, in the main thread) admits everyone who waits in
 * the lobby and performs removals.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type EpochInfo, Participant } from '@canopy/client/participant';
import { nodeProvider } from '@canopy/server/crypto';
import { getCipherSuite } from '@canopy/shared/crypto';
import { sharedVerifyProvider } from './shared-verify.js';
import type { Sample } from './types.js';
import type { CrowdConfig, Departure, DepartureReport, FromCrowd, ToCrowd } from './wire.js';

const wallNow = () => performance.timeOrigin + performance.now();

interface Member {
  readonly vid: number;
  readonly p: Participant;
  userId?: string;
  inGroup: boolean;
  leaving: boolean;
  gone: boolean;
  lastEpoch?: bigint;
  bytesReceived: number;
  msgsReceived: number;
  /** How its WebSocket closed (code and reason), once it did. */
  closed?: string;
}

/**
 * Frames the thread's participants received, handled in arrival order a few
 * milliseconds at a time. A real client's network stack answers the server's
 * pings while its MLS work waits; here hundreds of members share one event
 * loop, and handling every ready socket's frames in one turn would hold
 * pongs and timers back for minutes. The wait in this queue is each member's
 * processing delay, reported as the thread's lag.
 */
class Inbox {
  #queue: { at: number; run: () => void }[] = [];
  #head = 0;
  #scheduled = false;
  /** The longest a frame waited here since the last reset, ms. */
  maxWait = 0;

  push(run: () => void): void {
    this.#queue.push({ at: performance.now(), run });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    const until = performance.now() + 10;
    while (this.#head < this.#queue.length && performance.now() < until) {
      const next = this.#queue[this.#head++];
      this.maxWait = Math.max(this.maxWait, performance.now() - next.at);
      next.run();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head < this.#queue.length) setImmediate(() => this.#drain());
    else this.#scheduled = false;
  }
}

/** Routes a WebSocket's `on<event>` handler through the inbox (same order, later). */
function deferHandler(ws: WebSocket, event: 'onmessage' | 'onclose', inbox: Inbox): void {
  const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, event);
  if (!d?.set || !d.get) return;
  const { get, set } = d;
  Object.defineProperty(ws, event, {
    configurable: true,
    get: () => get.call(ws),
    set: (h: ((ev: Event) => void) | null) =>
      set.call(ws, h && ((ev: Event) => inbox.push(() => h.call(ws, ev)))),
  });
}

/** One announced departure, as this crowd sees it. */
interface Watch {
  readonly d: Departure;
  /** Members that have not yet applied an epoch without the departed. */
  readonly waiting: Set<Member>;
  /** Members that applied it and wait for the switch to it (member → that epoch). */
  readonly switching: Map<Member, bigint>;
  epoch?: bigint;
  appliedAt?: number;
  switchedAt?: number;
}

export class Crowd {
  readonly #config: CrowdConfig;
  readonly #send: (m: FromCrowd) => void;
  readonly #suite;
  readonly #asKey: Uint8Array;
  readonly #members = new Map<number, Member>();
  readonly #watches = new Map<string, Watch>();
  readonly #timer: NodeJS.Timeout;
  /** Event-loop delay: a busy thread answers neither the DS nor its heartbeats. */
  readonly #lag = monitorEventLoopDelay({ resolution: 20 });
  readonly #inbox = new Inbox();
  /** Host crowds: lobby entries already admitted. */
  readonly #admitted = new Set<string>();
  // what the next batch carries
  #samples: Record<string, Sample[]> = {};
  #joined: { vid: number; userId: string }[] = [];
  #failed: { vid: number; error: string }[] = [];
  #gone: { vid: number; why: string }[] = [];
  #departed: { userId: string; lastEpoch: string }[] = [];
  #rekeyed: DepartureReport[] = [];
  readonly #counts = { msgsSent: 0, msgsReceived: 0, bytesSent: 0, bytesReceived: 0 };

  constructor(config: CrowdConfig, send: (m: FromCrowd) => void) {
    this.#config = config;
    this.#suite = getCipherSuite(
      1,
      config.sharedVerify ? sharedVerifyProvider(nodeProvider) : nodeProvider,
    );
    this.#send = send;
    this.#asKey = new Uint8Array(Buffer.from(config.asKey, 'base64url'));
    this.#timer = setInterval(() => this.flush(), config.batchMs);
    this.#lag.enable();
    setImmediate(() => this.flush()); // ready
  }

  /** The first member (the host of a host crowd). */
  get first(): Participant | undefined {
    return this.#members.values().next().value?.p;
  }

  handle(m: ToCrowd): void {
    switch (m.type) {
      case 'join':
        for (const vid of m.vids) this.#join(vid, m.at);
        return;
      case 'leave':
        for (const vid of m.vids) {
          const member = this.#members.get(vid);
          if (!member || member.gone) continue;
          member.leaving = true;
          member.p.leave();
        }
        return;
      case 'remove':
        for (const userId of m.userIds) this.first?.remove(userId);
        return;
      case 'departing':
        for (const d of m.departures) this.#watch(d);
        return;
      case 'state':
        this.#send({
          type: 'state',
          members: [...this.#members.values()]
            .filter((x) => x.inGroup && x.p.current)
            .map((x) => ({
              vid: x.vid,
              epoch: String(x.p.current!.epoch),
              securityCode: x.p.current!.securityCode,
            })),
        });
        return;
      case 'finish':
        for (const member of this.#members.values()) {
          this.#stayed(member);
          member.gone = true;
          member.p.disconnect();
        }
        this.flush();
        clearInterval(this.#timer);
        this.#lag.disable();
        this.#send({ type: 'finished' });
        return;
    }
  }

  #sample(metric: string, v: number, at = wallNow()): void {
    const list = this.#samples[metric] ?? [];
    this.#samples[metric] = list;
    list.push([at - this.#config.origin, v]);
  }

  #join(vid: number, at: number): void {
    const counts = this.#counts;
    const inbox = this.#inbox;
    const member: Member = {
      vid,
      p: undefined as unknown as Participant,
      inGroup: false,
      leaving: false,
      gone: false,
      bytesReceived: 0,
      msgsReceived: 0,
    };
    /** The global WebSocket, metered: every message and byte both ways. */
    class MeteredWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        deferHandler(this, 'onmessage', inbox);
        deferHandler(this, 'onclose', inbox);
        this.addEventListener('close', (ev: CloseEvent) => {
          member.closed = `${ev.code}${ev.reason ? ` ${ev.reason}` : ''}`;
        });
        this.addEventListener('message', (ev: MessageEvent) => {
          const n = ev.data instanceof ArrayBuffer ? ev.data.byteLength : String(ev.data).length;
          counts.msgsReceived++;
          counts.bytesReceived += n;
          member.msgsReceived++;
          member.bytesReceived += n;
        });
      }
      override send(data: Parameters<WebSocket['send']>[0]): void {
        counts.msgsSent++;
        counts.bytesSent += (data as Uint8Array).byteLength ?? 0;
        super.send(data);
      }
    }
    const p = new Participant({
      url: this.#config.url,
      token: this.#config.token,
      displayName: `${this.#config.prefix}${vid}`,
      asPublicKey: this.#asKey,
      suite: this.#suite,
      WebSocket: MeteredWebSocket,
    });
    (member as { p: Participant }).p = p;
    this.#members.set(vid, member);
    p.on('identity', (id) => {
      member.userId = id.userId;
    });
    p.on('commit-received', (e) => {
      if (e.sentAt !== undefined) this.#sample('canopy_commit_fanout', wallNow() - e.sentAt);
    });
    p.on('epoch', (info) => this.#onEpoch(member, info));
    p.on('switch', (e) => this.#onSwitch(member, e.epoch));
    p.on('refused', () => this.#sample('canopy_commits_refused', 1));
    p.on('rejected', (e) => {
      // a commit or Welcome it could not process: it reports, the DS re-adds it
      if (e.what === 'commit' || e.what === 'welcome') this.#sample('canopy_recoveries', 1);
    });
    p.on('removed', ({ reason }) => this.#leftGroup(member, reason));
    p.on('closed', () => this.#leftGroup(member, `connection closed (${member.closed ?? '?'})`));
    if (this.#config.host)
      p.on('lobby-list', (entries) => {
        const waiting = new Set(entries.map((e) => e.userId));
        for (const id of this.#admitted) if (!waiting.has(id)) this.#admitted.delete(id);
        for (const id of waiting) {
          if (this.#admitted.has(id)) continue;
          this.#admitted.add(id);
          p.admit(id);
        }
      });
    // not admitted in time: it gives up (one outcome per participant: admitted or failed)
    let gaveUp = false;
    const deadline = setTimeout(
      () => {
        gaveUp = true;
        p.disconnect();
      },
      Math.max(0, at + this.#config.joinTimeout - wallNow()),
    );
    p.connect().then(
      () => {
        clearTimeout(deadline);
        member.inGroup = true;
        const t = wallNow();
        // the host's own join is not one of the scenario's arrivals
        if (!this.#config.host) {
          this.#sample('canopy_join_admitted', t - at, t);
          this.#sample('canopy_join_failed', 0, t);
        }
        this.#joined.push({ vid, userId: member.userId! });
      },
      (e: unknown) => {
        clearTimeout(deadline);
        this.#sample('canopy_join_failed', 1);
        const why = gaveUp
          ? `not admitted within ${this.#config.joinTimeout / 1000} s`
          : e instanceof Error
            ? e.message
            : String(e);
        this.#failed.push({ vid, error: member.closed ? `${why} (${member.closed})` : why });
        this.#leftGroup(member, 'join failed');
      },
    );
  }

  /** Per-participant totals over its stay. */
  #stayed(member: Member): void {
    if (member.gone) return;
    this.#sample('canopy_participant_data_received', member.bytesReceived);
    this.#sample('canopy_participant_msgs_received', member.msgsReceived);
  }

  #leftGroup(member: Member, why: string): void {
    if (member.gone) return;
    this.#stayed(member);
    member.gone = true;
    const wasIn = member.inGroup;
    member.inGroup = false;
    if (wasIn) this.#gone.push({ vid: member.vid, why });
    if (member.userId && member.lastEpoch !== undefined)
      this.#departed.push({ userId: member.userId, lastEpoch: String(member.lastEpoch) });
    for (const w of this.#watches.values()) {
      w.waiting.delete(member);
      w.switching.delete(member);
      this.#check(w);
    }
  }

  #watch(d: Departure): void {
    if (this.#watches.has(d.userId)) return;
    const w: Watch = { d, waiting: new Set(), switching: new Map() };
    this.#watches.set(d.userId, w);
    for (const m of this.#members.values()) {
      if (!m.inGroup || m.leaving || m.userId === d.userId || !m.p.current) continue;
      const info = m.p.current;
      // already past it (the announcement lost the race): counted from now
      if (!info.roster.some((r) => r.userId === d.userId)) this.#passed(w, m, info.epoch);
      else w.waiting.add(m);
    }
    this.#check(w);
  }

  #passed(w: Watch, m: Member, epoch: bigint): void {
    const t = wallNow();
    w.waiting.delete(m);
    if (w.epoch === undefined || epoch < w.epoch) w.epoch = epoch;
    w.appliedAt = Math.max(w.appliedAt ?? 0, t);
    w.switching.set(m, epoch);
  }

  #onEpoch(member: Member, info: EpochInfo): void {
    member.lastEpoch = info.epoch;
    for (const w of this.#watches.values()) {
      if (!w.waiting.has(member)) continue;
      if (info.roster.some((r) => r.userId === w.d.userId)) continue;
      this.#passed(w, member, info.epoch);
      this.#check(w);
    }
  }

  #onSwitch(member: Member, epoch: bigint): void {
    for (const w of this.#watches.values()) {
      const e = w.switching.get(member);
      if (e === undefined || epoch < e) continue;
      w.switching.delete(member);
      w.switchedAt = Math.max(w.switchedAt ?? 0, wallNow());
      this.#check(w);
    }
  }

  #check(w: Watch): void {
    if (w.waiting.size > 0 || w.switching.size > 0) return;
    this.#watches.delete(w.d.userId);
    this.#rekeyed.push({
      userId: w.d.userId,
      ...(w.epoch !== undefined ? { epoch: String(w.epoch) } : {}),
      ...(w.appliedAt !== undefined ? { appliedAt: w.appliedAt } : {}),
      ...(w.switchedAt !== undefined ? { switchedAt: w.switchedAt } : {}),
    });
  }

  /** Sends what was collected since the last batch. */
  flush(): void {
    const c = this.#counts;
    const t = wallNow();
    if (c.msgsSent) this.#sample('canopy_ws_msgs_sent', c.msgsSent, t);
    if (c.msgsReceived) this.#sample('canopy_ws_msgs_received', c.msgsReceived, t);
    if (c.bytesSent) this.#sample('canopy_data_sent', c.bytesSent, t);
    if (c.bytesReceived) this.#sample('canopy_data_received', c.bytesReceived, t);
    // reset in place: every member's metered WebSocket holds this object
    c.msgsSent = 0;
    c.msgsReceived = 0;
    c.bytesSent = 0;
    c.bytesReceived = 0;
    let members = 0;
    let min: bigint | undefined;
    let max: bigint | undefined;
    let treeSize: number | undefined;
    for (const m of this.#members.values()) {
      const e = m.inGroup ? m.p.current : undefined;
      if (!e) continue;
      members++;
      if (min === undefined || e.epoch < min) min = e.epoch;
      if (max === undefined || e.epoch > max) max = e.epoch;
      if (treeSize === undefined && e.epoch === max)
        treeSize = e.roster.reduce((n, r) => Math.max(n, r.leafIndex + 1), 0);
    }
    this.#send({
      type: 'batch',
      samples: this.#samples,
      joined: this.#joined,
      failed: this.#failed,
      gone: this.#gone,
      departed: this.#departed,
      rekeyed: this.#rekeyed,
      members,
      lagMs: Math.max(this.#lag.max / 1e6, this.#inbox.maxWait),
      ...(min !== undefined ? { minEpoch: String(min), maxEpoch: String(max) } : {}),
      ...(treeSize !== undefined ? { treeSize } : {}),
    });
    this.#lag.reset();
    this.#inbox.maxWait = 0;
    this.#samples = {};
    this.#joined = [];
    this.#failed = [];
    this.#gone = [];
    this.#departed = [];
    this.#rekeyed = [];
  }
}
