// The delivery service's cost per commit at N members: the real DS
// (DeliveryService → MeetingGroup: frame decode, commit checks,
// GroupValidator.process, the new GroupInfo, one encoded frame sent to every
// member) fanning out to N real WebSocket connections on loopback.
//
// What is real and what is simulated:
// - Real: the DS and its signaling server (server/src/delivery, signaling);
//   one real WebSocket per member, the client ends in a child process
//   (delivery-sink.ts) that counts what arrives; the creator A and the first
//   joiner B are full MLS members (B joins from the DS's Welcome and served
//   tree) and process every commit, so a wrong commit cannot go unnoticed.
// - Simulated: the other members hold no MLS state. Each has its own
//   signature key and the credential the DS's Authentication Service issued it
//   (from its hello), and sends its own KeyPackage; when it must commit (named
//   by the DS, or a self-update), the commit is made from A's epoch state seen
//   from its leaf (as in canopy-mls-scenario.ts): exactly what a real member
//   holds for that purpose. Members' frames to the DS (hello, KeyPackage,
//   commits, acks) are handed to the DS in-process (DeliveryService.attach),
//   not over their socket; only the DS → members direction, the fan-out,
//   goes over the sockets.
// - While the group is built (batched adds, as a join storm would) and
//   populated, the DS's sends are not put on the sockets (they are not open
//   yet): a 10,000-member build would otherwise push tens of GB through
//   loopback. Populating: every fourth member commits a self-update once, in
//   bit-reversed leaf order (as canopy-mls-scenario.ts), sent unsolicited (the
//   DS accepts any valid commit for its epoch), with the DS's own staggered
//   self-updates turned off so the order is the bench's.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { delivery, signaling } from '@canopy/server';
import { type CanopyIdentity, identityCredentialValidator } from '@canopy/shared/identity';
import {
  type ClientIdentity,
  type CommitOutput,
  type Credential,
  encodeExternalSenders,
  encodeRequiredCapabilities,
  GroupValidator,
  generateKeyPackage,
  type KeyPackageBundle,
  MlsGroup,
} from '@canopy/shared/mls';
import {
  type ClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  type ServerFrame,
} from '@canopy/shared/protocol';
import { type LoopbackDelivery, startLoopbackDelivery } from './delivery-server.js';
import type { SinkReply, SinkRequest } from './delivery-sink.js';

export const FANOUT_OPS = ['update', 'add1', 'remove1'] as const;
export type FanoutOp = (typeof FANOUT_OPS)[number];

export interface FanoutOptions {
  /** Members in the group (the creator included). */
  readonly n: number;
  /** Rounds of FANOUT_OPS (the medians are over these). */
  readonly runs: number;
  /** Members added per commit while building. Default 100. */
  readonly batch?: number;
  /** Fill the tree's parent nodes first (every fourth member commits once). Default true. */
  readonly populate?: boolean;
  /** Progress lines (building, populating). */
  readonly log?: (line: string) => void;
}

export interface FanoutSample {
  /** The commit, in bytes. */
  readonly bytes: number;
  /** The committing member creating it (ms). */
  readonly createMs: number;
  /** GroupValidator.process on the commit, alone: the same code, on a copy of the DS's validator. */
  readonly validateMs: number;
  /** The DS's own measure, from its commit-accepted event: checks, validate, GroupInfo, encode once, N sends. */
  readonly dsMs: number;
  /** From handing the commit to the DS until every member socket received it. */
  readonly deliveredMs: number;
  /** Every member's acknowledgement handed to the DS until it announced the media switch. */
  readonly acksMs: number;
  /** ...until every member socket received the switch. */
  readonly switchDeliveredMs: number;
}

export interface FanoutResult {
  readonly n: number;
  /** Real member sockets at the end (removals close theirs). */
  readonly sockets: number;
  readonly buildMs: number;
  readonly populateMs?: number;
  readonly samples: Record<FanoutOp, FanoutSample[]>;
  /** Bytes the member sockets received during the measured rounds, per socket. */
  readonly bytesPerSocket: number;
}

const MEETING = 'bench-fanout';
/** The external sender credential the group names the DS with (the DS checks only its key). */
const DS_CREDENTIAL: Credential = {
  type: 'basic',
  identity: new TextEncoder().encode('canopy-delivery-service'),
};
const now = () => performance.now();
const tagOf = (f: ServerFrame) => encodeServerFrame(f)[0];
const TAG = {
  identity: tagOf({
    type: 'identity',
    meetingId: 'm',
    userId: 'u',
    displayName: 'd',
    role: 'participant',
    credential: { type: 'basic', identity: new Uint8Array(1) },
    externalSenderKey: new Uint8Array(32),
  }),
  createGroup: tagOf({ type: 'create-group' }),
  proposal: tagOf({ type: 'proposal', message: new Uint8Array(1) }),
  commitRequest: tagOf({ type: 'commit-request', epoch: 0n, reason: 'update' }),
  commit: tagOf({ type: 'commit', epoch: 0n, message: new Uint8Array(1) }),
  welcome: tagOf({
    type: 'welcome',
    epoch: 0n,
    welcome: new Uint8Array(1),
    ratchetTree: new Uint8Array(1),
  }),
  switch: tagOf({ type: 'switch', epoch: 0n }),
  refused: tagOf({ type: 'refused', epoch: 0n, reason: 'x' }),
  error: tagOf({ type: 'error', code: 'x', message: 'x', fatal: true }),
};

/** One member as the DS sees it: a connection, a signature key, an AS credential. */
interface Member {
  readonly index: number;
  readonly signaturePrivateKey: Uint8Array;
  readonly signaturePublicKey: Uint8Array;
  endpoint?: delivery.DeliveryEndpoint;
  client?: ClientIdentity;
  identity?: CanopyIdentity;
  bundle?: KeyPackageBundle;
  /** The server end of its WebSocket, once the sockets are open. */
  socket?: signaling.SignalingConnection;
  leaf?: number;
  gone: boolean;
}

/** The child process holding the members' sockets. */
class Sink {
  readonly #child: ChildProcess;
  readonly #waiters = new Map<string, (m: SinkReply) => void>();
  #failure: Error | undefined;
  #id = 0;

  constructor() {
    const path = fileURLToPath(new URL('./delivery-sink.ts', import.meta.url));
    this.#child = fork(path, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (raw) => {
      const m = raw as SinkReply;
      if (m.type === 'failed') this.#failure = new Error(`sink: ${m.message}`);
      const key = 'id' in m ? `${m.type}:${m.id}` : m.type;
      const w = this.#waiters.get(key);
      if (w) {
        this.#waiters.delete(key);
        w(m);
      }
    });
  }

  #ask(request: SinkRequest, key: string, ms = 300_000): Promise<SinkReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(this.#failure ?? new Error(`sink: no ${key}`)),
        ms,
      ).unref();
      this.#waiters.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      if (this.#failure) reject(this.#failure);
      else this.#child.send(request);
    });
  }

  async open(url: string, count: number): Promise<void> {
    await this.#ask({ type: 'open', url, count, concurrency: 256 }, 'opened');
    if (this.#failure) throw this.#failure;
  }

  /** Arms a count of `count` frames of type `tag`; resolves when armed, with the wait for them. */
  async expect(tag: number, count: number): Promise<{ reached: Promise<unknown> }> {
    const id = ++this.#id;
    const reached = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sink: ${count} frames of ${tag} never arrived`)),
        300_000,
      ).unref();
      this.#waiters.set(`reached:${id}`, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    await this.#ask({ type: 'expect', id, tag, count }, `armed:${id}`);
    return { reached }; // not the promise itself: an async function would wait for it
  }

  async stats(): Promise<{ bytes: number; frames: number; open: number }> {
    const m = await this.#ask({ type: 'stats' }, 'stats');
    if (m.type !== 'stats') throw new Error('sink: bad stats');
    return m;
  }

  close(): void {
    if (this.#child.connected) this.#child.send({ type: 'close' } satisfies SinkRequest);
    setTimeout(() => this.#child.kill(), 2_000).unref();
  }
}

/** Waits until `pred` holds (polls; the DS and the driver run meanwhile). */
async function until(
  pred: () => boolean,
  what: string,
  failure: () => Error | undefined,
  ms = 600_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    const f = failure();
    if (f) throw f;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Resolves as `p` does, or rejects as soon as the driver failed. */
async function guarded<T>(
  p: Promise<T>,
  what: string,
  failure: () => Error | undefined,
): Promise<T> {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      settled = true;
      value = v;
    },
    (e: unknown) => {
      settled = true;
      error = e ?? new Error(what);
    },
  );
  await until(() => settled, what, failure);
  if (error !== undefined) throw error;
  return value as T;
}

function bitReversedOrder(leaves: number[], nLeaves: number): number[] {
  const bits = Math.max(1, Math.ceil(Math.log2(nLeaves)));
  const reversed = (x: number) => {
    let r = 0;
    for (let i = 0; i < bits; i++) r = (r << 1) | ((x >> i) & 1);
    return r;
  };
  return [...leaves].sort((x, y) => reversed(x) - reversed(y));
}

/** Drives the DS with members (see the top of this file); owns A, B and the validator copy. */
class Driver {
  readonly members: Member[] = [];
  readonly byUser = new Map<string, Member>();
  a: MlsGroup | undefined;
  b: MlsGroup | undefined;
  aMember: Member | undefined;
  bMember: Member | undefined;
  /** A copy of the DS's validator, fed the same messages, to time GroupValidator.process alone. */
  mirror: GroupValidator | undefined;
  lastValidateMs = 0;
  failure: Error | undefined;
  /** Frames waiting for the driver; held while a measurement is under way. */
  readonly #queue: { m: Member; bytes: Uint8Array }[] = [];
  #held = false;
  #scheduled = false;
  /** A measurement waits for the next commit request instead of it being answered. */
  #requestWaiter: ((m: Member) => void) | undefined;
  #live = false;

  constructor(readonly d: LoopbackDelivery) {
    d.ds.on('admitted', (e) => {
      const m = this.byUser.get(e.userId);
      if (m) m.leaf = e.leaf;
    });
    d.ds.on('departed', (e) => {
      const m = this.byUser.get(e.userId);
      if (m) m.leaf = undefined;
    });
    d.ds.on('commit-refused', (e) => {
      this.failure ??= new Error(`the DS refused a commit: ${e.reason}`);
    });
    d.ds.on('rejected', (e) => {
      this.failure ??= new Error(`the DS rejected a frame: ${e.reason}`);
    });
  }

  get suite() {
    return this.d.suite;
  }

  #groupOptions() {
    return {
      validateCredential: identityCredentialValidator(this.suite, this.d.as.publicKey, MEETING),
    };
  }

  /** A new member connects (in-process) and says hello; the driver answers with its KeyPackage. */
  join(): Member {
    const signaturePrivateKey = this.suite.signature.generatePrivateKey();
    const m: Member = {
      index: this.members.length,
      signaturePrivateKey,
      signaturePublicKey: this.suite.signature.publicKey(signaturePrivateKey),
      gone: false,
    };
    this.members.push(m);
    m.endpoint = this.d.ds.attach({
      id: `member-${m.index}`,
      send: (bytes) => this.#deliver(m, bytes),
      close: () => {
        m.gone = true;
        m.socket?.close(1000, 'closed by the DS');
      },
    });
    this.#send(m, {
      type: 'hello',
      token: this.d.links.issue(MEETING),
      displayName: `member ${m.index}`,
      signatureKey: m.signaturePublicKey,
    });
    return m;
  }

  #send(m: Member, f: ClientFrame): void {
    m.endpoint!.frame(encodeClientFrame(f));
  }

  /** The DS sends `bytes` to `m`: onto its socket when open; to the driver when it must act. */
  #deliver(m: Member, bytes: Uint8Array): void {
    if (this.#live && m.socket && !m.gone) m.socket.sendBinary(bytes);
    const tag = bytes[0];
    const mine = m === this.aMember || m === this.bMember;
    if (
      mine ||
      tag === TAG.identity ||
      tag === TAG.createGroup ||
      tag === TAG.commitRequest ||
      tag === TAG.refused ||
      tag === TAG.error
    ) {
      this.#queue.push({ m, bytes });
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#held) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#held && this.#queue.length > 0) {
      const { m, bytes } = this.#queue.shift()!;
      try {
        this.#handle(m, decodeServerFrame(bytes));
      } catch (e) {
        this.failure ??= e instanceof Error ? e : new Error(String(e));
      }
    }
  }

  hold(): void {
    this.#held = true;
  }
  release(): void {
    this.#held = false;
    this.#schedule();
  }
  get idle(): boolean {
    return this.#queue.length === 0;
  }
  goLive(): void {
    this.#live = true;
  }

  /** Resolves with the next member the DS names to commit (instead of answering it). */
  nextCommitRequest(): Promise<Member> {
    return new Promise((r) => {
      this.#requestWaiter = r;
    });
  }

  #handle(m: Member, f: ServerFrame): void {
    switch (f.type) {
      case 'identity': {
        m.identity = {
          meetingId: f.meetingId,
          userId: f.userId,
          displayName: f.displayName,
          role: f.role,
        };
        this.byUser.set(f.userId, m);
        m.client = {
          credential: f.credential,
          signaturePrivateKey: m.signaturePrivateKey,
          signaturePublicKey: m.signaturePublicKey,
        };
        m.bundle = generateKeyPackage(this.suite, m.client);
        this.#send(m, { type: 'key-package', keyPackage: m.bundle.message });
        return;
      }
      case 'create-group': {
        this.a = MlsGroup.create({
          suite: this.suite,
          identity: m.client!,
          extensions: [
            encodeExternalSenders([
              { signatureKey: this.d.ds.externalSenderKey, credential: DS_CREDENTIAL },
            ]),
            encodeRequiredCapabilities({
              extensionTypes: [],
              proposalTypes: [],
              credentialTypes: [1],
            }),
          ],
          ...this.#groupOptions(),
        });
        this.aMember = m;
        this.#send(m, {
          type: 'group-create',
          groupInfo: this.a.groupInfo(),
          ratchetTree: this.a.ratchetTree(),
        });
        return;
      }
      case 'proposal':
        if (m === this.aMember) {
          this.a!.process(f.message);
          this.mirror?.process(f.message);
        } else if (m === this.bMember) this.b?.process(f.message);
        return;
      case 'commit-request': {
        if (this.#requestWaiter) {
          const w = this.#requestWaiter;
          this.#requestWaiter = undefined;
          w(m);
          return;
        }
        this.submit(m, this.commitFor(m, f.reason));
        return;
      }
      case 'commit':
        if (m === this.aMember) {
          this.a!.process(f.message);
          if (this.mirror) {
            const t0 = now();
            this.mirror.process(f.message);
            this.lastValidateMs = now() - t0;
          }
        } else if (m === this.bMember) this.b?.process(f.message);
        return;
      case 'welcome':
        if (m === this.bMember && !this.b)
          this.b = MlsGroup.joinFromWelcome(f.welcome, m.bundle!, this.suite, {
            ...this.#groupOptions(),
            ratchetTree: f.ratchetTree,
          });
        return;
      case 'refused':
        throw new Error(`commit refused: ${f.reason}`);
      case 'error':
        throw new Error(`DS error to member ${m.index}: ${f.code} ${f.message}`);
      default:
        return;
    }
  }

  /** The commit `m` makes when named (or for a self-update): A's own, or from A's state at m's leaf. */
  commitFor(m: Member, reason: 'proposals' | 'update'): CommitOutput {
    const options = {
      path: reason === 'update' ? ('always' as const) : ('when-required' as const),
      ratchetTreeInWelcome: false,
    };
    if (m === this.aMember) return this.a!.commit(options);
    return this.simulated(m).commit(options);
  }

  /** A member's view of A's current epoch, from its own leaf (canopy-mls-scenario.ts). */
  simulated(m: Member): MlsGroup {
    const { state, options, psks } = this.a!.snapshot();
    return MlsGroup.fromSnapshot(
      {
        ...state,
        myLeaf: m.leaf!,
        signaturePrivateKey: m.signaturePrivateKey,
        keys: new Map(),
        proposals: new Map(state.proposals),
        updateKeys: new Map(),
      },
      options,
      psks,
    );
  }

  submit(m: Member, out: CommitOutput): void {
    this.#send(m, {
      type: 'commit',
      commit: out.commit,
      groupInfo: out.groupInfo,
      ...(out.welcome ? { welcome: out.welcome } : {}),
    });
  }

  /** Members in the group with an open socket of their own. */
  socketMembers(): Member[] {
    return this.members.filter((m) => m.leaf !== undefined && m.socket && !m.gone);
  }
  inGroup(): Member[] {
    return this.members.filter((m) => m.leaf !== undefined && !m.gone);
  }
}

export async function runFanoutScenario(o: FanoutOptions): Promise<FanoutResult> {
  if (!(Number.isInteger(o.n) && o.n >= 4))
    throw new RangeError('the fan-out bench needs n ≥ 4 members');
  const batch = o.batch ?? 100;
  const log = o.log ?? (() => {});
  const pool: signaling.SignalingConnection[] = [];
  const d = await startLoopbackDelivery({
    maxConnections: o.n + 64,
    onConnection: (c) => pool.push(c),
    meeting: {
      maxParticipants: o.n + 64,
      // the bench decides when members commit and acknowledge
      selfUpdateDelayMs: 0,
      switchTimeoutMs: 3_600_000,
      committerTimeoutMs: 3_600_000,
      disconnectGraceMs: 0,
      batchWindowMs: 5,
    },
  });
  const driver = new Driver(d);
  const sink = new Sink();
  const failure = () => driver.failure;
  try {
    // 1. build: A creates the group, then batches of members join (B first)
    let t0 = now();
    driver.join();
    await until(
      () => driver.a !== undefined && d.ds.meeting(MEETING)?.epoch === 0n,
      'group created',
      failure,
    );
    let admitted = 1;
    while (admitted < o.n) {
      const k = Math.min(batch, o.n - admitted);
      for (let i = 0; i < k; i++) {
        const m = driver.join();
        if (!driver.bMember) driver.bMember = m;
      }
      admitted += k;
      await until(
        () =>
          driver.inGroup().length === admitted &&
          driver.b !== undefined &&
          driver.b.epoch === driver.a!.epoch &&
          d.ds.meeting(MEETING)?.epoch === driver.a!.epoch &&
          driver.idle,
        `${admitted} members`,
        failure,
      );
      log(`built ${admitted} members`);
    }
    const buildMs = now() - t0;

    // 2. populate: every fourth member commits a self-update once, bit-reversed leaf order
    let populateMs: number | undefined;
    if (o.populate ?? true) {
      t0 = now();
      const a = driver.a!;
      const leaves = driver
        .inGroup()
        .filter((m) => m.leaf! % 4 === 2 && m !== driver.aMember && m !== driver.bMember)
        .map((m) => m.leaf!);
      const byLeaf = new Map(driver.inGroup().map((m) => [m.leaf!, m]));
      let done = 0;
      for (const leaf of bitReversedOrder(leaves, a.publicState.tree.nLeaves)) {
        const epoch = a.epoch;
        driver.submit(byLeaf.get(leaf)!, driver.commitFor(byLeaf.get(leaf)!, 'update'));
        await until(
          () => a.epoch === epoch + 1n && driver.b!.epoch === a.epoch && driver.idle,
          'a self-update',
          failure,
        );
        if (++done % 250 === 0) log(`populated ${done}/${leaves.length}`);
      }
      populateMs = now() - t0;
    }

    // 3. one real socket per member
    driver.mirror = GroupValidator.fromGroupInfo(
      d.suite,
      driver.a!.groupInfo(),
      driver.a!.ratchetTree(),
      { validateCredential: identityCredentialValidator(d.suite, d.as.publicKey, MEETING) },
    );
    const members = driver.inGroup();
    await sink.open(d.url, members.length);
    await until(() => pool.length === members.length, 'sockets', failure);
    for (const [i, m] of members.entries()) m.socket = pool[i];
    driver.goLive();
    const before = await sink.stats();
    log(`${members.length} sockets open`);

    // 4. measured rounds
    const samples: Record<FanoutOp, FanoutSample[]> = { update: [], add1: [], remove1: [] };
    let seed = 1;
    const pick = (): Member => {
      const candidates = driver
        .socketMembers()
        .filter((m) => m !== driver.aMember && m !== driver.bMember);
      seed = (seed * 7919 + 13) % 1_000_003;
      return candidates[seed % candidates.length];
    };
    /** Hands `out` from `m` to the DS and times it until every member socket has it; then acks. */
    const measure = async (
      m: Member,
      out: CommitOutput,
      createMs: number,
    ): Promise<FanoutSample> => {
      const epoch = driver.a!.epoch;
      const recipients = driver.socketMembers().length;
      const { reached: delivered } = await sink.expect(TAG.commit, recipients);
      let dsMs = Number.NaN;
      const accepted = new Promise<void>((resolve) => {
        const on = (e: delivery.DeliveryEvents['commit-accepted'][0]) => {
          d.ds.off('commit-accepted', on);
          dsMs = e.fanoutMs;
          resolve();
        };
        d.ds.on('commit-accepted', on);
      });
      driver.hold(); // A and B process it after the measurement
      const t1 = now();
      driver.submit(m, out);
      await guarded(Promise.all([accepted, delivered]), 'the commit delivered', failure);
      const deliveredMs = now() - t1;
      driver.release();
      await until(
        () => driver.a!.epoch === epoch + 1n && driver.b!.epoch === epoch + 1n && driver.idle,
        'A and B processed the commit',
        failure,
      );
      // every member acknowledges; the DS announces the switch to all
      const inGroup = driver.inGroup();
      const { reached: switched } = await sink.expect(TAG.switch, driver.socketMembers().length);
      const announced = new Promise<void>((resolve) => d.ds.once('epoch-switch', () => resolve()));
      const t2 = now();
      const ack = encodeClientFrame({ type: 'ack', epoch: epoch + 1n });
      for (const x of inGroup) x.endpoint!.frame(ack);
      await announced;
      const acksMs = now() - t2;
      await switched;
      const switchDeliveredMs = now() - t2;
      return {
        bytes: out.commit.length,
        createMs,
        validateMs: driver.lastValidateMs,
        dsMs,
        deliveredMs,
        acksMs,
        switchDeliveredMs,
      };
    };
    /** Waits for the DS to name a committer after proposals, and times that member's commit. */
    const namedCommit = async (trigger: () => void): Promise<FanoutSample> => {
      const named = driver.nextCommitRequest();
      trigger();
      const m = await guarded(named, 'a commit request', failure);
      await until(() => driver.idle, 'proposals processed', failure);
      const t = now();
      const out = driver.commitFor(m, 'proposals');
      return measure(m, out, now() - t);
    };
    for (let r = 0; r < o.runs; r++) {
      // update: a member's self-update (full path)
      {
        const m = pick();
        const t = now();
        const out = driver.commitFor(m, 'update');
        samples.update.push(await measure(m, out, now() - t));
      }
      // add1: one newcomer (in-process, no socket): external Add, a path-less commit
      samples.add1.push(await namedCommit(() => driver.join()));
      // remove1: a member's connection drops: external Remove, a commit with a path
      {
        const m = pick();
        samples.remove1.push(
          await namedCommit(() => {
            m.gone = true;
            m.socket!.close(1000, 'bench: leaving');
            m.endpoint!.closed();
          }),
        );
      }
      log(`round ${r + 1}/${o.runs}`);
    }
    const after = await sink.stats();
    return {
      n: o.n,
      sockets: after.open,
      buildMs,
      populateMs,
      samples,
      bytesPerSocket: (after.bytes - before.bytes) / Math.max(1, members.length),
    };
  } finally {
    sink.close();
    await d.close();
  }
}
