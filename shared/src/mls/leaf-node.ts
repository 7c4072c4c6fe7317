// LeafNode, Capabilities and Lifetime (RFC 9420 §7.2), and the leaf signature.
import { DecodeError, type Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { type Credential, decodeCredential, encodeCredential } from './credential.js';
import { MlsError } from './errors.js';
import { decodeExtensions, type Extension, encodeExtensions } from './extensions.js';

export interface Capabilities {
  readonly versions: readonly number[];
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly number[];
  readonly proposals: readonly number[];
  readonly credentials: readonly number[];
}

export interface Lifetime {
  readonly notBefore: bigint;
  readonly notAfter: bigint;
}

export const LeafNodeSource = { keyPackage: 1, update: 2, commit: 3 } as const;

/** Where a leaf node came from; decides which of lifetime / parent hash it carries. */
export type LeafNodeSourceInfo =
  | { readonly source: 'key_package'; readonly lifetime: Lifetime }
  | { readonly source: 'update' }
  | { readonly source: 'commit'; readonly parentHash: Uint8Array };

interface LeafNodeCommon {
  readonly encryptionKey: Uint8Array;
  readonly signatureKey: Uint8Array;
  readonly credential: Credential;
  readonly capabilities: Capabilities;
  readonly extensions: readonly Extension[];
}

/** The unsigned part of a LeafNode. */
export type LeafNodeContent = LeafNodeCommon & LeafNodeSourceInfo;

export type LeafNode = LeafNodeContent & { readonly signature: Uint8Array };

const u16 = (w: Writer, n: number) => w.u16(n);
const readU16 = (r: Reader) => r.u16();

export function encodeCapabilities(w: Writer, c: Capabilities): void {
  w.vector(c.versions, u16)
    .vector(c.cipherSuites, u16)
    .vector(c.extensions, u16)
    .vector(c.proposals, u16)
    .vector(c.credentials, u16);
}

export function decodeCapabilities(r: Reader): Capabilities {
  return {
    versions: r.vector(readU16),
    cipherSuites: r.vector(readU16),
    extensions: r.vector(readU16),
    proposals: r.vector(readU16),
    credentials: r.vector(readU16),
  };
}

function encodeContent(w: Writer, n: LeafNodeContent): void {
  w.opaque(n.encryptionKey).opaque(n.signatureKey);
  encodeCredential(w, n.credential);
  encodeCapabilities(w, n.capabilities);
  switch (n.source) {
    case 'key_package':
      w.u8(LeafNodeSource.keyPackage).u64(n.lifetime.notBefore).u64(n.lifetime.notAfter);
      break;
    case 'update':
      w.u8(LeafNodeSource.update);
      break;
    case 'commit':
      w.u8(LeafNodeSource.commit).opaque(n.parentHash);
      break;
  }
  encodeExtensions(w, n.extensions);
}

export function encodeLeafNode(w: Writer, n: LeafNode): void {
  encodeContent(w, n);
  w.opaque(n.signature);
}

export function decodeLeafNode(r: Reader): LeafNode {
  const encryptionKey = r.opaque();
  const signatureKey = r.opaque();
  const credential = decodeCredential(r);
  const capabilities = decodeCapabilities(r);
  const sourceType = r.u8();
  let info: LeafNodeSourceInfo;
  switch (sourceType) {
    case LeafNodeSource.keyPackage:
      info = { source: 'key_package', lifetime: { notBefore: r.u64(), notAfter: r.u64() } };
      break;
    case LeafNodeSource.update:
      info = { source: 'update' };
      break;
    case LeafNodeSource.commit:
      info = { source: 'commit', parentHash: r.opaque() };
      break;
    default:
      throw new DecodeError('invalid-value', `leaf node source ${sourceType}`);
  }
  const extensions = decodeExtensions(r);
  const signature = r.opaque();
  return { encryptionKey, signatureKey, credential, capabilities, ...info, extensions, signature };
}

/**
 * LeafNodeTBS (§7.2): the content plus, for update and commit leaves, the group
 * and leaf they belong to.
 */
export function leafNodeTbs(
  n: LeafNodeContent,
  groupId?: Uint8Array,
  leafIndex?: number,
): Uint8Array {
  const w = new Writer(512);
  encodeContent(w, n);
  if (n.source !== 'key_package') {
    if (groupId === undefined || leafIndex === undefined) {
      throw new MlsError(
        'invalid-value',
        'update and commit leaves are signed with group id and leaf index',
      );
    }
    w.opaque(groupId).u32(leafIndex);
  }
  return w.finish();
}

/** Signs leaf content with SignWithLabel(., "LeafNodeTBS", LeafNodeTBS). */
export function signLeafNode(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  content: LeafNodeContent,
  groupId?: Uint8Array,
  leafIndex?: number,
): LeafNode {
  const signature = suite.signWithLabel(
    signaturePrivateKey,
    'LeafNodeTBS',
    leafNodeTbs(content, groupId, leafIndex),
  );
  return { ...content, signature };
}

/** Verifies a leaf node's signature against its own signature key. */
export function verifyLeafNodeSignature(
  suite: CipherSuite,
  n: LeafNode,
  groupId?: Uint8Array,
  leafIndex?: number,
): boolean {
  if (n.source !== 'key_package' && (groupId === undefined || leafIndex === undefined))
    return false;
  return suite.verifyWithLabel(
    n.signatureKey,
    'LeafNodeTBS',
    leafNodeTbs(n, groupId, leafIndex),
    n.signature,
  );
}
