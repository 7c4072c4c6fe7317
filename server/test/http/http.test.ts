// Configuration from the environment, and the static file server for the web app.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

describe('static files', () => {
  let root: string;
  let http: Server;
  let base: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'canopy-static-'));
    mkdirSync(join(root, 'build'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'build/app.js'), 'console.log(1)');
    writeFileSync(join(root, '../canopy-secret.txt'), 'secret');
    http = createServer(staticFiles(root));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => http.close(r));
    rmSync(root, { recursive: true, force: true });
    rmSync(join(root, '../canopy-secret.txt'), { force: true });
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

  test('nothing outside the directory, no listings, only GET and HEAD', async () => {
    const raw = async (path: string, method = 'GET') => {
      const { request } = await import('node:http');
      return new Promise<number>((resolve) => {
        const req = request(`${base}${path}`, { method }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.end();
      });
    };
    for (const path of [
      '/../canopy-secret.txt',
      '/%2e%2e/canopy-secret.txt',
      '/build/',
      '/m/../../etc',
      '/nope',
    ]) {
      expect(await raw(path)).toBe(404);
    }
    expect(await raw('/%00')).toBe(400);
    expect(await raw('/%E0%A4%A')).toBe(400);
    expect(await raw('/', 'POST')).toBe(405);
    expect(await raw('/', 'HEAD')).toBe(200);
  });
});
