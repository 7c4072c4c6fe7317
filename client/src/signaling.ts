/**
 * The browser side of signaling: typed requests matched to their responses by
 * id, results and notifications validated against the protocol's schemas
 * before anyone sees them, over a WebSocket or any text transport (the key
 * worker's relay: see keys/key-worker.ts).
 *
 * Lifecycle: `SignalingClient.connect()`; `close()` or the socket closing
 * rejects every pending request and emits `close` once.
 */
import {
  CanopyError,
  encodeRequest,
  type Notification,
  ProtocolError,
  parseResult,
  parseServerMessage,
  type RequestData,
  type RequestMethod,
  type ResultData,
} from '@canopy/shared/protocol';
import { Emitter } from './emitter.js';

/** The server answered a request with an error; `code` is the server's stable code. */
export class SignalingError extends CanopyError {}

interface Pending {
  method: RequestMethod;
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export type SignalingEvents = {
  notification: [notification: Notification];
  close: [code: number, reason: string];
};

/** Where JSON signaling travels: a text channel to the server. */
export interface SignalingTransport {
  send(text: string): void;
  close(): void;
  /** Set by the client: called with each text message from the server. */
  onmessage: ((text: string) => void) | null;
  /** Set by the client: called once when the channel is gone. */
  onclose: ((code: number, reason: string) => void) | null;
}

export class SignalingClient extends Emitter<SignalingEvents> {
  readonly #ws: SignalingTransport;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  #nextId = 1;
  #closed = false;

  /** Open the WebSocket at `url` (ws: or wss:). */
  static connect(url: string, options: { timeoutMs?: number } = {}): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        ws.onerror = null;
        const transport: SignalingTransport = {
          send: (text) => ws.send(text),
          close: () => ws.close(1000),
          onmessage: null,
          onclose: null,
        };
        ws.onmessage = (event) => transport.onmessage?.(event.data);
        ws.onclose = (event) => transport.onclose?.(event.code, event.reason);
        resolve(new SignalingClient(transport, options.timeoutMs ?? 15_000));
      };
      ws.onerror = () => reject(new SignalingError('connect-failed', `cannot connect to ${url}`));
    });
  }

  /** Signaling over an open text transport. */
  static over(
    transport: SignalingTransport,
    options: { timeoutMs?: number } = {},
  ): SignalingClient {
    return new SignalingClient(transport, options.timeoutMs ?? 15_000);
  }

  private constructor(ws: SignalingTransport, timeoutMs: number) {
    super();
    this.#ws = ws;
    this.#timeoutMs = timeoutMs;
    ws.onmessage = (text) => this.#onMessage(text);
    ws.onclose = (code, reason) => this.#onClose(code, reason);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Send a request; resolves with its validated result or rejects with a SignalingError. */
  request<M extends RequestMethod>(method: M, data: RequestData<M>): Promise<ResultData<M>> {
    if (this.#closed) return Promise.reject(new SignalingError('closed', 'signaling is closed'));
    const id = this.#nextId++;
    return new Promise<ResultData<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingError('timeout', `${method} got no response`));
      }, this.#timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (d: unknown) => void, reject, timer });
      this.#ws.send(encodeRequest(id, method, data));
    });
  }

  close(): void {
    this.#ws.close();
    this.#onClose(1000, 'closed by client');
  }

  #onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: ReturnType<typeof parseServerMessage>;
    try {
      message = parseServerMessage(data);
    } catch (e) {
      console.warn('[canopy] ignoring a malformed server message', e);
      return;
    }
    if (message.kind === 'notification') {
      this.emit('notification', message.notification);
      return;
    }
    const { response } = message;
    if (response.id === null) {
      console.warn(
        `[canopy] server rejected a message: ${response.ok ? '' : response.error.message}`,
      );
      return;
    }
    const pending = this.#pending.get(response.id);
    if (!pending) return;
    this.#pending.delete(response.id);
    clearTimeout(pending.timer);
    if (!response.ok) {
      pending.reject(new SignalingError(response.error.code, response.error.message));
      return;
    }
    try {
      pending.resolve(parseResult(pending.method, response.data));
    } catch (e) {
      pending.reject(
        e instanceof ProtocolError ? e : new SignalingError('invalid-data', String(e)),
      );
    }
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SignalingError('closed', `signaling closed (${code})`));
    }
    this.#pending.clear();
    this.emit('close', code, reason);
  }
}
