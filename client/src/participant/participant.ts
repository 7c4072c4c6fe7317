/**
 * One participant's side of a meeting's MLS group (DESIGN.md, "Key
 * management"): it speaks the delivery service's binary protocol, creates or
 * joins the group, verifies every credential against the AS public key it got
 * with the link (never from the server), processes proposals, commits and
 * Welcomes, commits when the DS names it and rebases when it loses, and
 * acknowledges every epoch. What it cannot process it reports, and the DS
 * re-adds it. Isomorphic: no DOM, no Node-only API; runs in Node (tests, load)
 * and in a browser Worker.
 *
 * ```ts
 * const p = new Participant({ url, token, displayName: 'Ada', asPublicKey, suite });
 * p.on('epoch', ({ epoch, sframeBaseKey, roster, securityCode }) => { ... });
 * p.on('switch', ({ epoch }) => { ... });             // senders switch media keys now
 * await p.connect();                                  // resolves once in the group
 * p.leave();
 * ```
 *
 * A heartbeat (heartbeat.ts) turns a silently dead connection into an
 * `error` (`connection-lost`) and `closed`. A participant is one connection:
 * to come back after a loss, make a new one with `resume: p.resumeTicket`
 * (it rejoins the group with fresh keys, skipping the lobby).
 *
 * Events: identity, lobby, lobby-list, commit-received, epoch, switch,
 * refused, rejected, removed, ended, error, closed.
 */

import type { CipherSuite } from '@canopy/shared/crypto';
import {
  type CanopyIdentity,
  identityCredentialValidator,
  verifyIdentityCredential,
} from '@canopy/shared/identity';
import {
  type ClientIdentity,
  type CommitOutput,
  type Credential,
  encodeExternalSenders,
  encodeRequiredCapabilities,
  type GroupOptions,
  generateKeyPackage,
  type KeyPackageBundle,
  MlsGroup,
} from '@canopy/shared/mls';
import {
  CanopyError,
  type ClientFrame,
  type CommitReason,
  decodeServerFrame,
  encodeClientFrame,
  type RemovalReason,
  type ServerFrame,
} from '@canopy/shared/protocol';
import { mlsBaseKey, SFrameSuite, type SFrameSuiteId } from '@canopy/shared/sframe';
import { equalBytes as bytesEqual } from '@noble/ciphers/utils.js';
import { Emitter } from '../emitter.js';
import { Heartbeat, type HeartbeatOptions } from './heartbeat.js';
import { securityCode } from './security-code.js';

/** A verified member of the group. */
export interface RosterEntry extends CanopyIdentity {
  readonly leafIndex: number;
}

/** What a member knows of an epoch it applied. */
export interface EpochInfo {
  readonly epoch: bigint;
  /** RFC 9605 §5.2 base_key = MLS-Exporter("SFrame 1.0 Base Key", "", Nk). */
  readonly sframeBaseKey: Uint8Array;
  /** Every member, verified against the AS key, in leaf order. */
  readonly roster: readonly RosterEntry[];
  /** This member's leaf index (its SFrame sender index). */
  readonly leafIndex: number;
  /** 12 groups of 5 digits from the epoch authenticator, the same for every member. */
  readonly securityCode: string;
}

export type ParticipantErrorCode =
  /** The server answered with an error frame (the DS's code is in `serverCode`). */
  | 'server-error'
  /** The AS credential the server relayed is not what the link and the AS key say. */
  | 'bad-identity'
  /** The connection closed before or while in the meeting. */
  | 'connection-closed'
  /** The server stopped answering the heartbeat: the connection is lost (then `closed`). */
  | 'connection-lost'
  /** The server sent bytes that are not a valid frame. */
  | 'invalid-frame';

export class ParticipantError extends CanopyError {
  constructor(
    override readonly code: ParticipantErrorCode,
    message: string,
    readonly serverCode?: string,
  ) {
    super(code, message);
  }
}

export interface ParticipantEvents extends Record<string, unknown[]> {
  /** Who the server and the AS say this participant is (verified against the AS key). */
  identity: [identity: CanopyIdentity];
  /** Waiting in the lobby for a host. */
  lobby: [];
  /** Hosts: who waits in the lobby. */
  'lobby-list': [entries: readonly { userId: string; displayName: string }[]];
  /**
   * A commit frame arrived, before it is processed; `sentAt` is when the DS
   * sent it (wall-clock ms, when the DS stamped it). For load measurements.
   */
  'commit-received': [e: { epoch: bigint; sentAt: number | undefined }];
  /** A new epoch was applied. */
  epoch: [info: EpochInfo];
  /** The DS announced the media switch to `epoch`. */
  switch: [e: { epoch: bigint }];
  /** The DS refused this member's commit; it was discarded. */
  refused: [e: { epoch: bigint; reason: string }];
  /** A message from the server was refused (invalid MLS, an unverifiable identity…); nothing changed. */
  rejected: [e: { what: string; error: unknown }];
  removed: [e: { reason: RemovalReason }];
  ended: [];
  error: [error: CanopyError];
  closed: [];
}

/** The WebSocket constructor the participant uses (the global one by default). */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface ParticipantOptions {
  /** The signaling WebSocket URL, e.g. ws://127.0.0.1:8080/ws. */
  readonly url: string;
  /** The signed meeting link's token. */
  readonly token: string;
  readonly displayName: string;
  /** The Authentication Service's public key, trusted out of band (it comes with the link). */
  readonly asPublicKey: Uint8Array;
  /** MLS cipher suite 1 (Node: the native provider; browsers: noble). */
  readonly suite: CipherSuite;
  /** SFrame suite whose Nk sizes the base key; default AES_128_GCM_SHA256_128. */
  readonly sframeSuite?: SFrameSuiteId;
  readonly WebSocket?: WebSocketConstructor;
  /** The heartbeat that detects a silently lost connection (see heartbeat.ts); `false`: none. */
  readonly heartbeat?: HeartbeatOptions | false;
  /**
   * The resume ticket a previous connection got (`resumeTicket`): this one
   * takes that member's place without the lobby, as a new leaf with fresh keys.
   */
  readonly resume?: Uint8Array;
}

/** The external sender credential a group names the DS with. */
const DS_CREDENTIAL: Credential = {
  type: 'basic',
  identity: Uint8Array.from([...'canopy-delivery-service'].map((c) => c.charCodeAt(0))),
};

export class Participant extends Emitter<ParticipantEvents> {
  readonly #options: ParticipantOptions;
  readonly #suite: CipherSuite;
  #ws: WebSocket | undefined;
  #signaturePrivateKey: Uint8Array;
  #signaturePublicKey: Uint8Array;
  #identity: CanopyIdentity | undefined;
  #client: ClientIdentity | undefined;
  #externalSenderKey: Uint8Array | undefined;
  #bundle: KeyPackageBundle | undefined;
  #group: MlsGroup | undefined;
  #last: EpochInfo | undefined;
  #done = false;
  /** The application asked for a self-update: commit one when the epoch allows. */
  #wantUpdate = false;
  #retryNextEpoch = false;
  /** Verified identities by leaf, with the signature key and credential they were verified for (see #roster). */
  #identities = new Map<number, VerifiedLeaf>();
  /** The epoch this member's last commit was made in. */
  #commitEpoch: bigint | undefined;
  /** Commits this member sent (accepted or not). */
  commitsSent = 0;
  // --- connection liveness and resumption (heartbeat.ts) ---
  readonly #heartbeat: Heartbeat | undefined;
  #ticket: Uint8Array | undefined;

  constructor(options: ParticipantOptions) {
    super();
    this.#options = options;
    this.#suite = options.suite;
    this.#signaturePrivateKey = this.#suite.signature.generatePrivateKey();
    this.#signaturePublicKey = this.#suite.signature.publicKey(this.#signaturePrivateKey);
    if (options.heartbeat !== false)
      this.#heartbeat = new Heartbeat(
        options.heartbeat ?? {},
        (seq) => this.send({ type: 'ping', seq }),
        () => this.#lost(),
      );
  }

  // --- state ---------------------------------------------------------------

  /** Who this participant is, once the server answered hello. */
  get identity(): CanopyIdentity | undefined {
    return this.#identity;
  }
  /** The MLS group id, once in the group. */
  get groupId(): Uint8Array | undefined {
    return this.#group?.groupId;
  }
  /** The current epoch, once in the group. */
  get epoch(): bigint | undefined {
    return this.#group?.epoch;
  }
  /** What this member knows of the current epoch. */
  get current(): EpochInfo | undefined {
    return this.#last;
  }
  /** The DS's ticket to resume this member's place on a new connection (once a member). */
  get resumeTicket(): Uint8Array | undefined {
    return this.#ticket?.slice();
  }
  /** MLS-Exporter of the current epoch (tests compare members with it). */
  exportSecret(label: string, context: Uint8Array, length: number): Uint8Array {
    if (!this.#group) throw new ParticipantError('connection-closed', 'not in the group');
    return this.#group.exportSecret(label, context, length);
  }

  // --- lifecycle -------------------------------------------------------------

  /**
   * Connects and asks to join. Resolves once this participant is in the group
   * (its first epoch); rejects if it is denied, removed, the meeting ends or
   * the connection fails first.
   */
  connect(): Promise<EpochInfo> {
    if (this.#ws || this.#done)
      return Promise.reject(
        new ParticipantError('connection-closed', 'connect() was already called'),
      );
    return new Promise<EpochInfo>((resolve, reject) => {
      const offs = [
        this.on('epoch', (info) => settle(() => resolve(info))),
        this.on('removed', ({ reason }) =>
          settle(() => reject(new ParticipantError('connection-closed', `removed: ${reason}`))),
        ),
        this.on('ended', () =>
          settle(() => reject(new ParticipantError('connection-closed', 'meeting ended'))),
        ),
        this.on('error', (e) => settle(() => reject(e))),
        this.on('closed', () =>
          settle(() => reject(new ParticipantError('connection-closed', 'connection closed'))),
        ),
      ];
      const settle = (f: () => void) => {
        for (const off of offs) off();
        f();
      };
      const Ws = this.#options.WebSocket ?? globalThis.WebSocket;
      const ws = new Ws(this.#options.url);
      ws.binaryType = 'arraybuffer';
      this.#ws = ws;
      // from now: a socket that never opens (a network that swallows packets) is lost too
      this.#heartbeat?.start();
      ws.onopen = () => {
        this.send({
          type: 'hello',
          token: this.#options.token,
          displayName: this.#options.displayName,
          signatureKey: this.#signaturePublicKey,
          ...(this.#options.resume && { resume: this.#options.resume }),
        });
      };
      ws.onmessage = (ev: MessageEvent) => {
        if (!(ev.data instanceof ArrayBuffer)) return; // JSON signaling is not ours
        this.receive(new Uint8Array(ev.data));
      };
      ws.onerror = () => {};
      ws.onclose = () => this.#finish();
    });
  }

  /** Leaves the meeting (the DS removes this member from the group). */
  leave(): void {
    this.send({ type: 'leave' });
  }

  /** Drops the connection without a goodbye (as a crash or network loss would). */
  disconnect(): void {
    this.#ws?.close();
    this.#finish();
  }

  /** Commits a self-update (fresh leaf and path keys) as soon as the epoch allows. */
  update(): void {
    this.#wantUpdate = true;
    this.#commit('update');
  }

  // --- host actions ------------------------------------------------------------

  admit(userId: string): void {
    this.send({ type: 'host', action: 'admit', userId });
  }
  deny(userId: string): void {
    this.send({ type: 'host', action: 'deny', userId });
  }
  remove(userId: string): void {
    this.send({ type: 'host', action: 'remove', userId });
  }
  lock(): void {
    this.send({ type: 'host', action: 'lock' });
  }
  unlock(): void {
    this.send({ type: 'host', action: 'unlock' });
  }
  end(): void {
    this.send({ type: 'host', action: 'end' });
  }

  // --- protocol ----------------------------------------------------------------

  /** Sends one frame to the DS. */
  protected send(frame: ClientFrame): void {
    if (this.#ws?.readyState === 1) this.#ws.send(encodeClientFrame(frame));
  }

  /** Handles one frame from the DS (protected: tests play a hostile server through it). */
  protected receive(bytes: Uint8Array): void {
    let f: ServerFrame;
    try {
      f = decodeServerFrame(bytes);
    } catch (e) {
      this.emit('rejected', { what: 'frame', error: e });
      return;
    }
    this.#heartbeat?.alive();
    try {
      this.#handle(f);
    } catch (e) {
      if (e instanceof CanopyError) this.emit('error', e);
      else throw e;
    }
  }

  #handle(f: ServerFrame): void {
    switch (f.type) {
      case 'identity':
        this.#onIdentity(f);
        return;
      case 'create-group':
        this.#createGroup();
        return;
      case 'lobby':
        this.emit('lobby');
        return;
      case 'lobby-list':
        this.emit('lobby-list', f.entries);
        return;
      case 'proposal':
        this.#onProposal(f.message);
        return;
      case 'commit-request':
        if (this.#group?.epoch === f.epoch) this.#commit(f.reason);
        return;
      case 'commit':
        this.emit('commit-received', { epoch: f.epoch, sentAt: f.sentAt });
        this.#onCommit(f.epoch, f.message);
        return;
      case 'refused':
        this.#onRefused(f.epoch, f.reason);
        return;
      case 'welcome':
        this.#onWelcome(f.epoch, f.welcome, f.ratchetTree);
        return;
      case 'switch':
        this.emit('switch', { epoch: f.epoch });
        return;
      case 'reset':
        this.#group = undefined;
        this.#sendKeyPackage();
        return;
      case 'removed':
        this.#group = undefined;
        this.emit('removed', { reason: f.reason });
        return;
      case 'ended':
        this.#group = undefined;
        this.emit('ended');
        return;
      case 'error':
        this.emit('error', new ParticipantError('server-error', `${f.code}: ${f.message}`, f.code));
        return;
      case 'pong':
        return; // the heartbeat saw it (receive)
      case 'resume-ticket':
        this.#ticket = f.ticket;
        return;
    }
  }

  #onIdentity(f: Extract<ServerFrame, { type: 'identity' }>): void {
    if (this.#identity) throw new ParticipantError('invalid-frame', 'a second identity');
    let identity: CanopyIdentity;
    try {
      identity = verifyIdentityCredential(
        this.#suite,
        this.#options.asPublicKey,
        f.credential,
        this.#signaturePublicKey,
      );
    } catch (e) {
      throw new ParticipantError('bad-identity', e instanceof Error ? e.message : 'bad credential');
    }
    if (
      identity.meetingId !== f.meetingId ||
      identity.userId !== f.userId ||
      identity.displayName !== this.#options.displayName ||
      identity.role !== f.role
    )
      throw new ParticipantError('bad-identity', 'the credential does not match the identity');
    this.#identity = identity;
    this.#externalSenderKey = f.externalSenderKey;
    this.#client = {
      credential: f.credential,
      signaturePrivateKey: this.#signaturePrivateKey,
      signaturePublicKey: this.#signaturePublicKey,
    };
    this.emit('identity', identity);
    this.#sendKeyPackage();
  }

  #groupOptions(): GroupOptions {
    return {
      validateCredential: identityCredentialValidator(
        this.#suite,
        this.#options.asPublicKey,
        this.#identity!.meetingId,
      ),
    };
  }

  #sendKeyPackage(): void {
    this.#bundle = generateKeyPackage(this.#suite, this.#client!);
    this.send({ type: 'key-package', keyPackage: this.#bundle.message });
  }

  #createGroup(): void {
    if (this.#group || !this.#client) return;
    this.#group = MlsGroup.create({
      suite: this.#suite,
      identity: this.#client,
      extensions: [
        encodeExternalSenders([
          { signatureKey: this.#externalSenderKey!, credential: DS_CREDENTIAL },
        ]),
        encodeRequiredCapabilities({ extensionTypes: [], proposalTypes: [], credentialTypes: [1] }),
      ],
      ...this.#groupOptions(),
    });
    this.send({
      type: 'group-create',
      groupInfo: this.#group.groupInfo(),
      ratchetTree: this.#group.ratchetTree(),
    });
    this.#applied();
  }

  #onProposal(message: Uint8Array): void {
    if (!this.#group) return;
    try {
      this.#group.process(message);
    } catch (e) {
      // e.g. an Add whose credential the AS did not sign: not cached, so a
      // commit covering it cannot be processed either (and is reported)
      this.emit('rejected', { what: 'proposal', error: e });
    }
  }

  #commit(reason: CommitReason): void {
    const g = this.#group;
    if (!g || g.hasPendingCommit || g.status !== 'active') return;
    let out: CommitOutput;
    try {
      out = this.createCommit(g, reason);
    } catch (e) {
      this.emit('rejected', { what: 'commit-request', error: e });
      return;
    }
    this.commitsSent++;
    this.#commitEpoch = g.epoch;
    this.send({
      type: 'commit',
      commit: out.commit,
      groupInfo: out.groupInfo,
      ...(out.welcome ? { welcome: out.welcome } : {}),
    });
  }

  /**
   * Builds the commit the DS asked for: pending proposals without a path when
   * RFC 9420 allows it (add-only), or a self-update with a full path.
   */
  protected createCommit(group: MlsGroup, reason: CommitReason): CommitOutput {
    return group.commit({
      path: reason === 'update' ? 'always' : 'when-required',
      ratchetTreeInWelcome: false,
    });
  }

  #onCommit(epoch: bigint, message: Uint8Array): void {
    const g = this.#group;
    if (g?.status !== 'active' || epoch <= g.epoch) return;
    const own = g.hasPendingCommit;
    try {
      if (epoch !== g.epoch + 1n)
        throw new ParticipantError('invalid-frame', `missed epoch ${g.epoch + 1n}`);
      const result = g.process(message);
      if (result.kind !== 'commit') throw new ParticipantError('invalid-frame', 'not a commit');
      if (result.removedSelf) return; // the DS says why next
      if (result.own) this.#wantUpdate = false;
    } catch (e) {
      this.emit('rejected', { what: 'commit', error: e });
      if (own) g.discardPendingCommit();
      this.send({ type: 'report', subject: 'commit', epoch, reason: reasonOf(e) });
      return;
    }
    this.#applied();
  }

  #onRefused(epoch: bigint, reason: string): void {
    const g = this.#group;
    // A wrong-epoch refusal while this member's pending commit is for the DS's
    // current epoch is about an older commit: the pending one still stands.
    const stale = reason === 'wrong-epoch' && this.#commitEpoch === epoch;
    if (g?.hasPendingCommit && !stale) g.discardPendingCommit();
    this.emit('refused', { epoch, reason });
    if (!this.#wantUpdate || !g || g.hasPendingCommit) return;
    // rebase: another commit won the epoch; a wanted self-update is made again
    // on the new epoch now, or (refused for another reason) on the next one
    if (reason === 'wrong-epoch' && g.epoch === epoch) this.#commit('update');
    else this.#retryNextEpoch = true;
  }

  #onWelcome(epoch: bigint, welcome: Uint8Array, ratchetTree: Uint8Array): void {
    if (this.#group || !this.#bundle) return;
    try {
      const group = MlsGroup.joinFromWelcome(welcome, this.#bundle, this.#suite, {
        ...this.#groupOptions(),
        ratchetTree,
      });
      if (group.epoch !== epoch)
        throw new ParticipantError('invalid-frame', 'Welcome for another epoch');
      this.#roster(group); // every identity in the tree verifies, or the Welcome is refused
      this.#group = group;
    } catch (e) {
      this.emit('rejected', { what: 'welcome', error: e });
      this.send({ type: 'report', subject: 'welcome', epoch, reason: reasonOf(e) });
      return;
    }
    this.#applied();
  }

  /**
   * The verified roster. The MLS library already checked every credential
   * with the AS hook; identities are decoded and verified once per leaf,
   * key and credential, and kept while all three stay the same.
   */
  #roster(group: MlsGroup): RosterEntry[] {
    const known = new Map<number, VerifiedLeaf>();
    const roster = group.members().map((m) => {
      const credential = m.credential.type === 'basic' ? m.credential.identity : undefined;
      const cached = this.#identities.get(m.leafIndex);
      const identity =
        cached &&
        credential &&
        bytesEqual(cached.signatureKey, m.signatureKey) &&
        bytesEqual(cached.credential, credential)
          ? cached.identity
          : verifyIdentityCredential(
              this.#suite,
              this.#options.asPublicKey,
              m.credential,
              m.signatureKey,
            );
      if (credential)
        known.set(m.leafIndex, { signatureKey: m.signatureKey, credential, identity });
      return { ...identity, leafIndex: m.leafIndex };
    });
    this.#identities = known;
    return roster;
  }

  /** A new epoch is in force: tell the application, acknowledge it to the DS. */
  #applied(): void {
    const g = this.#group!;
    const info: EpochInfo = {
      epoch: g.epoch,
      sframeBaseKey: mlsBaseKey(
        (label, context, length) => g.exportSecret(label, context, length),
        this.#options.sframeSuite ?? SFrameSuite.AES_128_GCM_SHA256_128,
      ),
      roster: this.#roster(g),
      leafIndex: g.myLeafIndex,
      securityCode: securityCode(this.#suite, g.epochAuthenticator),
    };
    this.#last = info;
    this.send({ type: 'ack', epoch: g.epoch });
    this.emit('epoch', info);
    if (this.#retryNextEpoch && this.#wantUpdate && !g.hasPendingCommit) {
      this.#retryNextEpoch = false;
      this.#commit('update');
    }
  }

  /** The heartbeat went unanswered: the connection is gone, whatever the socket says. */
  #lost(): void {
    if (this.#done) return;
    const ws = this.#ws;
    if (ws) {
      // a dead connection may not close for minutes: stop listening to it now
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close();
    }
    this.emit('error', new ParticipantError('connection-lost', 'the server stopped answering'));
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#heartbeat?.stop();
    this.#group = undefined;
    this.emit('closed');
  }
}

/** A leaf's identity, verified for exactly this signature key and basic credential. */
interface VerifiedLeaf {
  readonly signatureKey: Uint8Array;
  readonly credential: Uint8Array;
  readonly identity: CanopyIdentity;
}

function reasonOf(e: unknown): string {
  return e instanceof CanopyError ? e.code : 'error';
}
