/**
 * Server configuration: embedded defaults, overridden by environment
 * variables (documented in server/README.md). Invalid values are a ConfigError
 * naming the variable.
 */
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CanopyError } from '@canopy/shared/protocol';
import { z } from 'zod';
import { MIN_SECRET_BYTES } from './auth/links.js';

export class ConfigError extends CanopyError {
  constructor(message: string) {
    super('invalid-config', message);
  }
}

export interface ServerConfig {
  /** HTTP(S) and WebSocket address. */
  host: string;
  port: number;
  /** The built web app (client/public). */
  publicDir: string;
  /** TLS certificate and key files; plain HTTP without them (fine on loopback). */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Allowed WebSocket origins (see SignalingServerOptions.allowedOrigins). */
  allowedOrigins: 'same-host' | 'any' | string[];
  /** A built mediasoup package directory; unset: the `mediasoup` dependency. */
  mediasoupDir: string | undefined;
  workers: number;
  /** Address WebRtcTransports listen on, and the one announced to clients (NAT, containers). */
  listenIp: string;
  announcedIp: string | undefined;
  rtcMinPort: number;
  rtcMaxPort: number;
  maxParticipants: number;
  /** Base of the meeting links the server hands out; unset: the server's own URL. */
  publicUrl: string | undefined;
  /** HMAC key of meeting links (≥ 32 bytes); unset: random per process. */
  linkSecret: Uint8Array | undefined;
  /** How long meeting links stay valid, in seconds. */
  linkTtlSeconds: number;
  /** Meetings one client address may create per minute. */
  meetingsPerMinute: number;
  /** Open signaling connections per client address (IPv6: per /64). */
  maxConnectionsPerAddress: number;
  /** Structured log level (pino): fatal, error, warn, info, debug, trace or silent. */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The Authentication Service's Ed25519 signing key (32 bytes); unset: random per process. */
  asSigningKey: Uint8Array | undefined;
  /** The delivery service's external-sender Ed25519 key (32 bytes); unset: random per process. */
  externalSenderKey: Uint8Array | undefined;
}

const here = dirname(fileURLToPath(import.meta.url));

export const DEFAULT_CONFIG: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  publicDir: join(here, '../../client/public'),
  tls: undefined,
  allowedOrigins: 'same-host',
  mediasoupDir: undefined,
  workers: availableParallelism(),
  listenIp: '127.0.0.1',
  announcedIp: undefined,
  rtcMinPort: 40000,
  rtcMaxPort: 49999,
  maxParticipants: 1000,
  publicUrl: undefined,
  linkSecret: undefined,
  linkTtlSeconds: 24 * 3600,
  meetingsPerMinute: 120,
  // High enough for a load runner opening thousands of connections from 127.0.0.1.
  maxConnectionsPerAddress: 5000,
  logLevel: 'info',
  asSigningKey: undefined,
  externalSenderKey: undefined,
};

const Port = z.coerce.number().int().min(0).max(65535);
const NonEmpty = z.string().min(1);

/** An Ed25519 private key (RFC 8032 seed), base64url: 43 characters. */
const Ed25519PrivateKey = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{43}$/,
    'expected a 32-byte Ed25519 private key in base64url (43 characters)',
  );

const Env = z.object({
  CANOPY_HOST: NonEmpty.optional(),
  CANOPY_PORT: Port.optional(),
  CANOPY_PUBLIC_DIR: NonEmpty.optional(),
  CANOPY_TLS_CERT: NonEmpty.optional(),
  CANOPY_TLS_KEY: NonEmpty.optional(),
  CANOPY_ALLOWED_ORIGINS: NonEmpty.optional(),
  CANOPY_MEDIASOUP_DIR: NonEmpty.optional(),
  CANOPY_WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  CANOPY_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).optional(),
  CANOPY_ANNOUNCED_IP: NonEmpty.optional(),
  CANOPY_RTC_MIN_PORT: Port.optional(),
  CANOPY_RTC_MAX_PORT: Port.optional(),
  CANOPY_MAX_PARTICIPANTS: z.coerce.number().int().min(1).max(100_000).optional(),
  CANOPY_PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => /^https?:\/\/[^/?#]+\/?$/.test(u),
      'expected an origin such as https://meet.example',
    )
    .optional(),
  CANOPY_LINK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'expected base64url')
    .refine(
      (s) => Buffer.from(s, 'base64url').length >= MIN_SECRET_BYTES,
      `expected at least ${MIN_SECRET_BYTES} bytes (${Math.ceil((MIN_SECRET_BYTES * 4) / 3)} base64url characters)`,
    )
    .optional(),
  CANOPY_LINK_TTL: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .optional(),
  CANOPY_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional(),
  CANOPY_AS_KEY: Ed25519PrivateKey.optional(),
  CANOPY_DS_KEY: Ed25519PrivateKey.optional(),
  CANOPY_MEETINGS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).optional(),
  CANOPY_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

/** The configuration for `env` (default: process.env). */
export function configFromEnv(env: Record<string, string | undefined> = process.env): ServerConfig {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = Env.safeParse(blanksRemoved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  if (!!e.CANOPY_TLS_CERT !== !!e.CANOPY_TLS_KEY) {
    throw new ConfigError('CANOPY_TLS_CERT and CANOPY_TLS_KEY go together');
  }
  const d = DEFAULT_CONFIG;
  const config: ServerConfig = {
    host: e.CANOPY_HOST ?? d.host,
    port: e.CANOPY_PORT ?? d.port,
    publicDir: e.CANOPY_PUBLIC_DIR ?? d.publicDir,
    tls:
      e.CANOPY_TLS_CERT && e.CANOPY_TLS_KEY
        ? { certFile: e.CANOPY_TLS_CERT, keyFile: e.CANOPY_TLS_KEY }
        : undefined,
    allowedOrigins:
      e.CANOPY_ALLOWED_ORIGINS === undefined || e.CANOPY_ALLOWED_ORIGINS === 'same-host'
        ? 'same-host'
        : e.CANOPY_ALLOWED_ORIGINS === 'any'
          ? 'any'
          : e.CANOPY_ALLOWED_ORIGINS.split(',').map((o) => o.trim()),
    mediasoupDir: e.CANOPY_MEDIASOUP_DIR,
    workers: e.CANOPY_WORKERS ?? d.workers,
    listenIp: e.CANOPY_LISTEN_IP ?? d.listenIp,
    announcedIp: e.CANOPY_ANNOUNCED_IP,
    rtcMinPort: e.CANOPY_RTC_MIN_PORT ?? d.rtcMinPort,
    rtcMaxPort: e.CANOPY_RTC_MAX_PORT ?? d.rtcMaxPort,
    maxParticipants: e.CANOPY_MAX_PARTICIPANTS ?? d.maxParticipants,
    publicUrl: e.CANOPY_PUBLIC_URL?.replace(/\/$/, ''),
    linkSecret: e.CANOPY_LINK_SECRET
      ? new Uint8Array(Buffer.from(e.CANOPY_LINK_SECRET, 'base64url'))
      : undefined,
    linkTtlSeconds: e.CANOPY_LINK_TTL ?? d.linkTtlSeconds,
    meetingsPerMinute: e.CANOPY_MEETINGS_PER_MINUTE ?? d.meetingsPerMinute,
    maxConnectionsPerAddress: e.CANOPY_MAX_CONNECTIONS_PER_ADDRESS ?? d.maxConnectionsPerAddress,
    logLevel: e.CANOPY_LOG_LEVEL ?? d.logLevel,
    asSigningKey: e.CANOPY_AS_KEY
      ? new Uint8Array(Buffer.from(e.CANOPY_AS_KEY, 'base64url'))
      : undefined,
    externalSenderKey: e.CANOPY_DS_KEY
      ? new Uint8Array(Buffer.from(e.CANOPY_DS_KEY, 'base64url'))
      : undefined,
  };
  if (
    config.asSigningKey &&
    config.externalSenderKey &&
    Buffer.from(config.asSigningKey).equals(config.externalSenderKey)
  ) {
    throw new ConfigError('CANOPY_AS_KEY and CANOPY_DS_KEY must be different keys');
  }
  if (config.rtcMinPort > config.rtcMaxPort) {
    throw new ConfigError('CANOPY_RTC_MIN_PORT is above CANOPY_RTC_MAX_PORT');
  }
  return config;
}
