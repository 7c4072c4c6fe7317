// A bare WebSocket signaling client for tests: raw sends, typed calls, and
// notifications to wait for.
import type {
  Notification,
  NotificationData,
  NotificationMethod,
  RequestData,
  RequestMethod,
  ResultData,
} from '@canopy/shared/protocol';
import { WebSocket } from 'ws';

export interface RawResponse {
  id: number | null;
  ok: boolean;
  data?: unknown;
  error?: { code: string; message: string };
}

export class TestClient {
  readonly ws: WebSocket;
  readonly responses: RawResponse[] = [];
  readonly notifications: Notification[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  #waiters: (() => void)[] = [];

  static async connect(url: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return new TestClient(ws);
  }

  /** A client on an already open socket (e.g. one a participant core uses for the DS). */
  static wrap(ws: WebSocket): TestClient {
    return new TestClient(ws);
  }

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return; // the delivery service's frames, not JSON signaling
      const msg = JSON.parse(data.toString());
      if ('ok' in msg) this.responses.push(msg);
      else this.notifications.push(msg);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const w of this.#waiters.splice(0)) w();
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Wait until `check` holds, re-checking on every message. */
  async waitFor<T>(check: () => T | undefined, ms = 10_000, what = 'message'): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next response (in arrival order) not yet taken. */
  async nextResponse(ms = 10_000): Promise<RawResponse> {
    return this.waitFor(() => this.responses.shift(), ms, 'a response');
  }

  /** Send a request and wait for the response with its id. */
  async request(method: string, data: unknown): Promise<RawResponse> {
    const id = this.#nextId++;
    this.send(JSON.stringify({ id, method, data }));
    return this.waitFor(
      () => {
        const i = this.responses.findIndex((r) => r.id === id);
        return i < 0 ? undefined : this.responses.splice(i, 1)[0];
      },
      15_000,
      `response to ${method}`,
    );
  }

  /** A request that must succeed; its result data. */
  async call<M extends RequestMethod>(method: M, data: RequestData<M>): Promise<ResultData<M>> {
    const r = await this.request(method, data);
    if (!r.ok) throw new Error(`${method} failed: ${r.error?.code} ${r.error?.message}`);
    return r.data as ResultData<M>;
  }

  /** Wait for a notification of `method` matching `where`, and take it. */
  async notification<M extends NotificationMethod>(
    method: M,
    where: (data: NotificationData<M>) => boolean = () => true,
    ms = 10_000,
  ): Promise<NotificationData<M>> {
    return this.waitFor<NotificationData<M>>(
      () => {
        const i = this.notifications.findIndex(
          (n) => n.method === method && where(n.data as NotificationData<M>),
        );
        return i < 0
          ? undefined
          : (this.notifications.splice(i, 1)[0]!.data as NotificationData<M>);
      },
      ms,
      `notification ${method}`,
    );
  }

  close(): void {
    this.ws.close();
  }
}
