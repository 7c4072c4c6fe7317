// Extensions (RFC 9420 §13.3, §12.1.8, §11.1, §12.4.3.1-3). Extensions are carried
// as raw (type, data) pairs so unknown ones survive re-encoding; the typed ones
// Canopy uses are parsed on demand with the functions below.
import { DecodeError, decode, encode, type Reader, type Writer } from '../codec/index.js';
import { type Credential, decodeCredential, encodeCredential } from './credential.js';

export const ExtensionType = {
  applicationId: 1,
  ratchetTree: 2,
  requiredCapabilities: 3,
  externalPub: 4,
  externalSenders: 5,
} as const;

export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

export function encodeExtension(w: Writer, e: Extension): void {
  w.u16(e.type).opaque(e.data);
}

export function decodeExtension(r: Reader): Extension {
  return { type: r.u16(), data: r.opaque() };
}

export function encodeExtensions(w: Writer, list: readonly Extension[]): void {
  w.vector(list, encodeExtension);
}

/** Reads an extension list; a type that appears twice is invalid (§13.4). */
export function decodeExtensions(r: Reader): Extension[] {
  const list = r.vector(decodeExtension);
  const seen = new Set<number>();
  for (const e of list) {
    if (seen.has(e.type)) throw new DecodeError('invalid-value', `duplicate extension ${e.type}`);
    seen.add(e.type);
  }
  return list;
}

/** The extension of a type, if present. */
export function findExtension(list: readonly Extension[], type: number): Extension | undefined {
  return list.find((e) => e.type === type);
}

/** RequiredCapabilities (§11.1). */
export interface RequiredCapabilities {
  readonly extensionTypes: readonly number[];
  readonly proposalTypes: readonly number[];
  readonly credentialTypes: readonly number[];
}

const u16 = (w: Writer, n: number) => w.u16(n);
const readU16 = (r: Reader) => r.u16();

export function encodeRequiredCapabilities(rc: RequiredCapabilities): Extension {
  const data = encode(
    (w, v: RequiredCapabilities) =>
      w.vector(v.extensionTypes, u16).vector(v.proposalTypes, u16).vector(v.credentialTypes, u16),
    rc,
  );
  return { type: ExtensionType.requiredCapabilities, data };
}

export function decodeRequiredCapabilities(data: Uint8Array): RequiredCapabilities {
  return decode(
    (r) => ({
      extensionTypes: r.vector(readU16),
      proposalTypes: r.vector(readU16),
      credentialTypes: r.vector(readU16),
    }),
    data,
  );
}

/** ExternalSender (§12.1.8.1): a party outside the group allowed to send proposals. */
export interface ExternalSender {
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
}

export function encodeExternalSenders(senders: readonly ExternalSender[]): Extension {
  const data = encode(
    (w, v: readonly ExternalSender[]) =>
      w.vector(v, (w2, s) => {
        w2.opaque(s.signatureKey);
        encodeCredential(w2, s.credential);
      }),
    senders,
  );
  return { type: ExtensionType.externalSenders, data };
}

export function decodeExternalSenders(data: Uint8Array): ExternalSender[] {
  return decode(
    (r) => r.vector((r2) => ({ signatureKey: r2.opaque(), credential: decodeCredential(r2) })),
    data,
  );
}

/** ExternalPub (§12.4.3.2): the HPKE key for external commits. */
export function encodeExternalPub(publicKey: Uint8Array): Extension {
  return {
    type: ExtensionType.externalPub,
    data: encode((w, k: Uint8Array) => w.opaque(k), publicKey),
  };
}

export function decodeExternalPub(data: Uint8Array): Uint8Array {
  return decode((r) => r.opaque(), data);
}

/** ApplicationId (§13.3.1): an application-defined identifier for a leaf. */
export function encodeApplicationId(id: Uint8Array): Extension {
  return { type: ExtensionType.applicationId, data: encode((w, v: Uint8Array) => w.opaque(v), id) };
}

export function decodeApplicationId(data: Uint8Array): Uint8Array {
  return decode((r) => r.opaque(), data);
}
