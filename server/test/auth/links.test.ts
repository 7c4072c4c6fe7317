// Signed meeting links: what a valid link grants, and every way a link that
// this server did not issue, or no longer honours, is refused.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CanopyError } from '@canopy/shared/protocol';
import { base64url, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, test } from 'vitest';
import { AuthError, type LinkClaims, MeetingLinks } from '../../src/auth/index.js';

const BASE = 'https://meet.example';
const T0 = Date.UTC(2026, 0, 1, 12);

/** The t= token of a link. */
function tokenOf(link: string): string {
  const t = new URL(link).searchParams.get('t');
  if (!t) throw new Error(`no token in ${link}`);
  return t;
}

async function refused(promise: Promise<LinkClaims>, code: string): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect(error).toBeInstanceOf(CanopyError);
  expect((error as AuthError).code).toBe(code);
  return error as AuthError;
}

/** A token with our exact claims, signed with `key` under `alg`, with header overrides. */
function forge(
  claims: Record<string, unknown>,
  alg: string,
  key: Parameters<SignJWT['sign']>[0],
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'canopy-link+jwt', ...header })
    .sign(key);
}

function ourClaims(meetingId: string, overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(T0 / 1000);
  return {
    iss: 'canopy',
    aud: 'canopy-meeting',
    sub: meetingId,
    role: 'host',
    iat,
    exp: iat + 3600,
    ...overrides,
  };
}

describe('MeetingLinks', () => {
  const secret = randomBytes(32);
  let now = T0;
  const links = new MeetingLinks({ secret, ttlSeconds: 3600, clock: () => now });

  test('create: an unguessable id and a host and a participant link for it', async () => {
    now = T0;
    const m = await links.create(`${BASE}/`);
    expect(m.meetingId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(m.meetingId, 'base64url')).toHaveLength(16);
    expect(m.expiresAt).toBe(T0 + 3600_000);
    for (const link of [m.hostLink, m.participantLink]) {
      const url = new URL(link);
      expect(url.origin).toBe(BASE);
      expect(url.pathname).toBe(`/m/${m.meetingId}`);
      expect([...url.searchParams.keys()]).toEqual(['t']);
    }
    expect(m.hostLink).not.toBe(m.participantLink);
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++) ids.add((await links.create(BASE)).meetingId);
    expect(ids.size).toBe(500);
  });

  test('verify: each link grants its role in its meeting until it expires', async () => {
    now = T0;
    const m = await links.create(BASE);
    now = T0 + 3599_000;
    expect(await links.verify(tokenOf(m.hostLink))).toEqual({
      meetingId: m.meetingId,
      role: 'host',
      expiresAt: m.expiresAt,
    });
    expect(await links.verify(tokenOf(m.participantLink), m.meetingId)).toEqual({
      meetingId: m.meetingId,
      role: 'participant',
      expiresAt: m.expiresAt,
    });
    // A shorter lifetime on request.
    now = T0;
    const short = await links.create(BASE, 120);
    expect(short.expiresAt).toBe(T0 + 120_000);
    expect((await links.verify(tokenOf(short.hostLink))).expiresAt).toBe(T0 + 120_000);
  });

  test('an expired link', async () => {
    now = T0;
    const m = await links.create(BASE);
    now = T0 + 3600_000;
    await refused(links.verify(tokenOf(m.hostLink)), 'expired-link');
    now = T0 + 7 * 24 * 3600_000;
    await refused(links.verify(tokenOf(m.participantLink)), 'expired-link');
  });

  test('a link for another meeting than the one asked for', async () => {
    now = T0;
    const a = await links.create(BASE);
    const b = await links.create(BASE);
    await refused(links.verify(tokenOf(a.hostLink), b.meetingId), 'wrong-meeting');
    // Pasting A's token onto B's path does not make it B's.
    const spliced = `${BASE}/m/${b.meetingId}?t=${tokenOf(a.hostLink)}`;
    await refused(links.verify(tokenOf(spliced), b.meetingId), 'wrong-meeting');
  });

  test('a tampered signature, or a payload edited under the old signature', async () => {
    now = T0;
    const m = await links.create(BASE);
    const [header, payload, signature] = tokenOf(m.participantLink).split('.') as [
      string,
      string,
      string,
    ];
    const sig = base64url.decode(signature);
    sig[0]! ^= 1;
    await refused(links.verify(`${header}.${payload}.${base64url.encode(sig)}`), 'invalid-link');
    await refused(links.verify(`${header}.${payload}.`), 'invalid-link');
    // Participant → host, or another meeting, keeping the participant's signature.
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    for (const edit of [{ role: 'host' }, { sub: (await links.create(BASE)).meetingId }]) {
      const edited = base64url.encode(JSON.stringify({ ...claims, ...edit }));
      await refused(links.verify(`${header}.${edited}.${signature}`), 'invalid-link');
    }
  });

  test("another server's key, or a random one per process by default", async () => {
    now = T0;
    const other = new MeetingLinks({ clock: () => now });
    const fromOther = await other.create(BASE);
    await refused(links.verify(tokenOf(fromOther.hostLink)), 'invalid-link');
    const m = await links.create(BASE);
    await refused(other.verify(tokenOf(m.hostLink)), 'invalid-link');
    const sameSecret = new MeetingLinks({ secret, clock: () => now });
    expect((await sameSecret.verify(tokenOf(m.hostLink))).role).toBe('host');
  });

  test('algorithm confusion: none, other HMACs with our secret, public-key signatures', async () => {
    now = T0;
    const { meetingId } = await links.create(BASE);
    const claims = ourClaims(meetingId);
    const unsecured = new UnsecuredJWT(claims).encode();
    await refused(links.verify(unsecured), 'invalid-link');
    // alg: none with our typ, and with an empty or copied signature.
    const noneHeader = base64url.encode(JSON.stringify({ alg: 'none', typ: 'canopy-link+jwt' }));
    const body = base64url.encode(JSON.stringify(claims));
    await refused(links.verify(`${noneHeader}.${body}.`), 'invalid-link');
    for (const alg of ['HS384', 'HS512']) {
      await refused(links.verify(await forge(claims, alg, secret)), 'invalid-link');
    }
    const ed = generateKeyPairSync('ed25519');
    await refused(links.verify(await forge(claims, 'EdDSA', ed.privateKey)), 'invalid-link');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await refused(links.verify(await forge(claims, 'ES256', ec.privateKey)), 'invalid-link');
    // Sanity: the same claims and header under HS256 with our secret are accepted.
    expect((await links.verify(await forge(claims, 'HS256', secret))).meetingId).toBe(meetingId);
  });

  test('signed with our key but not one of our links: every claim is checked', async () => {
    now = T0;
    const { meetingId } = await links.create(BASE);
    const bad: [string, Record<string, unknown>, Record<string, unknown>?][] = [
      ['role admin', { role: 'admin' }],
      ['no role', { role: undefined }],
      ['short meeting id', { sub: 'abc' }],
      ['meeting id with a dot', { sub: `${meetingId.slice(0, 21)}.` }],
      ['other issuer', { iss: 'elsewhere' }],
      ['other audience', { aud: 'canopy-admin' }],
      ['no expiry', { exp: undefined }],
      ['fractional expiry', { exp: Math.floor(T0 / 1000) + 10.5 }],
      ['not yet issued', { iat: Math.floor(T0 / 1000) + 600 }],
      [
        'expires before issued (issued within the clock skew)',
        { iat: Math.floor(T0 / 1000) + 30, exp: Math.floor(T0 / 1000) + 10 },
      ],
      ['extra claim', { admin: true }],
      ['other typ', {}, { typ: 'JWT' }],
      ['no typ', {}, { typ: undefined }],
      ['critical header', {}, { crit: ['x'], x: 1 }],
    ];
    for (const [what, overrides, header] of bad) {
      const claims = Object.fromEntries(
        Object.entries(ourClaims(meetingId, overrides)).filter(([, v]) => v !== undefined),
      );
      const token = await forge(claims, 'HS256', secret, header).catch(() => undefined);
      if (token === undefined) continue; // jose itself refuses to sign it (crit)
      const error = await links.verify(token).then(
        () => `accepted: ${what}`,
        (e: unknown) => (e as AuthError).code,
      );
      expect(error, what).toBe('invalid-link');
    }
  });

  test('garbage is an AuthError, never a crash', async () => {
    for (const garbage of ['', 'x', 'a.b.c', '...', 'x'.repeat(5000), `${'a'.repeat(300)}.b.c`]) {
      await refused(links.verify(garbage), 'invalid-link');
    }
    for (const notAString of [undefined, null, 42, {}, ['a.b.c']]) {
      await refused(links.verify(notAString as unknown as string), 'invalid-link');
    }
  });

  test('a secret shorter than 256 bits or a bad lifetime is refused', () => {
    expect(() => new MeetingLinks({ secret: randomBytes(31) })).toThrow(RangeError);
    expect(() => new MeetingLinks({ ttlSeconds: 0 })).toThrow(RangeError);
  });
});
