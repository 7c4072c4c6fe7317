// What the delivery service needs from signed meeting links: the verified
// claims of a token. MeetingLinks (server/src/auth/links.ts, JWTs) implements it.

/** The claims of a verified meeting link. */
export interface LinkClaims {
  readonly meetingId: string;
  readonly role: 'host' | 'participant';
  /** Milliseconds since the Unix epoch (as MeetingLinks reports it). */
  readonly expiresAt: number;
  /** The user the link names; without it the DS assigns a random 128-bit id per connection. */
  readonly userId?: string;
}

/** Verifies a link token; rejects (with a CanopyError) if it is not valid now. */
export interface LinkVerifier {
  verify(token: string): Promise<LinkClaims>;
}
