// A TCP proxy a test can break: clients connect to its port and are piped to
// the target. `freeze()` stops forwarding and keeps the sockets open, as a
// network that silently drops packets would (neither end learns anything);
// `cut()` destroys every piped connection at once, as a reset connection
// would (no WebSocket close frame), and refuses new ones; `restore()` after a
// freeze forwards new connections again while the frozen ones stay dead (a
// network that came back: the old connections are gone for good). Used to
// drop one browser page's connection to the server while the others keep theirs.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #cut = false;
  #frozen = false;
  /** Sockets frozen before a restore(): they never forward again. */
  readonly #dead = new WeakSet<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on 127.0.0.1 (a free port) and pipes every connection to `targetPort` there. */
  static async start(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => proxy.#pipe(client, targetPort, host));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return proxy;
  }

  /** The port clients connect to. */
  get port(): number {
    const a = this.#server.address();
    if (!a || typeof a === 'string') throw new Error('the proxy is not listening');
    return a.port;
  }

  /** Stops forwarding in both directions (bytes are read and dropped); the sockets stay open. */
  freeze(): void {
    this.#frozen = true;
  }

  /** After freeze(): new connections are forwarded again; the frozen ones stay frozen. */
  restore(): void {
    for (const s of this.#sockets) this.#dead.add(s);
    this.#frozen = false;
  }

  /** Destroys every piped connection and refuses new ones. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: Socket, port: number, host: string): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(port, host);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        this.#sockets.delete(s);
        // frozen, one end closing tells the other nothing (the network is gone)
        if ((this.#frozen || this.#dead.has(s)) && !this.#cut) return;
        client.destroy();
        upstream.destroy();
      });
    }
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (!this.#frozen && !this.#dead.has(to)) to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
  }
}
