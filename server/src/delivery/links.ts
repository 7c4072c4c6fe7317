// What the delivery service needs from signed meeting links (server/src/auth/links.ts
// implements it with JWTs): the verified claims of a token.

/** The claims of a verified meeting link. */
export interface LinkClaims {
  readonly meetingId: string;
  readonly role: 'host' | 'participant';
  /** Unix seconds. */
  readonly expiresAt: number;
  /** The user the link names; without it the DS assigns a random 128-bit id per connection. */
  readonly userId?: string;
}

/** Verifies a link token; rejects (with a CanopyError) if it is not valid now. */
export interface LinkVerifier {
  verify(token: string): Promise<LinkClaims>;
}
