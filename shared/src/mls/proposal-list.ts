// Proposal list validation (RFC 9420 §12.2) and application (§12.3), done in
// one pass over a draft tree so a rejected list leaves the group untouched.
import { encode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { MlsError } from './errors.js';
import {
  decodeExternalSenders,
  decodeRequiredCapabilities,
  type Extension,
  ExtensionType,
  findExtension,
} from './extensions.js';
import type { Sender } from './framing.js';
import type { KeyPackage } from './key-package.js';
import type { LeafNode } from './leaf-node.js';
import {
  type CredentialValidator,
  isDefaultExtension,
  isDefaultProposal,
  type LeafValidationContext,
  validateKeyPackage,
  validateLeafNode,
} from './leaf-validation.js';
import type { Proposal, ProposalKind } from './proposal.js';
import { encodePreSharedKeyId, type PreSharedKeyId, ResumptionPskUsage } from './psk.js';
import type { RatchetTree } from './ratchet-tree.js';

/** A proposal with its sender and, when it was sent on its own, its ProposalRef. */
export interface ProposalEntry {
  readonly proposal: Proposal;
  readonly sender: Sender;
  readonly ref?: Uint8Array;
}

/** Who commits: a member, or a new member joining by external commit. */
export type Committer =
  | { readonly type: 'member'; readonly leafIndex: number }
  | { readonly type: 'new_member_commit' };

/** What applying a proposal list changed. */
export interface AppliedProposals {
  /** GroupContext extensions for the new epoch. */
  readonly extensions: readonly Extension[];
  readonly added: readonly { readonly leafIndex: number; readonly keyPackage: KeyPackage }[];
  readonly removed: readonly { readonly leafIndex: number; readonly leaf: LeafNode }[];
  readonly updated: readonly { readonly leafIndex: number; readonly leaf: LeafNode }[];
  readonly psks: readonly PreSharedKeyId[];
  readonly externalInit?: Uint8Array;
  readonly reinit?: Extract<Proposal, { type: 'reinit' }>;
  /** §12.4: a path is required for an empty list or update/remove/external_init/GCE. */
  readonly pathRequired: boolean;
}

export interface ProposalListContext {
  readonly suite: CipherSuite;
  readonly groupId: Uint8Array;
  /** Extensions of the current GroupContext. */
  readonly extensions: readonly Extension[];
  readonly validateCredential?: CredentialValidator;
  readonly now?: bigint;
  readonly maxLifetime?: bigint;
  /** Most leaves the tree may span after the commit; Adds beyond it are refused. */
  readonly maxLeaves?: number;
}

/** Proposal types an `external` sender may send (§12.1.8). */
export const EXTERNAL_SENDER_PROPOSALS: ReadonlySet<ProposalKind> = new Set([
  'add',
  'remove',
  'psk',
  'reinit',
  'group_context_extensions',
]);

const PATH_REQUIRED: ReadonlySet<ProposalKind> = new Set([
  'update',
  'remove',
  'external_init',
  'group_context_extensions',
]);

function invalid(message: string): never {
  throw new MlsError('invalid-proposal', message);
}

/**
 * Validates the proposal list of a commit by `committer` and applies it to
 * `tree` (a draft). Throws MlsError on any rule of §12.2 or of the individual
 * proposal types; the caller then discards the draft.
 */
export function applyProposalList(
  ctx: ProposalListContext,
  tree: RatchetTree,
  entries: readonly ProposalEntry[],
  committer: Committer,
): AppliedProposals {
  const of = <K extends ProposalKind>(kind: K) =>
    entries.filter(
      (e): e is ProposalEntry & { proposal: Extract<Proposal, { type: K }> } =>
        e.proposal.type === kind,
    );
  const adds = of('add');
  const updates = of('update');
  const removes = of('remove');
  const psks = of('psk');
  const reinits = of('reinit');
  const externalInits = of('external_init');
  const gces = of('group_context_extensions');

  if (committer.type === 'new_member_commit') {
    if (externalInits.length !== 1) invalid('an external commit needs exactly one ExternalInit');
    if (removes.length > 1) invalid('an external commit may remove at most one member');
    const allowed = externalInits.length + removes.length + psks.length;
    if (allowed !== entries.length)
      invalid('an external commit may only carry ExternalInit, Remove and PSK');
  } else {
    if (externalInits.length > 0) invalid('ExternalInit is only allowed in an external commit');
    if (reinits.length > 0 && entries.length > 1) invalid('ReInit must be the only proposal');
    if (gces.length > 1) invalid('more than one GroupContextExtensions proposal');
    for (const u of updates) {
      if (u.sender.type !== 'member') invalid('Update proposals come from members');
      if (u.sender.leafIndex === committer.leafIndex)
        invalid("the committer's own Update cannot be committed");
    }
    for (const r of removes) {
      if (r.proposal.removed === committer.leafIndex) invalid('the committer cannot remove itself');
    }
  }
  const touched = new Set<number>();
  for (const e of [...updates, ...removes]) {
    const leaf =
      e.proposal.type === 'remove'
        ? e.proposal.removed
        : (e.sender as { leafIndex: number }).leafIndex;
    if (touched.has(leaf)) invalid(`more than one Update/Remove for leaf ${leaf}`);
    touched.add(leaf);
  }
  const seenPsk = new Set<string>();
  for (const p of psks) {
    const id = p.proposal.psk;
    const key = encode(encodePreSharedKeyId, id).join(',');
    if (seenPsk.has(key)) invalid('the same PSK is proposed twice');
    seenPsk.add(key);
    if (id.nonce.length !== ctx.suite.hash.size) invalid('PSK nonce must be Nh bytes');
    if (id.type === 'resumption' && id.usage !== ResumptionPskUsage.application) {
      invalid('resumption PSKs for reinit or branch cannot be proposed');
    }
  }
  const seenAddKeys = new Set<string>();
  for (const a of adds) {
    const key = a.proposal.keyPackage.leafNode.signatureKey.join(',');
    if (seenAddKeys.has(key)) invalid('two Add proposals for the same client');
    seenAddKeys.add(key);
  }
  for (const r of reinits) {
    if (r.proposal.version < 1) invalid('ReInit to an older protocol version');
  }

  // §12.3 order: GroupContextExtensions, Updates, Removes, Adds, then the rest
  const extensions = gces.length ? gces[0].proposal.extensions : ctx.extensions;
  if (gces.length) validateGroupExtensions(extensions);
  const leafCtx: LeafValidationContext = {
    suite: ctx.suite,
    groupId: ctx.groupId,
    extensions,
    tree,
    validateCredential: ctx.validateCredential,
    now: ctx.now,
    maxLifetime: ctx.maxLifetime,
  };

  const updated: { leafIndex: number; leaf: LeafNode }[] = [];
  for (const u of updates) {
    const leafIndex = (u.sender as { leafIndex: number }).leafIndex;
    const old = tree.leaf(leafIndex);
    if (!old) invalid(`Update from blank leaf ${leafIndex}`);
    validateLeafNode(leafCtx, u.proposal.leafNode, 'update', leafIndex, old);
    tree.setLeaf(leafIndex, u.proposal.leafNode);
    tree.blankDirectPath(leafIndex);
    updated.push({ leafIndex, leaf: u.proposal.leafNode });
  }
  const removed: { leafIndex: number; leaf: LeafNode }[] = [];
  for (const r of removes) {
    const leafIndex = r.proposal.removed;
    const leaf = tree.leaf(leafIndex);
    if (!leaf) invalid(`Remove of blank or absent leaf ${leafIndex}`);
    tree.blankLeaf(leafIndex);
    tree.blankDirectPath(leafIndex);
    removed.push({ leafIndex, leaf });
  }
  if (removed.length && tree.memberCount() > 0) tree.truncate();
  const added: { leafIndex: number; keyPackage: KeyPackage }[] = [];
  for (const a of adds) {
    validateKeyPackage(leafCtx, a.proposal.keyPackage);
    added.push({
      leafIndex: tree.addLeaf(a.proposal.keyPackage.leafNode),
      keyPackage: a.proposal.keyPackage,
    });
  }
  const maxLeaves = ctx.maxLeaves;
  if (maxLeaves !== undefined && added.some((a) => a.leafIndex >= maxLeaves)) {
    throw new MlsError('tree-too-large', `the tree would have more than ${maxLeaves} leaves`);
  }
  if (gces.length) checkMembersSupport(tree, extensions);
  const externalInit = externalInits[0]?.proposal.kemOutput;
  if (externalInit && externalInit.length !== ctx.suite.hpke.encSize)
    invalid('ExternalInit kem_output has the wrong size');

  return {
    extensions,
    added,
    removed,
    updated,
    psks: psks.map((p) => p.proposal.psk),
    externalInit,
    reinit: reinits[0]?.proposal,
    pathRequired: entries.length === 0 || entries.some((e) => PATH_REQUIRED.has(e.proposal.type)),
  };
}

/** The known GroupContext extensions must parse. */
function validateGroupExtensions(extensions: readonly Extension[]): void {
  try {
    const rc = findExtension(extensions, ExtensionType.requiredCapabilities);
    if (rc) decodeRequiredCapabilities(rc.data);
    const es = findExtension(extensions, ExtensionType.externalSenders);
    if (es) decodeExternalSenders(es.data);
  } catch {
    invalid('malformed group context extension');
  }
  for (const e of extensions) {
    if (e.type === ExtensionType.ratchetTree || e.type === ExtensionType.externalPub) {
      invalid(`extension ${e.type} does not belong in the group context`);
    }
  }
}

/** Every member supports the (new) required capabilities and group extensions (§11.1, §12.1.7). */
function checkMembersSupport(tree: RatchetTree, extensions: readonly Extension[]): void {
  const rcExt = findExtension(extensions, ExtensionType.requiredCapabilities);
  const rc = rcExt ? decodeRequiredCapabilities(rcExt.data) : undefined;
  for (const [i, leaf] of tree.leaves()) {
    const caps = leaf.capabilities;
    for (const e of extensions) {
      if (!isDefaultExtension(e.type) && !caps.extensions.includes(e.type)) {
        invalid(`member ${i} does not support group extension ${e.type}`);
      }
    }
    if (!rc) continue;
    if (rc.extensionTypes.some((t) => !isDefaultExtension(t) && !caps.extensions.includes(t))) {
      invalid(`member ${i} lacks a required extension`);
    }
    if (rc.proposalTypes.some((t) => !isDefaultProposal(t) && !caps.proposals.includes(t))) {
      invalid(`member ${i} lacks a required proposal type`);
    }
    if (rc.credentialTypes.some((t) => !caps.credentials.includes(t))) {
      invalid(`member ${i} lacks a required credential type`);
    }
  }
}

/**
 * Checks a proposal received on its own (§12.1), against the current tree,
 * before it is cached for a later commit.
 */
export function validateStandaloneProposal(
  ctx: ProposalListContext,
  tree: RatchetTree,
  entry: ProposalEntry,
): void {
  const leafCtx: LeafValidationContext = { ...ctx, tree };
  const p = entry.proposal;
  switch (p.type) {
    case 'add':
      validateKeyPackage(leafCtx, p.keyPackage);
      return;
    case 'update': {
      if (entry.sender.type !== 'member') invalid('Update proposals come from members');
      const old = tree.leaf(entry.sender.leafIndex);
      if (!old) invalid('Update from a blank leaf');
      validateLeafNode(leafCtx, p.leafNode, 'update', entry.sender.leafIndex, old);
      return;
    }
    case 'remove':
      if (!tree.leaf(p.removed)) invalid(`Remove of blank or absent leaf ${p.removed}`);
      return;
    case 'psk':
      if (p.psk.nonce.length !== ctx.suite.hash.size) invalid('PSK nonce must be Nh bytes');
      if (p.psk.type === 'resumption' && p.psk.usage !== ResumptionPskUsage.application) {
        invalid('resumption PSKs for reinit or branch cannot be proposed');
      }
      return;
    case 'external_init':
      invalid('ExternalInit is only valid inside an external commit');
      break;
    case 'group_context_extensions':
      validateGroupExtensions(p.extensions);
      checkMembersSupport(tree, p.extensions);
      return;
    case 'reinit':
      if (p.version < 1) invalid('ReInit to an older protocol version');
      return;
  }
}
