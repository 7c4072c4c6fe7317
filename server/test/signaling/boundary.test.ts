// The signaling boundary on its own (no SFU): every kind of bad input gets a
// typed error response, abuse disconnects only the abuser, and nothing a
// client sends stops the server from serving others.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CanopyError, type Request } from '@canopy/shared/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLOSE_CODES, SignalingServer } from '../../src/signaling/index.js';
import { TestClient } from '../support/ws-client.js';

class TeapotError extends CanopyError {
  constructor() {
    super('teapot', 'I am a teapot');
  }
}

describe('signaling boundary', () => {
  let http: Server;
  let signaling: SignalingServer;
  let url: string;
  const logged: string[] = [];

  beforeAll(async () => {
    http = createServer((_req, res) => res.end());
    signaling = new SignalingServer(
      http,
      (connection) =>
        connection.setHandler(async (request: Request) => {
          switch (request.method) {
            case 'meeting.join':
              if (request.data.displayName === 'crash') throw new Error('secret internal detail');
              if (request.data.displayName === 'teapot') throw new TeapotError();
              if (request.data.displayName === 'slow') await new Promise((r) => setTimeout(r, 300));
              return { echoed: request.data.displayName };
            default:
              return {};
          }
        }),
      {
        limits: {
          maxMessageBytes: 4096,
          maxStrikes: 3,
          maxMessagesPerSecond: 50,
          maxPendingRequests: 4,
        },
        hardMaxBytes: 16 * 1024,
        log: (m) => logged.push(m),
      },
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
  });

  afterAll(async () => {
    signaling.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  test('a valid request gets its result, matched by id', async () => {
    const c = await TestClient.connect(url);
    expect(
      await c.request('meeting.join', { meetingId: 'm', displayName: 'Ada', token: 't' }),
    ).toEqual({
      id: 1,
      ok: true,
      data: { echoed: 'Ada' },
    });
    c.close();
  });

  test('each kind of bad input gets its typed error, and the connection keeps working', async () => {
    const cases: [string, string, number | null][] = [
      ['{"id":1,', 'malformed-json', null],
      ['{"id":9,"method":"meeting.join"}', 'invalid-message', 9],
      ['{"id":10,"method":"meeting.selfDestruct","data":{}}', 'unknown-method', 10],
      [
        '{"id":11,"method":"meeting.join","data":{"meetingId":1,"displayName":"x"}}',
        'invalid-data',
        11,
      ],
    ];
    for (const [text, code, id] of cases) {
      const c = await TestClient.connect(url);
      c.send(text);
      expect(await c.nextResponse()).toMatchObject({ id, ok: false, error: { code } });
      expect((await c.request('meeting.leave', {})).ok).toBe(true);
      c.close();
    }
  });

  test('oversize (above the message limit, below the frame limit) → message-too-large, still connected', async () => {
    const c = await TestClient.connect(url);
    c.send(JSON.stringify({ id: 1, method: 'meeting.leave', data: {}, pad: 'x'.repeat(5000) }));
    expect(await c.nextResponse()).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'message-too-large' },
    });
    expect((await c.request('meeting.leave', {})).ok).toBe(true);
    c.close();
  });

  test('binary frames → invalid-message', async () => {
    const c = await TestClient.connect(url);
    c.send(Buffer.from('{"id":1,"method":"meeting.leave","data":{}}'), true);
    expect(await c.nextResponse()).toMatchObject({
      id: null,
      ok: false,
      error: { code: 'invalid-message' },
    });
    c.close();
  });

  test('a handler failure is an internal-error response that leaks nothing; typed ones keep their code', async () => {
    const c = await TestClient.connect(url);
    const crash = await c.request('meeting.join', {
      meetingId: 'm',
      displayName: 'crash',
      token: 't',
    });
    expect(crash).toMatchObject({ ok: false, error: { code: 'internal-error' } });
    expect(JSON.stringify(crash)).not.toContain('secret');
    expect(
      await c.request('meeting.join', { meetingId: 'm', displayName: 'teapot', token: 't' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'teapot', message: 'I am a teapot' },
    });
    expect((await c.request('meeting.leave', {})).ok).toBe(true);
    c.close();
  });

  test('repeated bad messages disconnect the sender (1008) and nobody else', async () => {
    const good = await TestClient.connect(url);
    const bad = await TestClient.connect(url);
    for (let i = 0; i < 3; i++) bad.send('not json');
    expect((await bad.closed).code).toBe(CLOSE_CODES.policyViolation);
    expect(bad.responses.map((r) => r.error?.code)).toEqual([
      'malformed-json',
      'malformed-json',
      'malformed-json',
    ]);
    expect((await good.request('meeting.leave', {})).ok).toBe(true);
    good.close();
  });

  test('a frame above the hard limit disconnects at once (1009)', async () => {
    const c = await TestClient.connect(url);
    c.send('x'.repeat(20 * 1024));
    expect((await c.closed).code).toBe(CLOSE_CODES.tooBig);
  });

  test('flooding disconnects the flooder', async () => {
    const good = await TestClient.connect(url);
    const flood = await TestClient.connect(url);
    for (let i = 0; i < 200; i++)
      flood.send(JSON.stringify({ id: i, method: 'meeting.leave', data: {} }));
    expect((await flood.closed).code).toBe(CLOSE_CODES.policyViolation);
    expect((await good.request('meeting.leave', {})).ok).toBe(true);
    good.close();
  });

  test('more requests in flight than allowed are refused, each with its own id', async () => {
    const c = await TestClient.connect(url);
    for (let i = 1; i <= 6; i++) {
      c.send(
        JSON.stringify({
          id: i,
          method: 'meeting.join',
          data: { meetingId: 'm', displayName: 'slow', token: 't' },
        }),
      );
    }
    const responses = await Promise.all(Array.from({ length: 6 }, () => c.nextResponse()));
    const refused = responses.filter((r) => !r.ok);
    expect(responses.filter((r) => r.ok)).toHaveLength(4);
    expect(refused.map((r) => r.id).sort()).toEqual([5, 6]);
    c.close();
  });

  test('upgrades: wrong path → 404, foreign Origin → 403, same-host Origin and no Origin → accepted', async () => {
    const base = url.replace('/ws', '');
    await expect(TestClient.connect(`${base}/other`)).rejects.toThrow('HTTP 404');
    await expect(TestClient.connect(url, { Origin: 'https://evil.example' })).rejects.toThrow(
      'HTTP 403',
    );
    const host = new URL(url).host;
    (await TestClient.connect(url, { Origin: `http://${host}` })).close();
    (await TestClient.connect(url)).close();
  });

  test('fuzz: random junk from many clients never stops the server', async () => {
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const atoms = [
      '{',
      '}',
      '[',
      ']',
      '"id"',
      '"method"',
      '"data"',
      ':',
      ',',
      '1',
      '-1',
      '1e999',
      'null',
      'true',
      '"meeting.join"',
      '"producer.create"',
      '"__proto__"',
      '"constructor"',
      '{"meetingId":"a"}',
      '"\\u0000"',
    ];
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.connect(url)));
    for (const c of clients) {
      for (let i = 0; i < 30; i++) {
        let s = '';
        const n = Math.floor(rand() * 12);
        for (let j = 0; j < n; j++) s += atoms[Math.floor(rand() * atoms.length)];
        if (c.isOpen) c.send(s);
      }
    }
    // Each client is answered message by message until its strikes disconnect it.
    await Promise.all(
      clients.map((c) =>
        c.waitFor(() => (!c.isOpen || c.responses.length >= 30 ? true : undefined)),
      ),
    );
    const survivor = await TestClient.connect(url);
    expect(
      (
        await survivor.request('meeting.join', {
          meetingId: 'm',
          displayName: 'still here',
          token: 't',
        })
      ).data,
    ).toEqual({
      echoed: 'still here',
    });
    survivor.close();
    for (const c of clients) c.close();
  });
});
