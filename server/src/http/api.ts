/**
 * The HTTP API under `/api/`, JSON in and out:
 *
 *   POST /api/meetings  body `{}` or `{ "ttlSeconds": n }` (optional, ≤ the
 *   server's link lifetime) → 201 `{ meetingId, hostLink, participantLink, expiresAt }`
 *
 * Errors are `{ "error": { "code", "message" } }` with codes `not-found`,
 * `method-not-allowed`, `rate-limited` (429, Retry-After), `payload-too-large`,
 * `unsupported-media-type`, `invalid-json`, `invalid-request`, `internal-error`.
 * Request bodies are bounded (MAX_BODY_BYTES); meeting creation is capped per
 * client address.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { MeetingLinks } from '../auth/index.js';
import { clientAddressKey } from './client-address.js';

export const MAX_BODY_BYTES = 1024;

export interface ApiOptions {
  links: MeetingLinks;
  /** Base URL of the links handed out (the server's public origin). */
  publicUrl: () => string;
  /** Meetings one client address may create per minute. */
  meetingsPerMinute: number;
  /** Upper bound of a requested link lifetime, in seconds. */
  maxTtlSeconds: number;
}

/** Handles `/api/…` requests and returns true; returns false for any other path. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  // Responses carry meeting links, which are credentials.
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function createApi(options: ApiOptions): ApiHandler {
  const creation = new RateLimiterMemory({ points: options.meetingsPerMinute, duration: 60 });
  const CreateMeeting = z.strictObject({
    ttlSeconds: z.int().min(60).max(options.maxTtlSeconds).optional(),
  });

  async function createMeeting(req: IncomingMessage): Promise<unknown> {
    try {
      await creation.consume(clientAddressKey(req.socket.remoteAddress));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      throw new ApiError(429, 'rate-limited', 'too many meetings created from this address', {
        'Retry-After': String(Math.max(1, Math.ceil(e.msBeforeNext / 1000))),
      });
    }
    const body = await readJson(req);
    const parsed = CreateMeeting.safeParse(body === undefined ? {} : body);
    if (!parsed.success) {
      throw new ApiError(400, 'invalid-request', parsed.error.issues[0]?.message ?? 'invalid body');
    }
    return options.links.create(options.publicUrl(), parsed.data.ttlSeconds);
  }

  return (req, res) => {
    const path = (req.url ?? '').split(/[?#]/, 1)[0] ?? '';
    if (path !== '/api' && !path.startsWith('/api/')) return false;
    void (async () => {
      if (path !== '/api/meetings') throw new ApiError(404, 'not-found', 'no such API');
      if (req.method !== 'POST') {
        throw new ApiError(405, 'method-not-allowed', 'use POST', { Allow: 'POST' });
      }
      reply(res, 201, await createMeeting(req));
    })().catch((e: unknown) => {
      const error =
        e instanceof ApiError ? e : new ApiError(500, 'internal-error', 'internal error');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      reply(
        res,
        error.status,
        { error: { code: error.code, message: error.message } },
        error.headers,
      );
    });
    return true;
  };
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...HEADERS,
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** The request body as JSON (undefined when empty), at most MAX_BODY_BYTES. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  // An oversized body is answered at once and not read further: the response
  // closes the connection.
  const tooLarge = new ApiError(
    413,
    'payload-too-large',
    `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
    { Connection: 'close' },
  );
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge;
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
  if (body.length === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(415, 'unsupported-media-type', 'send application/json');
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid-json', 'the body is not valid JSON');
  }
}
