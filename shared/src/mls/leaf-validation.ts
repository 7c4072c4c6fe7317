// Leaf node validation (RFC 9420 §7.3) and KeyPackage validation (§10.1).

import { encode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { bytesEqual } from './bytes.js';
import { type Credential, credentialTypeOf, encodeCredential } from './credential.js';
import { MlsError } from './errors.js';
import {
  decodeRequiredCapabilities,
  type Extension,
  ExtensionType,
  findExtension,
} from './extensions.js';
import { type KeyPackage, verifyKeyPackageSignature } from './key-package.js';
import { type LeafNode, type Lifetime, verifyLeafNodeSignature } from './leaf-node.js';
import type { RatchetTree } from './ratchet-tree.js';
import { MLS10 } from './version.js';

/** Extension types every client supports without listing them (§7.2). */
export function isDefaultExtension(type: number): boolean {
  return type >= 1 && type <= 5;
}

/** Proposal types every client supports without listing them (§7.2). */
export function isDefaultProposal(type: number): boolean {
  return type >= 1 && type <= 7;
}

/**
 * The Authentication Service's hook (§5.3.1): decides whether a credential is
 * acceptable for a signature key; return false to reject. It is called for
 * every leaf that enters or is found in the tree. When the leaf replaces an
 * existing member's leaf — an Update proposal, a commit's UpdatePath, or an
 * external commit that removes the joiner's earlier leaf (resync) — `previous`
 * holds the replaced leaf's credential and signature key, and the hook must
 * also decide whether the new credential is a valid successor of the old one
 * (e.g. the same user). The hook may be called more than once for one leaf.
 *
 * Without a hook, credentials are not checked, and a member's Update or commit
 * may change its credential freely; only an external commit's resync requires
 * the removed leaf's credential to be byte-for-byte the joiner's.
 */
export type CredentialValidator = (
  credential: Credential,
  signatureKey: Uint8Array,
  previous?: { readonly credential: Credential; readonly signatureKey: Uint8Array },
) => boolean;

/** Group parameters a leaf is validated against. */
export interface LeafValidationContext {
  readonly suite: CipherSuite;
  readonly groupId: Uint8Array;
  /** The group context extensions in force (required capabilities, etc.). */
  readonly extensions: readonly Extension[];
  /** The tree the leaf is about to enter (for uniqueness and credential support). */
  readonly tree: RatchetTree;
  readonly validateCredential?: CredentialValidator;
  /** Unix seconds to check key-package lifetimes against; omit to skip the check. */
  readonly now?: bigint;
  /** Longest accepted key-package lifetime in seconds; omit to skip the check. */
  readonly maxLifetime?: bigint;
}

/**
 * How an application validates leaves (§7.3): its Authentication Service,
 * its clock and its longest acceptable key-package lifetime.
 */
export interface LeafPolicy {
  /** The Authentication Service hook: accept or reject a credential for a signature key. */
  readonly validateCredential?: CredentialValidator;
  /**
   * Clock in Unix seconds for key-package lifetimes. Received leaves are checked
   * against it only when it is set (§7.3 RECOMMENDED: the sender's clock may
   * differ); KeyPackages this member adds are always checked (§7.3 MUST),
   * against the system clock when it is not set.
   */
  readonly now?: () => bigint;
  /**
   * Longest notAfter − notBefore accepted for a key-package leaf, in seconds
   * (§7.2: applications MUST define one). Received leaves are checked when it
   * is set; KeyPackages this member adds always are, by default against
   * DEFAULT_MAX_KEY_PACKAGE_LIFETIME.
   */
  readonly maxKeyPackageLifetime?: bigint;
  /**
   * Most leaves a ratchet tree may span. A tree received from outside (in a
   * Welcome, a separately supplied tree, a GroupInfo for an external join or for
   * the GroupValidator) that is larger is refused with MlsError('tree-too-large')
   * while it is decoded, before any hashing; so is a commit (made, received or
   * validated) whose Adds or external joiner would place a leaf past it.
   * Default DEFAULT_MAX_LEAVES.
   */
  readonly maxLeaves?: number;
}

/** 2^14 leaves: Canopy's largest meeting (10,000 participants) fits. */
export const DEFAULT_MAX_LEAVES = 2 ** 14;

/** 91 days: the 90 days of generateKeyPackage's default lifetime, with a day of slack. */
export const DEFAULT_MAX_KEY_PACKAGE_LIFETIME = 91n * 86400n;

/** Why a lifetime is unacceptable at `now` under `maxLifetime`, or undefined. */
function lifetimeProblem(
  lifetime: Lifetime,
  now: bigint | undefined,
  maxLifetime: bigint | undefined,
): string | undefined {
  const { notBefore, notAfter } = lifetime;
  if (maxLifetime !== undefined && notAfter - notBefore > maxLifetime)
    return `lifetime of ${notAfter - notBefore} s is longer than the ${maxLifetime} s allowed`;
  if (now !== undefined && (now < notBefore || now > notAfter))
    return 'lifetime does not cover the current time';
  return undefined;
}

/**
 * The §7.3 MUST for KeyPackages a member sends in an Add (by value): their
 * lifetime covers the current time and is no longer than the policy allows.
 */
export function checkOutgoingKeyPackage(kp: KeyPackage, policy: LeafPolicy, now: bigint): void {
  const leaf = kp.leafNode;
  if (leaf.source !== 'key_package')
    throw new MlsError('invalid-key-package', `leaf node source is ${leaf.source}`);
  const max = policy.maxKeyPackageLifetime ?? DEFAULT_MAX_KEY_PACKAGE_LIFETIME;
  const problem = lifetimeProblem(leaf.lifetime, now, max);
  if (problem) throw new MlsError('invalid-key-package', `cannot add this KeyPackage: ${problem}`);
}

function fail(message: string): never {
  throw new MlsError('invalid-leaf-node', message);
}

/**
 * Validates a leaf node for the place it appears in: a key package, an Update
 * proposal or a commit's UpdatePath (§7.3). `leafIndex` is where it will sit
 * (required for update and commit sources); `replaces` is the leaf it replaces,
 * if any, whose keys may be reused only where allowed and whose credential the
 * credential validator sees as `previous` (§5.3.1).
 */
export function validateLeafNode(
  ctx: LeafValidationContext,
  leaf: LeafNode,
  source: LeafNode['source'],
  leafIndex?: number,
  replaces?: LeafNode,
): void {
  if (leaf.source !== source) fail(`leaf source is ${leaf.source}, expected ${source}`);
  const previous =
    replaces && replaces !== leaf
      ? { credential: replaces.credential, signatureKey: replaces.signatureKey }
      : undefined;
  if (
    ctx.validateCredential &&
    !ctx.validateCredential(leaf.credential, leaf.signatureKey, previous)
  ) {
    fail(
      previous
        ? 'credential rejected by the authentication service as a successor of the replaced one'
        : 'credential rejected by the authentication service',
    );
  }
  const groupBound = source !== 'key_package';
  if (
    !verifyLeafNodeSignature(
      ctx.suite,
      leaf,
      groupBound ? ctx.groupId : undefined,
      groupBound ? leafIndex : undefined,
    )
  ) {
    fail('leaf signature does not verify');
  }
  checkCapabilities(ctx, leaf, replaces);
  if (leaf.source === 'key_package') {
    const problem = lifetimeProblem(leaf.lifetime, ctx.now, ctx.maxLifetime);
    if (problem) fail(`leaf ${problem}`);
  }
  for (const e of leaf.extensions) {
    if (!isDefaultExtension(e.type) && !leaf.capabilities.extensions.includes(e.type)) {
      fail(`leaf extension ${e.type} is not in its capabilities`);
    }
  }
  if (source !== 'key_package' && replaces && replaces !== leaf) {
    if (bytesEqual(replaces.encryptionKey, leaf.encryptionKey))
      fail(`a new ${source} leaf must change the encryption key`);
  }
  checkUnique(ctx.tree, leaf, leafIndex);
}

/**
 * Whether a joiner's leaf may take the place of the leaf its external commit
 * removes (§12.4.3.2 resync): the credential validator accepts the joiner's
 * credential as a successor of the removed one; without a validator, the two
 * credentials must be identical.
 */
export function isResyncSuccessor(
  removed: Pick<LeafNode, 'credential' | 'signatureKey'>,
  joiner: Pick<LeafNode, 'credential' | 'signatureKey'>,
  validateCredential?: CredentialValidator,
): boolean {
  if (validateCredential) {
    return validateCredential(joiner.credential, joiner.signatureKey, {
      credential: removed.credential,
      signatureKey: removed.signatureKey,
    });
  }
  return bytesEqual(
    encode(encodeCredential, removed.credential),
    encode(encodeCredential, joiner.credential),
  );
}

function checkCapabilities(ctx: LeafValidationContext, leaf: LeafNode, replaces?: LeafNode): void {
  const caps = leaf.capabilities;
  if (!caps.versions.includes(MLS10)) fail('leaf does not support mls10');
  if (!caps.cipherSuites.includes(ctx.suite.id))
    fail(`leaf does not support cipher suite ${ctx.suite.id}`);
  const required = findExtension(ctx.extensions, ExtensionType.requiredCapabilities);
  if (required) {
    const rc = decodeRequiredCapabilities(required.data);
    for (const t of rc.extensionTypes) {
      if (!isDefaultExtension(t) && !caps.extensions.includes(t))
        fail(`leaf lacks required extension ${t}`);
    }
    for (const t of rc.proposalTypes) {
      if (!isDefaultProposal(t) && !caps.proposals.includes(t))
        fail(`leaf lacks required proposal ${t}`);
    }
    for (const t of rc.credentialTypes) {
      if (!caps.credentials.includes(t)) fail(`leaf lacks required credential type ${t}`);
    }
  }
  for (const e of ctx.extensions) {
    if (!isDefaultExtension(e.type) && !caps.extensions.includes(e.type)) {
      fail(`leaf does not support group extension ${e.type}`);
    }
  }
  // the leaf's credential type is supported by every other member, and it supports theirs
  const stats = ctx.tree.credentialStats();
  const own = credentialTypeOf(leaf.credential);
  if (!caps.credentials.includes(own)) fail(`leaf does not list its own credential type ${own}`);
  const others = stats.members - (replaces ? 1 : 0);
  const supportedByOthers =
    (stats.supported.get(own) ?? 0) - (replaces?.capabilities.credentials.includes(own) ? 1 : 0);
  if (supportedByOthers < others) fail(`credential type ${own} is not supported by every member`);
  for (const [type, count] of stats.used) {
    const usedByOthers =
      count - (replaces && credentialTypeOf(replaces.credential) === type ? 1 : 0);
    if (usedByOthers > 0 && !caps.credentials.includes(type)) {
      fail(`leaf does not support credential type ${type} used in the group`);
    }
  }
}

/** signature_key and encryption_key are unique among members (§7.3). */
function checkUnique(tree: RatchetTree, leaf: LeafNode, leafIndex?: number): void {
  const sigOwner = tree.findSignatureKey(leaf.signatureKey);
  if (sigOwner !== undefined && sigOwner !== leafIndex)
    fail('signature key already used by another member');
  const encOwner = tree.findEncryptionKey(leaf.encryptionKey);
  if (encOwner !== undefined && (leafIndex === undefined || encOwner !== 2 * leafIndex)) {
    fail('encryption key already used in the tree');
  }
}

/** Validates a KeyPackage for addition to a group (§10.1). */
export function validateKeyPackage(ctx: LeafValidationContext, kp: KeyPackage): void {
  if (kp.version !== MLS10) throw new MlsError('invalid-key-package', `version ${kp.version}`);
  if (kp.cipherSuite !== ctx.suite.id) {
    throw new MlsError(
      'invalid-key-package',
      `cipher suite ${kp.cipherSuite}, group uses ${ctx.suite.id}`,
    );
  }
  if (!verifyKeyPackageSignature(ctx.suite, kp))
    throw new MlsError('invalid-key-package', 'signature does not verify');
  if (bytesEqual(kp.initKey, kp.leafNode.encryptionKey)) {
    throw new MlsError('invalid-key-package', 'init key equals the leaf encryption key');
  }
  try {
    validateLeafNode(ctx, kp.leafNode, 'key_package');
  } catch (e) {
    if (e instanceof MlsError) throw new MlsError('invalid-key-package', e.message);
    throw e;
  }
}
