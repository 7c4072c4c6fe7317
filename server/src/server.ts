/**
 * The Canopy server: one HTTP(S) port serving the web app and the signaling
 * WebSocket, over an SFU and the meetings on it.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MAX_CLIENT_FRAME_BYTES } from '@canopy/shared/protocol';
import type { ServerConfig } from './config.js';
import type { DeliveryService } from './delivery/index.js';
import { staticFiles } from './http/static-files.js';
import { MeetingRegistry } from './meeting/index.js';
import { type MediasoupApi, Sfu } from './sfu/index.js';
import { MediaSession, SignalingServer, type SignalingServerOptions } from './signaling/index.js';

export interface CanopyServer {
  /** Base URL of the web app, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  readonly sfu: Sfu;
  readonly meetings: MeetingRegistry;
  readonly signaling: SignalingServer;
  /** The delivery service on the signaling connections, when one was given. */
  readonly delivery: DeliveryService | undefined;
  /** Close connections, meetings, workers and the port. */
  close(): Promise<void>;
}

export interface StartOptions {
  signaling?: Omit<SignalingServerOptions, 'allowedOrigins'>;
  /**
   * The delivery service (MLS groups) served on the same WebSocket as binary
   * frames; without one, binary frames are refused as before.
   */
  delivery?: DeliveryService;
  log?: (message: string, error?: unknown) => void;
}

/** Start the SFU workers and listen; rejects (with everything closed) if either fails. */
export async function startServer(
  config: ServerConfig,
  mediasoup: MediasoupApi,
  options: StartOptions = {},
): Promise<CanopyServer> {
  const log = options.log ?? ((m: string, e?: unknown) => console.error(`[canopy] ${m}`, e ?? ''));
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

  const handler = staticFiles(config.publicDir);
  const http: HttpServer | HttpsServer = config.tls
    ? createHttpsServer(
        { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
        handler,
      )
    : createHttpServer(handler);
  const signaling = new SignalingServer(
    http,
    (connection) => {
      new MediaSession(connection, meetings, log);
      options.delivery?.accept(connection);
    },
    {
      // a commit or a join storm's Welcome is larger than any JSON message
      ...(options.delivery && { hardMaxBytes: MAX_CLIENT_FRAME_BYTES }),
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
    signaling.close();
    sfu.close();
    throw e;
  }
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `${config.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    sfu,
    meetings,
    signaling,
    delivery: options.delivery,
    async close() {
      options.delivery?.close();
      signaling.close();
      meetings.close();
      sfu.close();
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
