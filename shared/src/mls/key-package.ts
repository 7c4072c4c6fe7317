// KeyPackage (RFC 9420 §10).
import { type Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { decodeExtensions, type Extension, encodeExtensions } from './extensions.js';
import { decodeLeafNode, encodeLeafNode, type LeafNode } from './leaf-node.js';
import { decodeVersion, encodeVersion } from './version.js';

export interface KeyPackage {
  readonly version: number;
  readonly cipherSuite: number;
  readonly initKey: Uint8Array;
  readonly leafNode: LeafNode;
  readonly extensions: readonly Extension[];
  readonly signature: Uint8Array;
}

function encodeContent(w: Writer, kp: Omit<KeyPackage, 'signature'>): void {
  encodeVersion(w, kp.version);
  w.u16(kp.cipherSuite).opaque(kp.initKey);
  encodeLeafNode(w, kp.leafNode);
  encodeExtensions(w, kp.extensions);
}

export function encodeKeyPackage(w: Writer, kp: KeyPackage): void {
  encodeContent(w, kp);
  w.opaque(kp.signature);
}

export function decodeKeyPackage(r: Reader): KeyPackage {
  return {
    version: decodeVersion(r),
    cipherSuite: r.u16(),
    initKey: r.opaque(),
    leafNode: decodeLeafNode(r),
    extensions: decodeExtensions(r),
    signature: r.opaque(),
  };
}

/** KeyPackageTBS: the key package without its signature. */
export function keyPackageTbs(kp: Omit<KeyPackage, 'signature'>): Uint8Array {
  const w = new Writer(1024);
  encodeContent(w, kp);
  return w.finish();
}

export function signKeyPackage(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  content: Omit<KeyPackage, 'signature'>,
): KeyPackage {
  return {
    ...content,
    signature: suite.signWithLabel(signaturePrivateKey, 'KeyPackageTBS', keyPackageTbs(content)),
  };
}

export function verifyKeyPackageSignature(suite: CipherSuite, kp: KeyPackage): boolean {
  return suite.verifyWithLabel(
    kp.leafNode.signatureKey,
    'KeyPackageTBS',
    keyPackageTbs(kp),
    kp.signature,
  );
}

/** KeyPackageRef (§5.2) of an encoded key package. */
export function keyPackageRef(suite: CipherSuite, kp: KeyPackage): Uint8Array {
  const w = new Writer(1024);
  encodeKeyPackage(w, kp);
  return suite.keyPackageRef(w.finish());
}
