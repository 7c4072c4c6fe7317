/**
 * The meeting link as the page sees it: `/m/<meetingId>?t=<token>&name=<name>#as=<AS key>`.
 * Only syntax is checked here; the server checks the token's signature and expiry.
 */

export interface MeetingLink {
  meetingId: string;
  token: string;
  /** The AS public key (from the fragment: never sent to the server). */
  asPublicKey: Uint8Array;
  /** `?name=`, trimmed and cut to 64 characters, if given. */
  name?: string;
  /** `?transform=` (tests force the insertable-streams fallback with it). */
  transform?: 'script-transform' | 'encoded-streams';
  /** `?heartbeat=` in ms, 100–60,000 (tests notice a lost connection sooner with it). */
  heartbeatMs?: number;
}

/** What the page's address is: the landing page, a meeting link, or a broken link. */
export type ParsedLocation =
  | { kind: 'landing' }
  | { kind: 'meeting'; link: MeetingLink }
  | { kind: 'bad-link'; meetingId: string; missing: 'token' | 'as-key' };

export function parseLocation(url: URL): ParsedLocation {
  const match = /^\/m\/([A-Za-z0-9_-]{1,64})\/?$/.exec(url.pathname);
  if (!match) return { kind: 'landing' };
  const meetingId = match[1]!;
  const token = url.searchParams.get('t');
  if (!token || !/^[A-Za-z0-9_.-]{1,8192}$/.test(token))
    return { kind: 'bad-link', meetingId, missing: 'token' };
  const asPublicKey = base64url(new URLSearchParams(url.hash.slice(1)).get('as'));
  if (!asPublicKey) return { kind: 'bad-link', meetingId, missing: 'as-key' };
  const name = cleanName(url.searchParams.get('name') ?? '');
  const transform = url.searchParams.get('transform');
  const heartbeat = Number(url.searchParams.get('heartbeat') ?? Number.NaN);
  const heartbeatMs =
    Number.isInteger(heartbeat) && heartbeat >= 100 && heartbeat <= 60_000 ? heartbeat : undefined;
  return {
    kind: 'meeting',
    link: {
      meetingId,
      token,
      asPublicKey,
      ...(name && { name }),
      ...((transform === 'encoded-streams' || transform === 'script-transform') && { transform }),
      ...(heartbeatMs !== undefined && { heartbeatMs }),
    },
  };
}

/** Decodes base64url; undefined if it is not. */
export function base64url(text: string | null): Uint8Array | undefined {
  if (!text || !/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return undefined;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A display name as the server accepts it: no control characters, trimmed, at most 64 characters. */
export function cleanName(text: string): string {
  return text.replace(CONTROL, '').trim().slice(0, 64).trim();
}
