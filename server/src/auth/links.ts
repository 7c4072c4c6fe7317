/**
 * Signed meeting links. A host creates a meeting and gets two links, one per
 * role; joining needs one of them. A link is
 * `<base>/m/<meetingId>?t=<token>`, where the token is a JWT (RFC 7519) the
 * server signs and later verifies with jose.
 *
 * HS256 (HMAC-SHA-256) with a 256-bit secret: the server is both the only
 * issuer and the only verifier, so a public-key signature (EdDSA) would buy
 * nothing but larger tokens and slower checks; several nodes share the secret
 * (CANOPY_LINK_SECRET). Verification accepts HS256 alone, so `alg: none` or a
 * token signed with any other algorithm or key is refused.
 *
 * Meeting ids are 128 random bits (base64url, 22 characters): they cannot be
 * guessed, and nothing about a meeting is stored until someone joins it.
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { AuthError } from './errors.js';

export type LinkRole = 'host' | 'participant';

/** What a verified link grants. `expiresAt` is in milliseconds since the Unix epoch. */
export interface LinkClaims {
  meetingId: string;
  role: LinkRole;
  expiresAt: number;
}

/** A new meeting: its id and both links, which expire together. */
export interface CreatedMeeting {
  meetingId: string;
  hostLink: string;
  participantLink: string;
  /** Milliseconds since the Unix epoch. */
  expiresAt: number;
}

export interface MeetingLinksOptions {
  /** HMAC key, at least 32 bytes; default: 32 random bytes (links die with the process). */
  secret?: Uint8Array;
  /** How long links stay valid; default 24 hours. */
  ttlSeconds?: number;
  /** Current time in milliseconds (tests); default Date.now. */
  clock?: () => number;
  /**
   * The Authentication Service's public key, carried in every link's fragment
   * (`#as=<base64url>`): members trust it because it came with the link, which
   * the host hands out, not from the delivery service (browsers never send a
   * fragment to the server).
   */
  asPublicKey?: Uint8Array;
}

export const MIN_SECRET_BYTES = 32;
const DEFAULT_TTL_SECONDS = 24 * 3600;
/** Longer tokens are refused before any parsing (ours are about 250 characters). */
const MAX_TOKEN_LENGTH = 1024;
/** How far in the future a link's issue time may be (clocks of several nodes). */
const CLOCK_SKEW_MS = 60_000;
const ALG = 'HS256';
const TYP = 'canopy-link+jwt';
const ISSUER = 'canopy';
const AUDIENCE = 'canopy-meeting';

/** 128 random bits, base64url without padding. */
const MEETING_ID = /^[A-Za-z0-9_-]{22}$/;

/** The payload we sign, exactly: anything else is not our token. */
const Payload = z.strictObject({
  iss: z.literal(ISSUER),
  aud: z.literal(AUDIENCE),
  sub: z.string().regex(MEETING_ID),
  role: z.enum(['host', 'participant']),
  iat: z.int().nonnegative(),
  exp: z.int().positive(),
});

export class MeetingLinks {
  readonly #secret: Uint8Array;
  readonly #ttlSeconds: number;
  readonly #clock: () => number;
  readonly #fragment: string;

  constructor(options: MeetingLinksOptions = {}) {
    const secret = options.secret ?? randomBytes(MIN_SECRET_BYTES);
    if (secret.length < MIN_SECRET_BYTES) {
      throw new RangeError(`the link secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1) throw new RangeError(`link lifetime ${ttl}`);
    this.#secret = Uint8Array.from(secret);
    this.#ttlSeconds = ttl;
    this.#clock = options.clock ?? Date.now;
    this.#fragment = options.asPublicKey
      ? `#as=${Buffer.from(options.asPublicKey).toString('base64url')}`
      : '';
  }

  /**
   * A new meeting with a fresh random id, and its host and participant links
   * under `baseUrl` (e.g. https://meet.example), valid for `ttlSeconds`
   * (default: the configured lifetime).
   */
  async create(baseUrl: string, ttlSeconds = this.#ttlSeconds): Promise<CreatedMeeting> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new RangeError(`link lifetime ${ttlSeconds}`);
    }
    const meetingId = randomBytes(16).toString('base64url');
    const iat = Math.floor(this.#clock() / 1000);
    const exp = iat + ttlSeconds;
    const link = async (role: LinkRole) =>
      `${baseUrl.replace(/\/+$/, '')}/m/${meetingId}?t=${await this.sign(meetingId, role, iat, exp)}${this.#fragment}`;
    return {
      meetingId,
      hostLink: await link('host'),
      participantLink: await link('participant'),
      expiresAt: exp * 1000,
    };
  }

  /**
   * The claims of a link token this server signed, still valid. With
   * `meetingId`, the token must also be for that meeting. Throws AuthError
   * (`invalid-link`, `expired-link`, `wrong-meeting`).
   */
  async verify(token: string, meetingId?: string): Promise<LinkClaims> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError('invalid-link', 'not a meeting link token');
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.#secret, {
        algorithms: [ALG],
        typ: TYP,
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: new Date(this.#clock()),
        clockTolerance: 0,
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) {
        throw new AuthError('expired-link', 'this meeting link has expired');
      }
      throw new AuthError('invalid-link', 'this meeting link is not valid');
    }
    const claims = Payload.safeParse(payload);
    if (!claims.success) throw new AuthError('invalid-link', 'this meeting link is not valid');
    const { sub, role, iat, exp } = claims.data;
    // jose checks exp but not a future iat; several nodes' clocks may differ a little.
    if (iat * 1000 > this.#clock() + CLOCK_SKEW_MS || exp <= iat) {
      throw new AuthError('invalid-link', 'this meeting link is not valid');
    }
    if (meetingId !== undefined && meetingId !== sub) {
      throw new AuthError('wrong-meeting', 'this link is for another meeting');
    }
    return { meetingId: sub, role, expiresAt: exp * 1000 };
  }

  /** The token for `role` in `meetingId`, issued at `iat`, expiring at `exp` (seconds). */
  sign(meetingId: string, role: LinkRole, iat: number, exp: number): Promise<string> {
    if (!MEETING_ID.test(meetingId)) throw new RangeError(`meeting id ${meetingId}`);
    return new SignJWT({ role })
      .setProtectedHeader({ alg: ALG, typ: TYP })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(meetingId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.#secret);
  }
}
