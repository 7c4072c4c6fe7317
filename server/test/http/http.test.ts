// Configuration from the environment, and the static file server for the web app.
// The static file tests speak raw HTTP over a socket: a client library (fetch,
// http.request) would normalise `..` and encoded paths before the server saw them.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, configFromEnv, DEFAULT_CONFIG } from '../../src/config.js';
import { staticFiles } from '../../src/http/static-files.js';

describe('configFromEnv', () => {
  test('embedded defaults without any variable', () => {
    expect(configFromEnv({})).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({ host: '127.0.0.1', port: 8080, listenIp: '127.0.0.1' });
  });

  test('overrides, and blank variables count as unset', () => {
    const c = configFromEnv({
      CANOPY_HOST: '0.0.0.0',
      CANOPY_PORT: '9443',
      CANOPY_WORKERS: '3',
      CANOPY_LISTEN_IP: '10.0.0.5',
      CANOPY_ANNOUNCED_IP: '203.0.113.7',
      CANOPY_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      CANOPY_MEDIASOUP_DIR: '',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 9443,
      workers: 3,
      listenIp: '10.0.0.5',
      announcedIp: '203.0.113.7',
      allowedOrigins: ['https://a.example', 'https://b.example'],
      mediasoupDir: undefined,
    });
  });

  test('meeting links and per-address caps', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      publicUrl: undefined,
      linkSecret: undefined,
      linkTtlSeconds: 86400,
      meetingsPerMinute: 120,
      maxConnectionsPerAddress: 5000,
    });
    const secret = Buffer.alloc(32, 9);
    const c = configFromEnv({
      CANOPY_PUBLIC_URL: 'https://meet.example/',
      CANOPY_LINK_SECRET: secret.toString('base64url'),
      CANOPY_LINK_TTL: '600',
      CANOPY_MEETINGS_PER_MINUTE: '5',
      CANOPY_MAX_CONNECTIONS_PER_ADDRESS: '20000',
    });
    expect(c).toMatchObject({
      publicUrl: 'https://meet.example',
      linkTtlSeconds: 600,
      meetingsPerMinute: 5,
      maxConnectionsPerAddress: 20000,
    });
    expect(Buffer.from(c.linkSecret!)).toEqual(secret);
    for (const [name, value] of [
      ['CANOPY_LINK_SECRET', Buffer.alloc(31).toString('base64url')],
      ['CANOPY_LINK_SECRET', 'not base64url!'],
      ['CANOPY_LINK_TTL', '59'],
      ['CANOPY_PUBLIC_URL', 'https://meet.example/path'],
      ['CANOPY_PUBLIC_URL', 'ftp://meet.example'],
      ['CANOPY_PUBLIC_URL', 'meet.example'],
      ['CANOPY_MEETINGS_PER_MINUTE', '0'],
      ['CANOPY_MAX_CONNECTIONS_PER_ADDRESS', '-1'],
    ] as const) {
      expect(() => configFromEnv({ [name]: value }), `${name}=${value}`).toThrow(name);
    }
  });

  test('invalid values are a ConfigError naming the variable', () => {
    for (const [name, value] of [
      ['CANOPY_PORT', '70000'],
      ['CANOPY_PORT', 'http'],
      ['CANOPY_WORKERS', '0'],
      ['CANOPY_LISTEN_IP', 'localhost'],
    ] as const) {
      expect(() => configFromEnv({ [name]: value })).toThrow(ConfigError);
      expect(() => configFromEnv({ [name]: value })).toThrow(name);
    }
    expect(() => configFromEnv({ CANOPY_TLS_CERT: '/c.pem' })).toThrow('CANOPY_TLS_KEY');
    expect(() =>
      configFromEnv({ CANOPY_RTC_MIN_PORT: '50000', CANOPY_RTC_MAX_PORT: '40000' }),
    ).toThrow(ConfigError);
  });
});

/** One raw HTTP/1.1 request, path sent exactly as given; status and body. */
async function rawGet(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
    );
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

/** Open file descriptors of this process (Linux). */
const openFds = () => readdirSync('/proc/self/fd').length;

describe('static files', () => {
  // dir/public is the served root; dir/secret.txt and dir/public-old/secret.txt
  // sit beside it (the second one shares the root's name as a prefix).
  const SECRET = 'canopy-secret-7f3a';
  let dir: string;
  let root: string;
  let http: Server;
  let port: number;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'canopy-static-'));
    root = join(dir, 'public');
    mkdirSync(join(root, 'build'), { recursive: true });
    mkdirSync(join(dir, 'public-old'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'build/app.js'), 'console.log(1)');
    writeFileSync(join(root, 'large.bin'), Buffer.alloc(32 << 20, 7));
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    writeFileSync(join(dir, 'public-old/secret.txt'), SECRET);
    http = createServer(staticFiles(root));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('the app, meeting links, assets with their types, and security headers', async () => {
    for (const path of ['/', '/m/team-standup', '/m/a_b-C/']) {
      const r = await fetch(base + path);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('<title>app</title>');
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    }
    const js = await fetch(`${base}/build/app.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  test('no path reaches a file outside the root, however it is encoded', async () => {
    // Sanity: the secret is where the traversals aim, one level above the root.
    expect((await rawGet(port, '/build/app.js')).body).toBe('console.log(1)');
    const attempts = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/..%2Fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/.%2e/secret.txt',
      '/build/..%2f..%2fsecret.txt',
      '/build/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%2fpublic-old%2fsecret.txt',
      '/..\\secret.txt',
      '/..%5csecret.txt',
      '/build\\..\\..\\secret.txt',
      '/%252e%252e%252fsecret.txt',
      '/..%252fsecret.txt',
      '/%c0%ae%c0%ae/secret.txt',
      '/m/..%2f..%2fsecret.txt',
      '//secret.txt',
      `/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f${dir.slice(1).replaceAll('/', '%2f')}%2fsecret.txt`,
      `/${encodeURIComponent(join(dir, 'secret.txt'))}`,
    ];
    for (const path of attempts) {
      const r = await rawGet(port, path);
      expect(r.body, path).not.toContain(SECRET);
      expect([400, 404], path).toContain(r.status);
    }
  });

  test('no listings, no NUL bytes or broken escapes, only GET and HEAD', async () => {
    for (const path of ['/build/', '/nope', '/m/../../etc']) {
      expect((await rawGet(port, path)).status, path).toBe(404);
    }
    expect((await rawGet(port, '/%00')).status).toBe(400);
    expect((await rawGet(port, '/index.html%00.js')).status).toBe(400);
    expect((await rawGet(port, '/%E0%A4%A')).status).toBe(400);
    expect((await rawGet(port, '/', 'POST')).status).toBe(405);
    const head = await rawGet(port, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  test('downloads the client aborts mid-stream leave no file handle open', async () => {
    // A complete download first, so lazily opened descriptors are in the baseline.
    expect((await rawGet(port, '/large.bin')).body.length).toBe(32 << 20);
    const baseline = openFds();
    const aborted = 100;
    await Promise.all(
      Array.from(
        { length: aborted },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(port, '127.0.0.1', () =>
              socket.write('GET /large.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
            );
            socket.once('data', () => {
              socket.destroy();
              resolve();
            });
            socket.on('error', reject);
          }),
      ),
    );
    // The server notices each abort asynchronously: wait (bounded) for the count to settle.
    let now = openFds();
    for (let i = 0; i < 100 && now > baseline; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = openFds();
    }
    expect(now).toBeLessThanOrEqual(baseline);
  });
});
