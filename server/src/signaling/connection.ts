/**
 * One client's WebSocket, behind the protocol boundary: every message is
 * size-checked, parsed and validated before a handler sees it; every request
 * gets exactly one response; malformed input is answered with a typed error
 * and counted, and a client that keeps misbehaving (or floods, or stops
 * reading) is disconnected without affecting anyone else.
 *
 * Lifecycle: created by SignalingServer per accepted socket; emits `close`
 * once when the socket is gone, whoever closed it.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  CanopyError,
  encodeError,
  encodeNotification,
  encodeResult,
  type Notification,
  ProtocolError,
  parseRequest,
  type Request,
} from '@canopy/shared/protocol';
import type { RawData, WebSocket } from 'ws';

/** Handles one validated request; resolves with the result data, or throws a CanopyError. */
export type RequestHandler = (request: Request) => Promise<unknown>;

/**
 * Handles one binary frame (the delivery service's protocol); it validates the
 * bytes itself. Frames above the server's hard cap never reach it.
 */
export type BinaryHandler = (bytes: Uint8Array) => void;

export interface ConnectionLimits {
  /** Largest message answered normally; larger ones get `message-too-large`. */
  maxMessageBytes: number;
  /** Malformed messages tolerated within `strikeWindowMs` before the client is disconnected. */
  maxStrikes: number;
  strikeWindowMs: number;
  /** Requests a client may have in flight at once. */
  maxPendingRequests: number;
  /** Messages per second (averaged over a burst of that many) before disconnecting. */
  maxMessagesPerSecond: number;
  /** Unsent bytes queued for a client before it is considered dead. */
  maxBufferedBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxMessageBytes: 64 * 1024,
  maxStrikes: 5,
  strikeWindowMs: 60_000,
  maxPendingRequests: 64,
  maxMessagesPerSecond: 200,
  maxBufferedBytes: 8 * 1024 * 1024,
};

/** WebSocket close codes this server uses (RFC 6455 §7.4.1). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;

export interface ConnectionEvents {
  close: [code: number, reason: string];
}

export class SignalingConnection extends EventEmitter<ConnectionEvents> {
  readonly id = randomUUID();
  readonly #ws: WebSocket;
  readonly #limits: ConnectionLimits;
  readonly #log: (message: string, error?: unknown) => void;
  #handler: RequestHandler | undefined;
  #binaryHandler: BinaryHandler | undefined;
  /** When recent malformed messages arrived (at most maxStrikes kept). */
  #strikes: number[] = [];
  #pending = 0;
  /** Token bucket for the message rate. */
  #tokens: number;
  #lastRefill = Date.now();
  #closed = false;

  /** @internal Created by SignalingServer. */
  constructor(
    ws: WebSocket,
    limits: ConnectionLimits,
    log: (message: string, error?: unknown) => void,
  ) {
    super();
    this.#ws = ws;
    this.#limits = limits;
    this.#log = log;
    this.#tokens = limits.maxMessagesPerSecond;
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.#onClosed(code, reason.toString('utf8')));
    ws.on('error', (error) => {
      this.#log(`connection ${this.id}: socket error`, error);
      ws.terminate();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Set who answers this connection's requests. */
  setHandler(handler: RequestHandler): void {
    this.#handler = handler;
  }

  /** Set who handles this connection's binary frames (without one, they are rejected). */
  setBinaryHandler(handler: BinaryHandler): void {
    this.#binaryHandler = handler;
  }

  /** Send a binary frame (dropped once the connection is closing); the bytes may be shared. */
  sendBinary(bytes: Uint8Array): void {
    this.#send(bytes);
  }

  /** Send a notification (dropped once the connection is closing). */
  notify(notification: Notification): void {
    this.#send(encodeNotification(notification.method, notification.data));
  }

  /** Close the connection; `close` follows once the socket is gone. */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.#ws.readyState === this.#ws.CLOSING || this.#ws.readyState === this.#ws.CLOSED) return;
    this.#ws.close(code, reason);
    // A client that does not complete the closing handshake is cut off.
    setTimeout(() => this.#ws.terminate(), 5_000).unref();
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (!this.#takeToken()) {
      this.close(CLOSE_CODES.policyViolation, 'too many messages');
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary && this.#binaryHandler) {
      try {
        this.#binaryHandler(bytes);
      } catch (e) {
        this.#fail(e);
      }
      return;
    }
    if (isBinary) {
      this.#reject(new ProtocolError('invalid-message', 'binary messages are not accepted'));
      return;
    }
    if (bytes.length > this.#limits.maxMessageBytes) {
      this.#reject(
        new ProtocolError(
          'message-too-large',
          `message exceeds ${this.#limits.maxMessageBytes} bytes`,
        ),
      );
      return;
    }
    let request: Request;
    try {
      request = parseRequest(bytes.toString('utf8'), this.#limits.maxMessageBytes);
    } catch (e) {
      if (e instanceof ProtocolError) this.#reject(e);
      else this.#fail(e);
      return;
    }
    if (this.#pending >= this.#limits.maxPendingRequests) {
      this.#reject(
        new ProtocolError(
          'invalid-message',
          `more than ${this.#limits.maxPendingRequests} requests in flight`,
        ),
        request.id,
      );
      return;
    }
    void this.#dispatch(request);
  }

  async #dispatch(request: Request): Promise<void> {
    const handler = this.#handler;
    this.#pending++;
    try {
      if (!handler) throw new ProtocolError('unknown-method', 'this connection serves no requests');
      const result = await handler(request);
      this.#send(encodeResult(request.id, request.method, result as never));
    } catch (e) {
      if (e instanceof CanopyError) {
        this.#send(encodeError(request.id, e.code, e.message));
      } else {
        this.#log(`connection ${this.id}: ${request.method} failed`, e);
        this.#send(
          encodeError(request.id, 'internal-error', 'the server could not handle this request'),
        );
      }
    } finally {
      this.#pending--;
    }
  }

  /** Answer a rejected message and count it against the client. */
  #reject(error: ProtocolError, id: number | null = error.requestId): void {
    this.#send(encodeError(id, error.code, error.message));
    const now = Date.now();
    this.#strikes = this.#strikes.filter((t) => now - t < this.#limits.strikeWindowMs);
    this.#strikes.push(now);
    if (this.#strikes.length >= this.#limits.maxStrikes) {
      this.close(CLOSE_CODES.policyViolation, 'too many invalid messages');
    }
  }

  #fail(error: unknown): void {
    this.#log(`connection ${this.id}: unexpected error`, error);
    this.close(CLOSE_CODES.internalError, 'internal error');
  }

  #send(text: string | Uint8Array): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.#log(`connection ${this.id}: client is not reading; disconnecting`);
      this.#ws.terminate();
      return;
    }
    this.#ws.send(text);
  }

  #takeToken(): boolean {
    const now = Date.now();
    const rate = this.#limits.maxMessagesPerSecond;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#lastRefill) / 1000) * rate);
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #onClosed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close', code, reason);
  }
}
