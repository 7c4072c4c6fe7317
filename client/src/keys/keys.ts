/**
 * The page side of the key worker (key-worker.ts): starts it, gives it the
 * transform worker's media-keys port, relays JSON signaling through it, and
 * reports what the page may know of each epoch — its number, this member's
 * leaf index, the verified roster and the security code. Key bytes never
 * reach this thread.
 *
 * Lifecycle: `new KeyWorker(url)`, `start()` resolves at the first epoch
 * (rejects if refused, removed or disconnected first); `close()` ends it.
 * A member's lost connection is `signal-closed` (the signaling transport
 * closes), then `reconnecting`, then a new connection's events (`epoch`…):
 * the page then takes a new `signaling()` and gives the new transform
 * worker's port with `attachMediaKeys()`. `closed` is final.
 */

import { Emitter } from '../emitter.js';
import type { RosterEntry } from '../participant/participant.js';
import type { SignalingTransport } from '../signaling.js';
import type { FromKeyWorker, HostAction, ToKeyWorker } from './messages.js';

/** Someone waiting in the lobby (hosts see them). */
export interface LobbyEntry {
  userId: string;
  displayName: string;
}

/** Why the key worker stopped: `serverCode` is the server's code when it refused. */
export interface KeyWorkerError {
  code: string;
  message: string;
  serverCode?: string;
}

/** What the page knows of an epoch (no key). */
export interface EpochView {
  epoch: bigint;
  leafIndex: number;
  securityCode: string;
  roster: RosterEntry[];
}

export type KeyWorkerEvents = {
  identity: [
    identity: {
      userId: string;
      displayName: string;
      role: string;
      mlsCrypto: 'libsodium' | 'noble';
    },
  ];
  lobby: [];
  /** Hosts: who waits in the lobby now. */
  'lobby-list': [entries: LobbyEntry[]];
  /** Something from the server was refused and changed nothing (see FromKeyWorker). */
  rejected: [what: string, message: string];
  epoch: [epoch: EpochView];
  switch: [epoch: bigint];
  removed: [reason: string];
  ended: [];
  error: [error: KeyWorkerError];
  /** The connection was lost; the worker connects again in `delayMs` and resumes this member's place. */
  reconnecting: [attempt: number, delayMs: number, cause: string];
  /** Final: no connection and no reconnect. */
  closed: [code: number, reason: string];
};

export interface KeyWorkerStart {
  url: string;
  token: string;
  displayName: string;
  asPublicKey: Uint8Array;
  /** The transform worker's end is given to FrameEncryption.attachKeys. */
  mediaKeys: MessagePort;
  /** Heartbeat interval (ms); default 3,000 (a loss is noticed within about 4 of them). */
  heartbeatMs?: number;
}

/** start() failed: the server refused, or the worker failed. */
export class KeyWorkerStartError extends Error {
  constructor(readonly detail: KeyWorkerError) {
    super(`${detail.code}: ${detail.message}`);
    this.name = 'KeyWorkerStartError';
  }
}

export class KeyWorker extends Emitter<KeyWorkerEvents> {
  readonly #worker: Worker;
  #current: EpochView | undefined;
  #transport: SignalingTransport | undefined;
  #closed = false;
  #open = false;

  constructor(workerUrl: string | URL) {
    super();
    this.#worker = new Worker(workerUrl, { type: 'module', name: 'canopy-keys' });
    this.#worker.onmessage = (event: MessageEvent<FromKeyWorker>) => this.#onMessage(event.data);
    this.#worker.onerror = (event: ErrorEvent) =>
      this.emit('error', {
        code: 'key-worker-failed',
        message: event.message || 'key worker error',
      });
  }

  /** Whether the worker's connection is open now (signaling can flow). */
  get connected(): boolean {
    return this.#open;
  }

  /** The epoch in force here, once a member. */
  get current(): EpochView | undefined {
    return this.#current;
  }

  /** Connects and joins the meeting's MLS group; resolves at the first epoch. */
  start(options: KeyWorkerStart): Promise<EpochView> {
    return new Promise<EpochView>((resolve, reject) => {
      const offs = [
        this.on('epoch', (e) => settle(() => resolve(e))),
        this.on('removed', (r) => settle(() => reject(new Error(`removed: ${r}`)))),
        this.on('ended', () => settle(() => reject(new Error('the meeting has ended')))),
        this.on('error', (e) => settle(() => reject(new KeyWorkerStartError(e)))),
        this.on('closed', (code) => settle(() => reject(new Error(`connection closed (${code})`)))),
      ];
      const settle = (f: () => void) => {
        for (const off of offs) off();
        f();
      };
      this.#post({ type: 'start', ...options }, [options.mediaKeys]);
    });
  }

  /**
   * JSON signaling relayed over the key worker's connection: one transport
   * per connection (a new one after a reconnect, once the old one closed).
   */
  signaling(): SignalingTransport {
    if (this.#transport) throw new Error('the signaling transport is already in use');
    const transport: SignalingTransport = {
      send: (text) => this.#post({ type: 'signal', text }),
      // the connection stays (it is the MLS member); a new meeting may take a new transport
      close: () => {
        if (this.#transport === transport) this.#transport = undefined;
      },
      onmessage: null,
      onclose: null,
    };
    this.#transport = transport;
    return transport;
  }

  /**
   * A host action: admit or deny someone in the lobby, remove a member (the
   * meeting rekeys at once), lock or unlock the meeting, end it for everyone.
   * The server refuses it unless this member is an admitted host.
   */
  host(action: HostAction, userId?: string): void {
    this.#post(userId === undefined ? { type: 'host', action } : { type: 'host', action, userId });
  }

  /** After a reconnect or a recovery: the new transform worker's media-keys port (transferred). */
  attachMediaKeys(port: MessagePort): void {
    this.#post({ type: 'media-keys', port }, [port]);
  }

  /** Leave the group (the DS removes this member; the connection then closes). */
  leave(): void {
    this.#post({ type: 'leave' });
  }

  close(): void {
    if (this.#closed) return;
    this.#post({ type: 'close' });
    this.#closed = true;
    // let the worker close its socket, then stop it
    setTimeout(() => this.#worker.terminate(), 1_000);
  }

  #post(message: ToKeyWorker, transfer: Transferable[] = []): void {
    if (!this.#closed) this.#worker.postMessage(message, transfer);
  }

  #onMessage(m: FromKeyWorker): void {
    switch (m.type) {
      case 'open':
        this.#open = true;
        return;
      case 'signal':
        this.#transport?.onmessage?.(m.text);
        return;
      case 'identity':
        this.emit('identity', {
          userId: m.userId,
          displayName: m.displayName,
          role: m.role,
          mlsCrypto: m.mlsCrypto,
        });
        return;
      case 'lobby':
        this.emit('lobby');
        return;
      case 'lobby-list':
        this.emit('lobby-list', m.entries);
        return;
      case 'rejected':
        this.emit('rejected', m.what, m.message);
        return;
      case 'epoch': {
        const view: EpochView = {
          epoch: m.epoch,
          leafIndex: m.leafIndex,
          securityCode: m.securityCode,
          roster: m.roster,
        };
        this.#current = view;
        this.emit('epoch', view);
        return;
      }
      case 'switch':
        this.emit('switch', m.epoch);
        return;
      case 'removed':
        this.emit('removed', m.reason);
        return;
      case 'ended':
        this.emit('ended');
        return;
      case 'error':
        this.emit('error', {
          code: m.code,
          message: m.message,
          ...(m.serverCode !== undefined && { serverCode: m.serverCode }),
        });
        return;
      case 'signal-closed': {
        this.#open = false;
        const t = this.#transport;
        this.#transport = undefined;
        t?.onclose?.(m.code, m.reason);
        return;
      }
      case 'reconnecting':
        this.emit('reconnecting', m.attempt, m.delayMs, m.cause);
        return;
      case 'closed': {
        this.#open = false;
        const t = this.#transport;
        this.#transport = undefined;
        t?.onclose?.(m.code, m.reason);
        this.emit('closed', m.code, m.reason);
        return;
      }
    }
  }
}
