// A delivery service on a real HTTP + WebSocket server (no SFU), a link
// verifier standing in for the signed links, and headless participants.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getCipherSuite } from '@canopy/shared/crypto';
import { CanopyError, MAX_CLIENT_FRAME_BYTES } from '@canopy/shared/protocol';
import {
  Participant,
  type ParticipantEvents,
  type ParticipantOptions,
} from '../../../client/src/participant/index.js';
import { AuthenticationService } from '../../src/auth/authentication-service.js';
import { nodeProvider } from '../../src/crypto/index.js';
import {
  type DeliveryEvents,
  DeliveryService,
  type DeliveryServiceOptions,
  type LinkClaims,
  type LinkVerifier,
  type MeetingOptions,
} from '../../src/delivery/index.js';
import { SignalingServer } from '../../src/signaling/index.js';

export const suite = getCipherSuite(1, nodeProvider);

class LinkError extends CanopyError {
  constructor() {
    super('invalid-link', 'unknown or expired link');
  }
}

/** Issues opaque random tokens for claims (the real links are signed JWTs). */
export class TestLinks implements LinkVerifier {
  readonly #claims = new Map<string, LinkClaims>();

  issue(meetingId: string, role: 'host' | 'participant' = 'participant', userId?: string): string {
    const token = randomBytes(16).toString('base64url');
    this.#claims.set(token, {
      meetingId,
      role,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      ...(userId ? { userId } : {}),
    });
    return token;
  }

  async verify(token: string): Promise<LinkClaims> {
    const c = this.#claims.get(token);
    if (!c || c.expiresAt < Date.now() / 1000) throw new LinkError();
    return c;
  }
}

export interface TestDelivery {
  readonly url: string;
  readonly ds: DeliveryService;
  readonly links: TestLinks;
  readonly as: AuthenticationService;
  readonly dsPrivateKey: Uint8Array;
  /** A participant of `meetingId` (not connected yet). */
  participant<P extends Participant = Participant>(
    meetingId: string,
    name: string,
    role?: 'host' | 'participant',
    extra?: Partial<ParticipantOptions>,
    Kind?: new (options: ParticipantOptions) => P,
  ): P;
  close(): Promise<void>;
}

export async function startDelivery(
  meeting: Partial<MeetingOptions> = {},
  options: Partial<DeliveryServiceOptions> = {},
): Promise<TestDelivery> {
  const links = new TestLinks();
  // a real MeetingLinks can be given in `options.links`; `env.links` then still mints test tokens
  const as = AuthenticationService.generate(suite);
  const dsPrivateKey = suite.signature.generatePrivateKey();
  const ds = new DeliveryService({
    suite,
    authentication: as,
    links,
    externalSenderPrivateKey: dsPrivateKey,
    meeting: { disconnectGraceMs: 100, ...meeting },
    log: () => {},
    ...options,
  });
  const http: Server = createServer((_req, res) => res.end());
  const signaling = new SignalingServer(http, (c) => ds.accept(c), {
    hardMaxBytes: MAX_CLIENT_FRAME_BYTES,
    log: () => {},
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  const made: Participant[] = [];
  return {
    url,
    ds,
    links,
    as,
    dsPrivateKey,
    participant<P extends Participant>(
      meetingId: string,
      name: string,
      role: 'host' | 'participant' = 'participant',
      extra: Partial<ParticipantOptions> = {},
      Kind?: new (options: ParticipantOptions) => P,
    ): P {
      const p = new (Kind ?? Participant)({
        url,
        token: links.issue(meetingId, role),
        displayName: name,
        asPublicKey: as.publicKey,
        suite,
        ...extra,
      });
      made.push(p);
      return p as P;
    },
    async close() {
      for (const p of made) p.disconnect();
      ds.close();
      signaling.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

/** Resolves with the next `event` of `p` whose payload satisfies `pred` (rejects after `ms`). */
export function next<E extends keyof ParticipantEvents>(
  p: Participant,
  event: E,
  pred: (...args: ParticipantEvents[E]) => boolean = () => true,
  ms = 10_000,
): Promise<ParticipantEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, ms);
    const off = p.on(event, (...args) => {
      if (!pred(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

/** Resolves with the next `event` of the delivery service whose payload satisfies `pred`. */
export function nextDs<K extends keyof DeliveryEvents>(
  ds: DeliveryService,
  event: K,
  pred: (e: DeliveryEvents[K][0]) => boolean = () => true,
  ms = 10_000,
): Promise<DeliveryEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const listener = (e: DeliveryEvents[K][0]) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      ds.off(event, listener as never);
      resolve(e);
    };
    const timer = setTimeout(() => {
      ds.off(event, listener as never);
      reject(new Error(`timed out waiting for ${event}`));
    }, ms);
    ds.on(event, listener as never);
  });
}

/** Every `event` of the delivery service from now on. */
export function record<K extends keyof DeliveryEvents>(
  ds: DeliveryService,
  event: K,
): DeliveryEvents[K][0][] {
  const seen: DeliveryEvents[K][0][] = [];
  ds.on(event, ((e: DeliveryEvents[K][0]) => seen.push(e)) as never);
  return seen;
}

/** Resolves when every participant is at `epoch`. */
export async function allAt(ps: readonly Participant[], epoch: bigint, ms = 15_000): Promise<void> {
  await Promise.all(
    ps.map((p) =>
      p.epoch !== undefined && p.epoch >= epoch
        ? undefined
        : next(p, 'epoch', (info) => info.epoch >= epoch, ms),
    ),
  );
}

/** Resolves when all participants are in the same epoch and nothing moved for `quietMs`. */
export async function settled(
  ps: readonly Participant[],
  quietMs = 300,
  ms = 20_000,
): Promise<bigint> {
  const deadline = Date.now() + ms;
  let last = '';
  let since = Date.now();
  for (;;) {
    const epochs = ps.map((p) => p.epoch);
    const key = epochs.join(',');
    if (key !== last) {
      last = key;
      since = Date.now();
    }
    const same = epochs.every((e) => e !== undefined && e === epochs[0]);
    if (same && Date.now() - since >= quietMs) return epochs[0]!;
    if (Date.now() > deadline) throw new Error(`not settled: epochs ${key}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
