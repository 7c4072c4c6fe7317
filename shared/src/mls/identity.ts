// A client's identity (credential + signature key pair) and KeyPackage
// generation (RFC 9420 §10), with the private keys a joiner must keep.
import { encode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { type Credential, credentialTypeOf } from './credential.js';
import type { Extension } from './extensions.js';
import { type KeyPackage, signKeyPackage } from './key-package.js';
import { type Capabilities, type Lifetime, signLeafNode } from './leaf-node.js';
import { encodeMlsMessage } from './mls-message.js';
import { MLS10 } from './version.js';

/** Who a client is in a group: a credential and the signature key it is bound to. */
export interface ClientIdentity {
  readonly credential: Credential;
  readonly signaturePrivateKey: Uint8Array;
  readonly signaturePublicKey: Uint8Array;
}

/** A generated KeyPackage with the private keys its owner needs to join. */
export interface KeyPackageBundle {
  readonly keyPackage: KeyPackage;
  /** The KeyPackage as an MLSMessage, ready to publish. */
  readonly message: Uint8Array;
  readonly initPrivateKey: Uint8Array;
  readonly encryptionPrivateKey: Uint8Array;
  readonly identity: ClientIdentity;
}

export interface KeyPackageOptions {
  readonly capabilities?: Partial<Capabilities>;
  /** Validity in Unix seconds; default: from one hour ago to 90 days ahead. */
  readonly lifetime?: Lifetime;
  /** KeyPackage extensions (not leaf extensions). */
  readonly extensions?: readonly Extension[];
  readonly leafExtensions?: readonly Extension[];
  /** Current time in Unix seconds, for the default lifetime. */
  readonly now?: bigint;
}

/** A fresh signature key pair for a credential. */
export function generateIdentity(suite: CipherSuite, credential: Credential): ClientIdentity {
  const signaturePrivateKey = suite.signature.generatePrivateKey();
  return {
    credential,
    signaturePrivateKey,
    signaturePublicKey: suite.signature.publicKey(signaturePrivateKey),
  };
}

/** Capabilities listing this suite, mls10 and the identity's credential type. */
export function defaultCapabilities(
  suite: CipherSuite,
  credential: Credential,
  extra?: Partial<Capabilities>,
): Capabilities {
  return {
    versions: extra?.versions ?? [MLS10],
    cipherSuites: extra?.cipherSuites ?? [suite.id],
    extensions: extra?.extensions ?? [],
    proposals: extra?.proposals ?? [],
    credentials: extra?.credentials ?? [credentialTypeOf(credential)],
  };
}

/** Current Unix time in seconds. */
export function unixNow(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

/** Generates a KeyPackage (fresh init and encryption keys) for an identity. */
export function generateKeyPackage(
  suite: CipherSuite,
  identity: ClientIdentity,
  options: KeyPackageOptions = {},
): KeyPackageBundle {
  const now = options.now ?? unixNow();
  const init = suite.hpke.generateKeyPair();
  const enc = suite.hpke.generateKeyPair();
  const leafNode = signLeafNode(suite, identity.signaturePrivateKey, {
    encryptionKey: enc.publicKey,
    signatureKey: identity.signaturePublicKey,
    credential: identity.credential,
    capabilities: defaultCapabilities(suite, identity.credential, options.capabilities),
    source: 'key_package',
    lifetime: options.lifetime ?? { notBefore: now - 3600n, notAfter: now + 90n * 86400n },
    extensions: options.leafExtensions ?? [],
  });
  const keyPackage = signKeyPackage(suite, identity.signaturePrivateKey, {
    version: MLS10,
    cipherSuite: suite.id,
    initKey: init.publicKey,
    leafNode,
    extensions: options.extensions ?? [],
  });
  return {
    keyPackage,
    message: encode(encodeMlsMessage, { wireFormat: 'key_package', keyPackage }),
    initPrivateKey: init.privateKey,
    encryptionPrivateKey: enc.privateKey,
    identity,
  };
}
