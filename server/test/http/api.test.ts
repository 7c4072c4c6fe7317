// The HTTP API: meeting creation with signed links, bounded and validated
// request bodies, JSON errors with a code, and the per-address creation cap.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { mediasoupTestModule, withTools } from '../../../shared/test/support/tools.js';
import { MeetingLinks } from '../../src/auth/index.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { createApi, MAX_BODY_BYTES } from '../../src/http/api.js';
import { type CanopyServer, startServer } from '../../src/server.js';
import { testMediasoup } from '../support/mediasoup.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: unknown;
}

/** One request from `localAddress` (any 127.0.0.0/8 address stands for another client). */
function call(
  port: number,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: options.headers,
        localAddress: options.localAddress ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

describe('POST /api/meetings', () => {
  const links = new MeetingLinks({ ttlSeconds: 3600 });
  let http: Server;
  let port: number;
  let fellThrough = 0;

  beforeAll(async () => {
    const api = createApi({
      links,
      publicUrl: () => 'https://meet.example',
      meetingsPerMinute: 20,
      maxTtlSeconds: 3600,
    });
    http = createServer((req, res) => {
      if (api(req, res)) return;
      fellThrough++;
      res.end('static');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  test('creates a meeting whose host and participant links verify', async () => {
    const before = Date.now();
    for (const body of [undefined, '{}']) {
      const r = await call(port, 'POST', '/api/meetings', { body, headers: JSON_TYPE });
      expect(r.status).toBe(201);
      expect(r.headers['content-type']).toContain('application/json');
      expect(r.headers['cache-control']).toBe('no-store');
      const m = r.json as Record<string, unknown>;
      expect(Object.keys(m).sort()).toEqual([
        'expiresAt',
        'hostLink',
        'meetingId',
        'participantLink',
      ]);
      expect(m.meetingId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(m.hostLink).toMatch(new RegExp(`^https://meet\\.example/m/${m.meetingId}\\?t=`));
      const t = (link: unknown) => new URL(String(link)).searchParams.get('t')!;
      expect(await links.verify(t(m.hostLink), String(m.meetingId))).toMatchObject({
        role: 'host',
      });
      expect(await links.verify(t(m.participantLink), String(m.meetingId))).toMatchObject({
        role: 'participant',
      });
      expect(m.expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000);
    }
  });

  test('a shorter lifetime on request, within bounds', async () => {
    const ok = await call(port, 'POST', '/api/meetings', {
      body: JSON.stringify({ ttlSeconds: 120 }),
      headers: JSON_TYPE,
    });
    expect(ok.status).toBe(201);
    expect((ok.json as { expiresAt: number }).expiresAt).toBeLessThanOrEqual(Date.now() + 121_000);
    for (const ttlSeconds of [10, 3601, 1.5, '600', -1]) {
      const r = await call(port, 'POST', '/api/meetings', {
        body: JSON.stringify({ ttlSeconds }),
        headers: JSON_TYPE,
      });
      expect(r.status, String(ttlSeconds)).toBe(400);
      expect(r.json).toMatchObject({ error: { code: 'invalid-request' } });
    }
  });

  test('bad requests get a JSON error with a code', async () => {
    const cases: [string, string, Parameters<typeof call>[3], number, string][] = [
      ['GET', '/api/meetings', {}, 405, 'method-not-allowed'],
      ['DELETE', '/api/meetings', {}, 405, 'method-not-allowed'],
      ['POST', '/api/nope', {}, 404, 'not-found'],
      ['POST', '/api', {}, 404, 'not-found'],
      [
        'POST',
        '/api/meetings',
        { body: '{"ttlSeconds":', headers: JSON_TYPE },
        400,
        'invalid-json',
      ],
      ['POST', '/api/meetings', { body: '[]', headers: JSON_TYPE }, 400, 'invalid-request'],
      ['POST', '/api/meetings', { body: 'null', headers: JSON_TYPE }, 400, 'invalid-request'],
      [
        'POST',
        '/api/meetings',
        { body: '{"meetingId":"mine"}', headers: JSON_TYPE },
        400,
        'invalid-request',
      ],
      [
        'POST',
        '/api/meetings',
        { body: '{}', headers: { 'Content-Type': 'text/plain' } },
        415,
        'unsupported-media-type',
      ],
      ['POST', '/api/meetings', { body: '{}' }, 415, 'unsupported-media-type'],
    ];
    for (const [method, path, options, status, code] of cases) {
      const r = await call(port, method, path, options);
      expect(r.status, `${method} ${path} ${options?.body}`).toBe(status);
      expect(r.json, `${method} ${path}`).toMatchObject({ error: { code } });
    }
    expect((await call(port, 'GET', '/api/meetings')).headers.allow).toBe('POST');
  });

  test('bodies above the limit are refused, declared or streamed', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    const declared = await call(port, 'POST', '/api/meetings', { body: big, headers: JSON_TYPE });
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error: { code: 'payload-too-large' } });
    const chunked = await call(port, 'POST', '/api/meetings', {
      body: big,
      headers: { ...JSON_TYPE, 'Transfer-Encoding': 'chunked' },
    });
    expect(chunked.status).toBe(413);
    // The server still serves.
    expect((await call(port, 'POST', '/api/meetings')).status).toBe(201);
  });

  test('other paths go on to the next handler', async () => {
    const before = fellThrough;
    for (const path of ['/', '/m/abc', '/apix', '/app.js']) {
      expect((await call(port, 'GET', path)).body).toBe('static');
    }
    expect(fellThrough).toBe(before + 4);
  });
});

describe('meeting creation is capped per client address', () => {
  let http: Server;
  let port: number;

  beforeAll(async () => {
    const api = createApi({
      links: new MeetingLinks(),
      publicUrl: () => 'http://127.0.0.1',
      meetingsPerMinute: 3,
      maxTtlSeconds: 3600,
    });
    http = createServer((req, res) => {
      if (!api(req, res)) res.end();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  test('the fourth creation in a minute from one address is refused with 429; others are not', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await call(port, 'POST', '/api/meetings')).status).toBe(201);
    }
    const refused = await call(port, 'POST', '/api/meetings');
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ error: { code: 'rate-limited' } });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another client address has its own allowance.
    const other = await call(port, 'POST', '/api/meetings', { localAddress: '127.0.0.2' });
    expect(other.status).toBe(201);
  });
});

if (withTools('the API in the Canopy server', [mediasoupTestModule()])) {
  describe('the API in the Canopy server', () => {
    let server: CanopyServer;

    beforeAll(async () => {
      server = await startServer(
        {
          ...DEFAULT_CONFIG,
          port: 0,
          workers: 1,
          publicDir: '/nonexistent',
          publicUrl: 'https://meet.example',
          meetingsPerMinute: 2,
          maxConnectionsPerAddress: 2,
        },
        await testMediasoup(),
        { log: () => {} },
      );
    });
    afterAll(async () => {
      await server?.close();
    });

    test('POST /api/meetings is routed before static files; server.links verifies its links', async () => {
      expect(server.publicUrl).toBe('https://meet.example');
      const r = await call(server.port, 'POST', '/api/meetings');
      expect(r.status).toBe(201);
      const m = r.json as { meetingId: string; hostLink: string; participantLink: string };
      expect(m.hostLink.startsWith(`https://meet.example/m/${m.meetingId}?t=`)).toBe(true);
      const token = new URL(m.hostLink).searchParams.get('t')!;
      expect(await server.links.verify(token, m.meetingId)).toMatchObject({ role: 'host' });
      // The configured cap: 2 per minute.
      expect((await call(server.port, 'POST', '/api/meetings')).status).toBe(201);
      expect((await call(server.port, 'POST', '/api/meetings')).status).toBe(429);
      // Static files still answer the rest.
      expect((await call(server.port, 'GET', '/healthz')).body).toBe('ok');
    });

    test('the configured per-address WebSocket cap refuses with 429', async () => {
      const url = `ws://127.0.0.1:${server.port}/ws`;
      const open = () =>
        new Promise<WebSocket | number>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.once('open', () => resolve(ws));
          ws.once('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            res.resume();
            ws.terminate();
          });
          ws.once('error', reject);
        });
      const held = [await open(), await open()];
      expect(held.every((ws) => ws instanceof WebSocket)).toBe(true);
      expect(await open()).toBe(429);
      for (const ws of held) (ws as WebSocket).close();
    });
  });
}
