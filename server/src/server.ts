/**
 * The Canopy server: one HTTP(S) port serving the HTTP API (`/api/…`), the web
 * app and the signaling WebSocket, over an SFU and the meetings on it.
 */
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getCipherSuite } from '@canopy/shared/crypto';
import { MAX_CLIENT_FRAME_BYTES } from '@canopy/shared/protocol';
import { AuthenticationService, MeetingLinks } from './auth/index.js';
import type { ServerConfig } from './config.js';
import { nodeProvider } from './crypto/index.js';
import {
  type CredentialIssuer,
  DeliveryService,
  type DeliveryServiceOptions,
  recordDeliveryLogs,
  recordDeliveryMetrics,
} from './delivery/index.js';
import { createApi } from './http/api.js';
import { staticFiles } from './http/static-files.js';
import { MeetingRegistry } from './meeting/index.js';
import { createLogger, type Logger, ServerMetrics } from './observability/index.js';
import { type MediasoupApi, Sfu } from './sfu/index.js';
import { MediaSession, SignalingServer, type SignalingServerOptions } from './signaling/index.js';

export interface CanopyServer {
  /** Base URL of the web app, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  readonly sfu: Sfu;
  readonly meetings: MeetingRegistry;
  readonly signaling: SignalingServer;
  /** The delivery service on the signaling connections. */
  readonly delivery: DeliveryService;
  /** The Authentication Service whose public key every link carries (`#as=`). */
  readonly authentication: CredentialIssuer;
  /** Prometheus metrics, served at `GET /metrics`. */
  readonly metrics: ServerMetrics;
  /** Issues and verifies the signed meeting links (see auth/links.ts). */
  readonly links: MeetingLinks;
  /** Base of the links handed out: CANOPY_PUBLIC_URL, or `url`. */
  readonly publicUrl: string;
  /** Close connections, meetings, workers and the port. */
  close(): Promise<void>;
}

export interface StartOptions {
  signaling?: Omit<SignalingServerOptions, 'allowedOrigins'>;
  /**
   * Overrides for the delivery service (meetings as MLS groups on the
   * signaling WebSocket, suite 1 on native crypto, links verified by this
   * server's MeetingLinks): its Authentication Service, store and timings.
   */
  delivery?: Partial<Omit<DeliveryServiceOptions, 'suite' | 'links' | 'log'>>;
  /** Where errors go; default: the structured logger. Tests pass `() => {}`. */
  log?: (message: string, error?: unknown) => void;
  /** The structured logger (JSON lines); default: pino at `config.logLevel` (silent when `log` is given). */
  logger?: Logger;
}

/** Start the SFU workers and listen; rejects (with everything closed) if either fails. */
export async function startServer(
  config: ServerConfig,
  mediasoup: MediasoupApi,
  options: StartOptions = {},
): Promise<CanopyServer> {
  const logger =
    options.logger ?? createLogger({ level: options.log ? 'silent' : config.logLevel });
  const log =
    options.log ?? ((m: string, e?: unknown) => logger.error(e === undefined ? {} : { err: e }, m));
  const sfu = await Sfu.create({
    mediasoup,
    workers: config.workers,
    workerSettings: {
      logLevel: 'warn',
      rtcMinPort: config.rtcMinPort,
      rtcMaxPort: config.rtcMaxPort,
    },
    listenIps: [
      { ip: config.listenIp, ...(config.announcedIp && { announcedIp: config.announcedIp }) },
    ],
  });
  sfu.on('workerdied', (pid, error) =>
    log(`mediasoup worker ${pid} died; restarting it`, error.message),
  );
  sfu.on('workerrestartfailed', (error) => log('mediasoup worker restart failed', error.message));
  const meetings = new MeetingRegistry(sfu, { maxParticipants: config.maxParticipants });

  const suite = getCipherSuite(1, nodeProvider);
  const authentication =
    options.delivery?.authentication ??
    (config.asSigningKey
      ? new AuthenticationService(suite, config.asSigningKey)
      : AuthenticationService.generate(suite));
  const links = new MeetingLinks({
    ...(config.linkSecret && { secret: config.linkSecret }),
    ttlSeconds: config.linkTtlSeconds,
    asPublicKey: authentication.publicKey,
  });
  let publicUrl = config.publicUrl ?? '';
  const api = createApi({
    links,
    publicUrl: () => publicUrl,
    meetingsPerMinute: config.meetingsPerMinute,
    maxTtlSeconds: config.linkTtlSeconds,
  });
  const files = staticFiles(config.publicDir);
  const metrics = new ServerMetrics();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/metrics' && req.method === 'GET') {
      metrics.handle(req, res).catch(() => res.destroy());
      return;
    }
    if (!api(req, res)) files(req, res);
  };
  const http: HttpServer | HttpsServer = config.tls
    ? createHttpsServer(
        { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        handler,
      )
    : createHttpServer(handler);
  const delivery = new DeliveryService({
    ...(config.externalSenderKey && { externalSenderPrivateKey: config.externalSenderKey }),
    ...options.delivery,
    authentication,
    suite,
    links,
    log,
  });
  recordDeliveryMetrics(delivery, metrics);
  recordDeliveryLogs(delivery, logger);
  // Media sessions by connection: a member the DS removes and re-adds loses its media.
  const sessions = new Map<string, MediaSession>();
  delivery.on('recovery', ({ meetingId, userId }) => {
    for (const session of sessions.values()) {
      const m = session.member;
      if (m?.meetingId === meetingId && m.userId === userId) session.membershipLost();
    }
  });
  const signaling = new SignalingServer(
    http,
    (connection) => {
      sessions.set(
        connection.id,
        new MediaSession(connection, meetings, (id) => delivery.settledMemberOf(id), log),
      );
      connection.once('close', () => sessions.delete(connection.id));
      delivery.accept(connection);
    },
    {
      // a commit or a join storm's Welcome is larger than any JSON message
      hardMaxBytes: MAX_CLIENT_FRAME_BYTES,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      ...options.signaling,
      allowedOrigins: config.allowedOrigins,
      log,
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    delivery.close();
    signaling.close();
    sfu.close();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${config.tls ? 'https' : 'http'}://${host}:${port}`;
  publicUrl ||= url;
  return {
    url,
    port,
    sfu,
    meetings,
    signaling,
    delivery,
    authentication,
    links,
    publicUrl,
    metrics,
    async close() {
      delivery.close();
      signaling.close();
      meetings.close();
      sfu.close();
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
