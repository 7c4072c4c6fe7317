// Credentials (RFC 9420 §5.3).
import { DecodeError, type Reader, type Writer } from '../codec/index.js';

export const CredentialType = { basic: 1, x509: 2 } as const;

/** A Credential: an identity (basic) or a certificate chain (x509). */
export type Credential =
  | { readonly type: 'basic'; readonly identity: Uint8Array }
  | { readonly type: 'x509'; readonly certificates: readonly Uint8Array[] };

export function encodeCredential(w: Writer, c: Credential): void {
  if (c.type === 'basic') {
    w.u16(CredentialType.basic).opaque(c.identity);
  } else {
    w.u16(CredentialType.x509).vector(c.certificates, (w2, cert) => w2.opaque(cert));
  }
}

export function decodeCredential(r: Reader): Credential {
  const type = r.u16();
  switch (type) {
    case CredentialType.basic:
      return { type: 'basic', identity: r.opaque() };
    case CredentialType.x509:
      return { type: 'x509', certificates: r.vector((r2) => r2.opaque()) };
    default:
      throw new DecodeError('invalid-value', `credential type ${type}`);
  }
}

/** The numeric CredentialType of a credential. */
export function credentialTypeOf(c: Credential): number {
  return CredentialType[c.type];
}
