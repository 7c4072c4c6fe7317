// A real delivery service behind a real HTTP + WebSocket signaling server on
// loopback, without the SFU (as server/test/delivery/support.ts stands one
// up), for the delivery benchmarks. Links are opaque random tokens instead of
// signed JWTs: verifying a JWT is the same small cost per hello either way.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delivery, signaling } from '@canopy/server';
import { nodeProvider } from '@canopy/server/crypto';
import { type CipherSuite, getCipherSuite } from '@canopy/shared/crypto';
import { CanopyError, MAX_CLIENT_FRAME_BYTES } from '@canopy/shared/protocol';
// The AS is not exported by @canopy/server's entry point; the bench uses the real one.
import { AuthenticationService } from '../../server/src/auth/authentication-service.js';

export const benchSuite: CipherSuite = getCipherSuite(1, nodeProvider);

class BenchLinkError extends CanopyError {
  constructor() {
    super('invalid-link', 'unknown link');
  }
}

/** Opaque random tokens standing for signed links. */
export class BenchLinks implements delivery.LinkVerifier {
  readonly #claims = new Map<string, delivery.LinkClaims>();

  issue(meetingId: string, role: 'host' | 'participant' = 'participant'): string {
    const token = randomBytes(16).toString('base64url');
    this.#claims.set(token, {
      meetingId,
      role,
      expiresAt: Math.floor(Date.now() / 1000) + 24 * 3600,
    });
    return token;
  }

  async verify(token: string): Promise<delivery.LinkClaims> {
    const c = this.#claims.get(token);
    if (!c) throw new BenchLinkError();
    return c;
  }
}

export interface LoopbackDelivery {
  /** ws://127.0.0.1:<port>/ws */
  readonly url: string;
  readonly ds: delivery.DeliveryService;
  readonly links: BenchLinks;
  readonly as: AuthenticationService;
  readonly suite: CipherSuite;
  close(): Promise<void>;
}

export interface LoopbackOptions {
  readonly meeting?: Partial<delivery.MeetingOptions>;
  /** Most WebSocket connections (default 10 000, as the server's default). */
  readonly maxConnections?: number;
  /**
   * Who gets each WebSocket connection: by default the delivery service
   * (`ds.accept`, as the server does); the fan-out bench takes them itself.
   */
  readonly onConnection?: (connection: signaling.SignalingConnection) => void;
  /** Sees every frame the DS sends a connection (the default connection handling only). */
  readonly observe?: (bytes: Uint8Array) => void;
}

/** What DeliveryService.accept does, with `observe` seeing each frame the DS sends. */
function acceptObserved(
  ds: delivery.DeliveryService,
  connection: signaling.SignalingConnection,
  observe: (bytes: Uint8Array) => void,
): void {
  const endpoint = ds.attach({
    id: connection.id,
    send: (bytes) => {
      observe(bytes);
      connection.sendBinary(bytes);
    },
    close: (code, reason) => connection.close(code, reason),
  });
  connection.setBinaryHandler((bytes) => endpoint.frame(bytes));
  connection.once('close', () => endpoint.closed());
}

/** Starts a delivery service on a loopback port. */
export async function startLoopbackDelivery(o: LoopbackOptions = {}): Promise<LoopbackDelivery> {
  const suite = benchSuite;
  const links = new BenchLinks();
  const as = AuthenticationService.generate(suite);
  const ds = new delivery.DeliveryService({
    suite,
    authentication: as,
    links,
    meeting: o.meeting,
    log: () => {},
  });
  const http: Server = createServer((_req, res) => res.end());
  const observe = o.observe;
  const onConnection =
    o.onConnection ??
    (observe
      ? (c: signaling.SignalingConnection) => acceptObserved(ds, c, observe)
      : (c: signaling.SignalingConnection) => ds.accept(c));
  const ws = new signaling.SignalingServer(http, onConnection, {
    hardMaxBytes: MAX_CLIENT_FRAME_BYTES,
    maxConnections: o.maxConnections,
    // every member connects from 127.0.0.1
    maxConnectionsPerAddress: o.maxConnections,
    // Every simulated participant shares this process's one event loop with the
    // server, so a pong or a read can wait behind minutes of other members' MLS
    // work: the liveness checks meant for real clients are relaxed here.
    heartbeatMs: 600_000,
    limits: { maxBufferedBytes: 256 * 1024 * 1024 },
    // a connection the server drops is a finding: say so
    log: (m) => {
      if (/disconnect|terminat|not reading/i.test(m)) console.error(`  … server: ${m}`);
    },
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', 4096, r));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  return {
    url,
    ds,
    links,
    as,
    suite,
    async close() {
      ds.close();
      ws.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
