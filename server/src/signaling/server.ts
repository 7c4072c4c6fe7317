/**
 * The WebSocket endpoint of signaling, on an existing HTTP(S) server: accepts
 * upgrades on one path (checking the Origin against the host, against
 * cross-site WebSocket hijacking), caps connections (in all and per client
 * address) and frame size, detects
 * dead peers with pings, and hands each connection to `onConnection`.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { clientAddressKey } from '../http/client-address.js';
import {
  CLOSE_CODES,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  SignalingConnection,
} from './connection.js';

export interface SignalingServerOptions {
  /** URL path of the WebSocket; default `/ws`. */
  path?: string;
  limits?: Partial<ConnectionLimits>;
  /** Frames above this many bytes disconnect at once (close 1009); default 4 × maxMessageBytes. */
  hardMaxBytes?: number;
  /** Most simultaneous connections; default 10 000. */
  maxConnections?: number;
  /**
   * Most simultaneous connections from one client address (IPv6: one /64);
   * more are refused with 429. Default 5 000, so a load runner on 127.0.0.1
   * can open thousands.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Origins allowed to connect: `same-host` (default: the Origin's host must
   * equal the Host header; clients without an Origin, i.e. not browsers, are
   * allowed), `any`, or a list of exact origins.
   */
  allowedOrigins?: 'same-host' | 'any' | string[];
  /** Ping interval; a client that has not answered the previous ping is dropped. Default 30 s. */
  heartbeatMs?: number;
  log?: (message: string, error?: unknown) => void;
}

export class SignalingServer {
  readonly #wss: WebSocketServer;
  readonly #http: HttpServer | HttpsServer;
  readonly #path: string;
  readonly #limits: ConnectionLimits;
  readonly #maxConnections: number;
  readonly #maxPerAddress: number;
  /** Open (or opening) connections per client address key; absent when zero. */
  readonly #perAddress = new Map<string, number>();
  readonly #allowedOrigins: 'same-host' | 'any' | string[];
  readonly #log: (message: string, error?: unknown) => void;
  readonly #connections = new Set<SignalingConnection>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  #closed = false;

  constructor(
    http: HttpServer | HttpsServer,
    onConnection: (connection: SignalingConnection) => void,
    options: SignalingServerOptions = {},
  ) {
    this.#http = http;
    this.#path = options.path ?? '/ws';
    this.#limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
    this.#maxConnections = options.maxConnections ?? 10_000;
    this.#maxPerAddress = options.maxConnectionsPerAddress ?? 5_000;
    this.#allowedOrigins = options.allowedOrigins ?? 'same-host';
    this.#log = options.log ?? ((m, e) => console.error(`[signaling] ${m}`, e ?? ''));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.hardMaxBytes ?? 4 * this.#limits.maxMessageBytes,
      perMessageDeflate: false,
    });
    const alive = new WeakMap<object, boolean>();
    this.#onUpgrade = (req, socket, head) => {
      // Node hands an upgraded socket over with no 'error' listener: a client
      // reset (ECONNRESET) would otherwise be an unhandled error that kills the
      // process. ws adds its own listener once it takes the socket over.
      const onSocketError = () => socket.destroy();
      socket.on('error', onSocketError);
      const refusal = this.#refusal(req);
      if (refusal) {
        socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      // Counted from here until the socket closes, whichever way it goes
      // (handshake failure, client gone, server close).
      const address = clientAddressKey(req.socket.remoteAddress);
      this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
      socket.once('close', () => {
        const left = (this.#perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.#perAddress.set(address, left);
        else this.#perAddress.delete(address);
      });
      socket.off('error', onSocketError);
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        if (this.#closed) {
          ws.close(CLOSE_CODES.goingAway, 'server closing');
          return;
        }
        alive.set(ws, true);
        ws.on('pong', () => alive.set(ws, true));
        const connection = new SignalingConnection(ws, this.#limits, this.#log);
        this.#connections.add(connection);
        connection.once('close', () => this.#connections.delete(connection));
        try {
          onConnection(connection);
        } catch (e) {
          this.#log('connection setup failed', e);
          connection.close(CLOSE_CODES.internalError, 'internal error');
        }
      });
    };
    http.on('upgrade', this.#onUpgrade);
    this.#heartbeat = setInterval(() => {
      for (const ws of this.#wss.clients) {
        if (!alive.get(ws)) {
          ws.terminate();
          continue;
        }
        alive.set(ws, false);
        ws.ping();
      }
    }, options.heartbeatMs ?? 30_000);
    this.#heartbeat.unref();
  }

  /** The open connections. */
  get connections(): SignalingConnection[] {
    return [...this.#connections];
  }

  /** Stop accepting and close every connection (1001 going away). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#http.off('upgrade', this.#onUpgrade);
    for (const connection of this.#connections)
      connection.close(CLOSE_CODES.goingAway, 'server closing');
    for (const ws of this.#wss.clients) setTimeout(() => ws.terminate(), 1_000).unref();
    this.#wss.close();
  }

  /** Why an upgrade is refused (an HTTP status line), or undefined to accept it. */
  #refusal(req: IncomingMessage): string | undefined {
    if (this.#closed) return '503 Service Unavailable';
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.#path) return '404 Not Found';
    if (this.#connections.size >= this.#maxConnections) return '503 Service Unavailable';
    if (!this.#originAllowed(req.headers.origin, req.headers.host)) return '403 Forbidden';
    const address = clientAddressKey(req.socket.remoteAddress);
    if ((this.#perAddress.get(address) ?? 0) >= this.#maxPerAddress) {
      return '429 Too Many Requests';
    }
    return undefined;
  }

  #originAllowed(origin: string | undefined, host: string | undefined): boolean {
    if (this.#allowedOrigins === 'any' || origin === undefined) return true;
    if (Array.isArray(this.#allowedOrigins)) return this.#allowedOrigins.includes(origin);
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
}
