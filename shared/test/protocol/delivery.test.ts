import { describe, expect, test } from 'vitest';
import {
  type ClientFrame,
  DELIVERY_LIMITS,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  ProtocolError,
  RESUME_TICKET_BYTES,
  type ServerFrame,
} from '../../src/protocol/index.js';

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

const clientFrames: ClientFrame[] = [
  { type: 'hello', token: 'a.b.c', displayName: 'Ada Lovelace', signatureKey: bytes(32) },
  {
    type: 'hello',
    token: 'a.b.c',
    displayName: 'Ada',
    signatureKey: bytes(32),
    resume: bytes(RESUME_TICKET_BYTES, 9),
  },
  { type: 'key-package', keyPackage: bytes(300) },
  { type: 'group-create', groupInfo: bytes(200), ratchetTree: bytes(100) },
  { type: 'commit', commit: bytes(500), groupInfo: bytes(200) },
  { type: 'commit', commit: bytes(500), groupInfo: bytes(200), welcome: bytes(90) },
  { type: 'ack', epoch: 2n ** 63n + 5n },
  { type: 'report', subject: 'welcome', epoch: 3n, reason: 'invalid-confirmation-tag' },
  { type: 'host', action: 'remove', userId: 'u_1-x' },
  { type: 'host', action: 'lock' },
  { type: 'leave' },
  { type: 'ping', seq: 0 },
  { type: 'ping', seq: 2 ** 32 - 1 },
];

const serverFrames: ServerFrame[] = [
  {
    type: 'identity',
    meetingId: 'm1',
    userId: 'u1',
    displayName: 'Bob',
    role: 'host',
    credential: { type: 'basic', identity: bytes(80) },
    externalSenderKey: bytes(32),
  },
  {
    type: 'identity',
    meetingId: 'm1',
    userId: 'u1',
    displayName: 'Bob',
    role: 'participant',
    credential: { type: 'x509', certificates: [bytes(10), bytes(20, 1)] },
    externalSenderKey: bytes(32),
  },
  { type: 'create-group' },
  { type: 'lobby' },
  { type: 'lobby-list', entries: [{ userId: 'a', displayName: 'A' }] },
  { type: 'proposal', message: bytes(400) },
  { type: 'commit-request', epoch: 4n, reason: 'update' },
  { type: 'commit', epoch: 5n, message: bytes(1000) },
  { type: 'commit', epoch: 6n, message: bytes(10), sentAt: 1_764_600_000_123.5 },
  { type: 'refused', epoch: 5n, reason: 'wrong-epoch' },
  { type: 'welcome', epoch: 5n, welcome: bytes(100), ratchetTree: bytes(3_000_000) },
  { type: 'switch', epoch: 5n },
  { type: 'reset', reason: 'welcome could not be processed' },
  { type: 'removed', reason: 'denied' },
  { type: 'ended' },
  { type: 'error', code: 'invalid-message', message: 'bad', fatal: true },
  { type: 'pong', seq: 77 },
  { type: 'resume-ticket', ticket: bytes(RESUME_TICKET_BYTES, 3) },
];

function expectProtocolError(f: () => unknown, code: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ProtocolError);
  expect((err as ProtocolError).code).toBe(code);
}

describe('delivery frames', () => {
  test.each(clientFrames.map((f) => [f.type, f] as const))('client %s round-trips', (_, f) => {
    expect(decodeClientFrame(encodeClientFrame(f))).toEqual(f);
  });

  test.each(serverFrames.map((f) => [f.type, f] as const))('server %s round-trips', (_, f) => {
    expect(decodeServerFrame(encodeServerFrame(f))).toEqual(f);
  });

  test('client and server frame types never decode as each other', () => {
    for (const f of clientFrames)
      expectProtocolError(() => decodeServerFrame(encodeClientFrame(f)), 'invalid-message');
    for (const f of serverFrames)
      expectProtocolError(() => decodeClientFrame(encodeServerFrame(f)), 'invalid-message');
  });

  test('every truncation and every trailing byte is rejected with a typed error', () => {
    for (const f of clientFrames) {
      const b = encodeClientFrame(f);
      for (let n = 0; n < Math.min(b.length, 64); n++) {
        if (f.type === 'leave' && n === 1) continue;
        expectProtocolError(() => decodeClientFrame(b.subarray(0, n)), 'invalid-message');
      }
      const longer = new Uint8Array(b.length + 1);
      longer.set(b);
      // a frame already at its type's limit is too large with one more byte
      const code =
        b.length === DELIVERY_LIMITS.client[f.type] ? 'message-too-large' : 'invalid-message';
      expectProtocolError(() => decodeClientFrame(longer), code);
    }
    for (const f of serverFrames) {
      const b = encodeServerFrame(f);
      expectProtocolError(() => decodeServerFrame(b.subarray(0, b.length - 1)), 'invalid-message');
    }
  });

  test('each type has its own size limit, checked before decoding', () => {
    const ack = new Uint8Array(DELIVERY_LIMITS.client.ack + 1);
    ack[0] = encodeClientFrame({ type: 'ack', epoch: 0n })[0];
    expectProtocolError(() => decodeClientFrame(ack), 'message-too-large');
    expectProtocolError(
      () => encodeClientFrame({ type: 'key-package', keyPackage: bytes(20_000) }),
      'message-too-large',
    );
    // a 10,000-member tree (~2.3 MB) fits a welcome, not a client's key-package
    expect(() =>
      encodeServerFrame({
        type: 'welcome',
        epoch: 1n,
        welcome: bytes(10),
        ratchetTree: bytes(2_400_000),
      }),
    ).not.toThrow();
  });

  test('heartbeat and resume frames: wrong sizes are typed errors', () => {
    const ping = encodeClientFrame({ type: 'ping', seq: 1 });
    // a seq of 8 bytes, or none: no ping
    expectProtocolError(
      () => decodeClientFrame(Uint8Array.of(ping[0], 0, 0, 0, 0, 0, 0, 0, 1)),
      'message-too-large',
    );
    expectProtocolError(() => decodeClientFrame(Uint8Array.of(ping[0])), 'invalid-message');
    expect(() => encodeClientFrame({ type: 'ping', seq: 2 ** 32 })).toThrow();
    const pong = encodeServerFrame({ type: 'pong', seq: 1 });
    expectProtocolError(() => decodeServerFrame(pong.subarray(0, 3)), 'invalid-message');
    // a ticket of another length, in hello or from the server
    const hello = (resume: Uint8Array) =>
      encodeClientFrame({
        type: 'hello',
        token: 't',
        displayName: 'A',
        signatureKey: bytes(32),
        resume,
      });
    expectProtocolError(
      () => decodeClientFrame(hello(bytes(RESUME_TICKET_BYTES - 1))),
      'invalid-message',
    );
    expectProtocolError(
      () => decodeClientFrame(hello(bytes(RESUME_TICKET_BYTES + 1))),
      'invalid-message',
    );
    expectProtocolError(
      () => encodeServerFrame({ type: 'resume-ticket', ticket: bytes(RESUME_TICKET_BYTES + 8) }),
      'message-too-large',
    );
    const short = encodeServerFrame({ type: 'resume-ticket', ticket: bytes(4) });
    expectProtocolError(() => decodeServerFrame(short), 'invalid-message');
  });

  test('out-of-range enums, bad UTF-8, bad ids and names are rejected', () => {
    const host = encodeClientFrame({ type: 'host', action: 'lock' });
    expectProtocolError(() => decodeClientFrame(Uint8Array.of(host[0], 99, 0)), 'invalid-message');
    const hello = encodeClientFrame({
      type: 'hello',
      token: 't',
      displayName: 'x',
      signatureKey: bytes(1),
    });
    const badUtf8 = hello.slice();
    badUtf8[2] = 0xff; // the token's only byte
    expectProtocolError(() => decodeClientFrame(badUtf8), 'invalid-message');
    const control = hello.slice();
    control[4] = 0x01; // the display name's only byte: a control character
    expectProtocolError(() => decodeClientFrame(control), 'invalid-message');
    const hostBadId = encodeClientFrame({ type: 'host', action: 'deny', userId: 'a' });
    hostBadId[hostBadId.length - 1] = '/'.charCodeAt(0);
    expectProtocolError(() => decodeClientFrame(hostBadId), 'invalid-message');
    expectProtocolError(() => decodeClientFrame(new Uint8Array(0)), 'invalid-message');
    expectProtocolError(() => decodeClientFrame(Uint8Array.of(0)), 'invalid-message');
    expectProtocolError(() => decodeClientFrame(Uint8Array.of(200)), 'invalid-message');
  });
});
