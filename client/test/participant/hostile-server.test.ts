// The participant core against a hostile server: whatever the server sends
// that does not verify is refused (typed error or `rejected`), never trusted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getCipherSuite } from '@canopy/shared/crypto';
import { issueIdentityCredential } from '@canopy/shared/identity';
import { decodeClientFrame, encodeServerFrame } from '@canopy/shared/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { Participant, ParticipantError } from '../../src/participant/index.js';

const suite = getCipherSuite(1);
const asKey = suite.signature.generatePrivateKey();
const asPublicKey = suite.signature.publicKey(asKey);

let http: Server | undefined;
async function stop(): Promise<void> {
  const h = http;
  http = undefined;
  if (!h) return;
  h.closeAllConnections();
  await new Promise((r) => h.close(r));
}
afterEach(stop);

/** A server that answers hello with `reply(signatureKey)` frames. */
async function fakeServer(reply: (signatureKey: Uint8Array) => Uint8Array[]): Promise<string> {
  http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const f = decodeClientFrame(new Uint8Array(data as Buffer));
      if (f.type === 'hello') for (const b of reply(f.signatureKey)) ws.send(b);
    });
  });
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
}

const identity = (
  credential: ReturnType<typeof issueIdentityCredential>,
  role: 'host' | 'participant' = 'participant',
) =>
  encodeServerFrame({
    type: 'identity',
    meetingId: 'm',
    userId: 'u1',
    displayName: 'Ada',
    role,
    credential,
    externalSenderKey: new Uint8Array(32),
  });

describe('participant core against a hostile server', () => {
  test('an identity credential the AS did not sign is refused', async () => {
    const rogue = suite.signature.generatePrivateKey();
    const url = await fakeServer((key) => [
      identity(
        issueIdentityCredential(
          suite,
          rogue,
          { meetingId: 'm', userId: 'u1', displayName: 'Ada', role: 'participant' },
          key,
        ),
      ),
    ]);
    const p = new Participant({ url, token: 't', displayName: 'Ada', asPublicKey, suite });
    const err = await p.connect().catch((e) => e);
    expect(err).toBeInstanceOf(ParticipantError);
    expect(err.code).toBe('bad-identity');
    p.disconnect();
  });

  test('a credential for another key, or a role the frame does not state, is refused', async () => {
    const other = suite.signature.publicKey(suite.signature.generatePrivateKey());
    for (const make of [
      () =>
        identity(
          issueIdentityCredential(
            suite,
            asKey,
            { meetingId: 'm', userId: 'u1', displayName: 'Ada', role: 'participant' },
            other,
          ),
        ),
      (key: Uint8Array) =>
        identity(
          issueIdentityCredential(
            suite,
            asKey,
            { meetingId: 'm', userId: 'u1', displayName: 'Ada', role: 'participant' },
            key,
          ),
          'host',
        ),
    ]) {
      const url = await fakeServer((key) => [make(key)]);
      const p = new Participant({ url, token: 't', displayName: 'Ada', asPublicKey, suite });
      expect((await p.connect().catch((e) => e)).code).toBe('bad-identity');
      p.disconnect();
      await stop();
    }
  });

  test('garbage frames and MLS messages for no group are rejected without effect', async () => {
    const url = await fakeServer((key) => [
      identity(
        issueIdentityCredential(
          suite,
          asKey,
          { meetingId: 'm', userId: 'u1', displayName: 'Ada', role: 'participant' },
          key,
        ),
      ),
      Uint8Array.of(1, 2, 3),
      encodeServerFrame({
        type: 'welcome',
        epoch: 3n,
        welcome: Uint8Array.of(0, 1, 0, 3),
        ratchetTree: new Uint8Array(0),
      }),
      encodeServerFrame({ type: 'error', code: 'meeting-full', message: 'full', fatal: true }),
    ]);
    const p = new Participant({ url, token: 't', displayName: 'Ada', asPublicKey, suite });
    const rejected: string[] = [];
    p.on('rejected', (e) => rejected.push(e.what));
    const err = await p.connect().catch((e) => e);
    expect(err).toMatchObject({ code: 'server-error', serverCode: 'meeting-full' });
    expect(rejected).toEqual(['frame', 'welcome']);
    expect(p.epoch).toBeUndefined();
    p.disconnect();
  });
});
