/**
 * The page side of the key worker (key-worker.ts): starts it, gives it the
 * transform worker's media-keys port, relays JSON signaling through it, and
 * reports what the page may know of each epoch — its number, this member's
 * leaf index, the verified roster and the security code. Key bytes never
 * reach this thread.
 *
 * Lifecycle: `new KeyWorker(url)`, `start()` resolves at the first epoch
 * (rejects if refused, removed or disconnected first); `close()` ends it.
 */

import { Emitter } from '../emitter.js';
import type { RosterEntry } from '../participant/participant.js';
import type { SignalingTransport } from '../signaling.js';
import type { FromKeyWorker, ToKeyWorker } from './messages.js';

/** What the page knows of an epoch (no key). */
export interface EpochView {
  epoch: bigint;
  leafIndex: number;
  securityCode: string;
  roster: RosterEntry[];
}

export type KeyWorkerEvents = {
  identity: [identity: { userId: string; displayName: string; role: string }];
  lobby: [];
  epoch: [epoch: EpochView];
  switch: [epoch: bigint];
  removed: [reason: string];
  ended: [];
  error: [error: { code: string; message: string }];
  closed: [code: number, reason: string];
};

export interface KeyWorkerStart {
  url: string;
  token: string;
  displayName: string;
  asPublicKey: Uint8Array;
  /** The transform worker's end is given to FrameEncryption.attachKeys. */
  mediaKeys: MessagePort;
}

export class KeyWorker extends Emitter<KeyWorkerEvents> {
  readonly #worker: Worker;
  #current: EpochView | undefined;
  #transport: SignalingTransport | undefined;
  #closed = false;

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
        this.on('error', (e) => settle(() => reject(new Error(`${e.code}: ${e.message}`)))),
        this.on('closed', (code) => settle(() => reject(new Error(`connection closed (${code})`)))),
      ];
      const settle = (f: () => void) => {
        for (const off of offs) off();
        f();
      };
      this.#post({ type: 'start', ...options }, [options.mediaKeys]);
    });
  }

  /** JSON signaling relayed over the key worker's connection (one per meeting). */
  signaling(): SignalingTransport {
    if (this.#transport) throw new Error('the signaling transport is already in use');
    const transport: SignalingTransport = {
      send: (text) => this.#post({ type: 'signal', text }),
      close: () => {},
      onmessage: null,
      onclose: null,
    };
    this.#transport = transport;
    return transport;
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
        return;
      case 'signal':
        this.#transport?.onmessage?.(m.text);
        return;
      case 'identity':
        this.emit('identity', {
          userId: m.userId,
          displayName: m.displayName,
          role: m.role,
        });
        return;
      case 'lobby':
        this.emit('lobby');
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
        this.emit('error', { code: m.code, message: m.message });
        return;
      case 'closed':
        this.#transport?.onclose?.(m.code, m.reason);
        this.emit('closed', m.code, m.reason);
        return;
    }
  }
}
