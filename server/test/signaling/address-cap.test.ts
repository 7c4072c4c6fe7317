// Per-address cap on signaling connections: one client address (IPv6: one /64)
// holds at most maxConnectionsPerAddress open WebSockets; more are refused with
// 429 while other addresses still connect, and closed connections free their place.
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { clientAddressKey } from '../../src/http/client-address.js';
import { SignalingServer } from '../../src/signaling/index.js';
import { until } from '../support/mediasoup.js';

describe('clientAddressKey', () => {
  test('IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
    expect(clientAddressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientAddressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientAddressKey(undefined)).toBe('unknown');
  });
});

/** Open a WebSocket from `localAddress`; resolves with it, or with the refusal's HTTP status. */
function open(url: string, localAddress: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('signaling connections per address', () => {
  let http: Server;
  let signaling: SignalingServer;
  let url: string;
  let port: number;

  beforeAll(async () => {
    http = createServer((_req, res) => res.end());
    signaling = new SignalingServer(http, () => {}, {
      maxConnectionsPerAddress: 3,
      log: () => {},
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
    url = `ws://127.0.0.1:${port}/ws`;
  });
  afterAll(async () => {
    signaling.close();
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  test('the fourth from one address is refused with 429; another address connects', async () => {
    const first = await Promise.all([1, 2, 3].map(() => open(url, '127.0.0.1')));
    expect(first.every((ws) => ws instanceof WebSocket)).toBe(true);
    expect(await open(url, '127.0.0.1')).toBe(429);
    const other = await open(url, '127.0.0.2');
    expect(other).toBeInstanceOf(WebSocket);
    // A closed connection frees its place.
    (first[0] as WebSocket).close();
    await until(() => signaling.connections.length === 3, 5_000, 'the close');
    const again = await open(url, '127.0.0.1');
    expect(again).toBeInstanceOf(WebSocket);
    for (const ws of [...first.slice(1), other, again]) (ws as WebSocket).close();
    await until(() => signaling.connections.length === 0, 5_000, 'all closed');
  });

  test('upgrades that fail their handshake or are reset free their place too', async () => {
    for (let i = 0; i < 5; i++) {
      // A handshake ws refuses (no Sec-WebSocket-Key), then one reset mid-upgrade.
      for (const key of ['', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n']) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        socket.resume();
        await new Promise<void>((r) => socket.once('connect', () => r()));
        socket.write(
          'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Version: 13\r\n${key}\r\n`,
        );
        if (key) socket.resetAndDestroy();
        else await new Promise((r) => socket.once('close', r));
      }
    }
    await until(() => signaling.connections.length === 0, 5_000, 'the resets');
    const all = await Promise.all([1, 2, 3].map(() => open(url, '127.0.0.1')));
    expect(all.every((ws) => ws instanceof WebSocket)).toBe(true);
    for (const ws of all) (ws as WebSocket).close();
  });
});
