// The public state of a group and the handshake rules that need no secrets:
// sender authentication (§6.1), proposal references (§5.2), and staging a
// commit into a new tree and GroupContext (§12.4.2). Members (group.ts) and
// the delivery service's validator (validator.ts) share this code, so the
// server enforces exactly the rules every member enforces.
import { encode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { bytesEqual } from './bytes.js';
import { MlsError } from './errors.js';
import { decodeExternalSenders, ExtensionType, findExtension } from './extensions.js';
import {
  type AuthenticatedContent,
  encodeAuthenticatedContent,
  type FramedContent,
  type FramedContentAuthData,
  type Sender,
  type WireFormatName,
} from './framing.js';
import { type GroupContext, serializeGroupContext } from './group-context.js';
import { type GroupInfo, verifyGroupInfoSignature } from './group-info.js';
import type { LeafNode } from './leaf-node.js';
import {
  type CredentialValidator,
  DEFAULT_MAX_LEAVES,
  isResyncSuccessor,
  type LeafPolicy,
  validateLeafNode,
} from './leaf-validation.js';
import {
  type AppliedProposals,
  applyProposalList,
  type Committer,
  EXTERNAL_SENDER_PROPOSALS,
  type ProposalEntry,
  type ProposalListContext,
} from './proposal-list.js';
import { verifyFramedContent } from './public-message.js';
import { RatchetTree } from './ratchet-tree.js';
import { confirmedTranscriptHash, interimTranscriptHash } from './transcript-hash.js';
import { applyUpdatePath } from './treekem.js';
import type { UpdatePath } from './update-path.js';

/** What every member and the validator agree on in an epoch. */
export interface PublicGroupState {
  readonly suite: CipherSuite;
  readonly context: GroupContext;
  /** serializeGroupContext(context), kept to avoid re-encoding per message. */
  readonly contextBytes: Uint8Array;
  readonly tree: RatchetTree;
  readonly interimTranscriptHash: Uint8Array;
  /** Confirmation tag of the commit that started this epoch (for GroupInfo). */
  readonly confirmationTag: Uint8Array;
}

/** One operation's reading of a LeafPolicy (the Authentication Service hook, clock, lifetime cap). */
export interface ValidationOptions {
  readonly validateCredential?: CredentialValidator;
  /** Unix seconds for key-package lifetime checks; omit to skip them. */
  readonly now?: bigint;
  /** Longest accepted key-package lifetime in seconds; omit to skip the check. */
  readonly maxLifetime?: bigint;
  /** Most leaves a received ratchet tree may have (default DEFAULT_MAX_LEAVES). */
  readonly maxLeaves?: number;
}

/** What a policy means for received leaves, read once per operation (the clock is read now). */
export function validationOptions(policy: LeafPolicy): ValidationOptions {
  return {
    validateCredential: policy.validateCredential,
    now: policy.now?.(),
    maxLifetime: policy.maxKeyPackageLifetime,
    maxLeaves: policy.maxLeaves ?? DEFAULT_MAX_LEAVES,
  };
}

const MAX_EPOCH = 0xffffffffffffffffn;

/** The AuthenticatedContent bytes of a message (input to ProposalRef). */
export function authenticatedContentBytes(
  wireFormat: WireFormatName,
  content: FramedContent,
  auth: FramedContentAuthData,
): Uint8Array {
  const ac: AuthenticatedContent = { wireFormat, content, auth };
  return encode(encodeAuthenticatedContent, ac);
}

/** The signature key that must have signed content from this sender (§6.1). */
export function senderSignatureKey(state: PublicGroupState, content: FramedContent): Uint8Array {
  const s = content.sender;
  switch (s.type) {
    case 'member': {
      const leaf = state.tree.leaf(s.leafIndex);
      if (!leaf) throw new MlsError('unknown-sender', `no member at leaf ${s.leafIndex}`);
      return leaf.signatureKey;
    }
    case 'external': {
      if (content.contentType !== 'proposal')
        throw new MlsError('invalid-value', 'external senders only send proposals');
      if (!EXTERNAL_SENDER_PROPOSALS.has(content.proposal.type)) {
        throw new MlsError(
          'invalid-value',
          `external senders cannot propose ${content.proposal.type}`,
        );
      }
      const ext = findExtension(state.context.extensions, ExtensionType.externalSenders);
      if (!ext) throw new MlsError('unknown-sender', 'the group has no external senders');
      const sender = decodeExternalSenders(ext.data)[s.senderIndex];
      if (!sender) throw new MlsError('unknown-sender', `no external sender ${s.senderIndex}`);
      return sender.signatureKey;
    }
    case 'new_member_proposal':
      if (content.contentType !== 'proposal' || content.proposal.type !== 'add') {
        throw new MlsError('invalid-value', 'a new member may only propose adding itself');
      }
      return content.proposal.keyPackage.leafNode.signatureKey;
    case 'new_member_commit':
      if (content.contentType !== 'commit' || !content.commit.path) {
        throw new MlsError('invalid-value', 'a new member commit must carry a path');
      }
      return content.commit.path.leafNode.signatureKey;
  }
}

/**
 * Checks group, epoch, sender and signature of framed content received in the
 * current epoch. Membership tags and decryption are the caller's (members only).
 */
export function verifyContent(
  state: PublicGroupState,
  wireFormat: WireFormatName,
  content: FramedContent,
  auth: FramedContentAuthData,
): void {
  if (!bytesEqual(content.groupId, state.context.groupId))
    throw new MlsError('wrong-group', 'message for another group');
  if (content.epoch !== state.context.epoch) {
    throw new MlsError(
      'wrong-epoch',
      `message for epoch ${content.epoch}, group is at ${state.context.epoch}`,
    );
  }
  if (content.sender.type !== 'member' && wireFormat !== 'public_message') {
    throw new MlsError('invalid-value', 'non-members send PublicMessages only');
  }
  if (content.contentType === 'application' && wireFormat !== 'private_message') {
    throw new MlsError('invalid-value', 'application data must be a PrivateMessage');
  }
  const key = senderSignatureKey(state, content);
  const context =
    content.sender.type === 'member' || content.sender.type === 'new_member_commit'
      ? state.contextBytes
      : undefined;
  if (!verifyFramedContent(state.suite, key, wireFormat, content, auth.signature, context)) {
    throw new MlsError('invalid-signature', 'content signature does not verify');
  }
}

/** A commit applied to a draft of the public state, not yet adopted. */
export interface StagedCommit {
  readonly committer: Committer;
  /** The committer's leaf in the new tree (assigned for an external commit). */
  readonly senderLeaf: number;
  readonly proposals: readonly ProposalEntry[];
  readonly applied: AppliedProposals;
  readonly updatePath?: UpdatePath;
  /** Leaves added by this commit (excluded from path encryption). */
  readonly newLeaves: ReadonlySet<number>;
  /** Serialized provisional GroupContext (path present): HPKE context for path secrets. */
  readonly provisionalContext?: Uint8Array;
  /** The public state of the new epoch. */
  readonly next: PublicGroupState;
}

/** The committer as a Sender (a new member's leaf is not a sender index yet). */
export function commitSender(staged: StagedCommit): Sender {
  return staged.committer.type === 'member'
    ? { type: 'member', leafIndex: staged.committer.leafIndex }
    : { type: 'new_member_commit' };
}

/** The GroupContext of the next epoch. */
export function nextGroupContext(
  state: PublicGroupState,
  extensions: GroupContext['extensions'],
  treeHash: Uint8Array,
  confirmedTranscriptHash: Uint8Array,
): GroupContext {
  if (state.context.epoch >= MAX_EPOCH)
    throw new MlsError('invalid-state', 'epoch counter exhausted');
  return {
    ...state.context,
    epoch: state.context.epoch + 1n,
    treeHash,
    confirmedTranscriptHash,
    extensions,
  };
}

/** Resolves a commit's ProposalOrRefs against the proposals cached in this epoch. */
export function resolveProposals(
  content: FramedContent & { contentType: 'commit' },
  cache: ReadonlyMap<string, ProposalEntry>,
): ProposalEntry[] {
  return content.commit.proposals.map((p) => {
    if (p.type === 'proposal') return { proposal: p.proposal, sender: content.sender };
    if (content.sender.type === 'new_member_commit') {
      throw new MlsError('invalid-commit', 'an external commit cannot refer to proposals');
    }
    const entry = cache.get(refKey(p.reference));
    if (!entry) throw new MlsError('invalid-commit', 'commit refers to an unknown proposal');
    return entry;
  });
}

/** Map key of a ProposalRef. */
export function refKey(ref: Uint8Array): string {
  let s = '';
  for (const b of ref) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Validates and applies a received commit (already verified by verifyContent)
 * to a draft of the public state: proposals, path (merged, parent hashes and
 * leaf checked), transcript hashes and the next GroupContext.
 */
export function stageCommit(
  state: PublicGroupState,
  wireFormat: WireFormatName,
  content: FramedContent & { contentType: 'commit' },
  auth: FramedContentAuthData,
  cache: ReadonlyMap<string, ProposalEntry>,
  options: ValidationOptions = {},
): StagedCommit {
  const { suite } = state;
  const commit = content.commit;
  const committer: Committer =
    content.sender.type === 'member'
      ? { type: 'member', leafIndex: content.sender.leafIndex }
      : content.sender.type === 'new_member_commit'
        ? { type: 'new_member_commit' }
        : invalidCommit('commits come from members or new members');
  const proposals = resolveProposals(content, cache);
  const tree = state.tree.clone();
  const applied = applyProposalList(
    { suite, groupId: state.context.groupId, extensions: state.context.extensions, ...options },
    tree,
    proposals,
    committer,
  );
  if (applied.pathRequired && !commit.path) invalidCommit('this commit requires a path');
  // §12.4.3.2: an external commit's only Remove is of the joiner's own earlier leaf (resync)
  const resynced = committer.type === 'new_member_commit' ? applied.removed[0] : undefined;
  if (
    resynced &&
    !isResyncSuccessor(resynced.leaf, commit.path!.leafNode, options.validateCredential)
  ) {
    invalidCommit(
      `an external commit may only remove the joiner's own earlier leaf, not ${resynced.leafIndex}`,
    );
  }
  const newLeaves = new Set(applied.added.map((a) => a.leafIndex));
  let senderLeaf = committer.type === 'member' ? committer.leafIndex : -1;
  let provisionalContext: Uint8Array | undefined;
  if (committer.type === 'member' && !tree.leaf(senderLeaf))
    invalidCommit('the committer is not a member');
  if (commit.path) {
    const path = commit.path;
    const old = committer.type === 'member' ? tree.leaf(senderLeaf) : undefined;
    if (committer.type === 'new_member_commit') {
      senderLeaf = tree.nextFreeLeaf();
      checkLeafLimit(senderLeaf, options.maxLeaves);
    }
    checkPathKeysUnique(tree, path, old);
    validateLeafNode(
      {
        suite,
        groupId: state.context.groupId,
        extensions: applied.extensions,
        tree,
        validateCredential: options.validateCredential,
      },
      path.leafNode,
      'commit',
      senderLeaf,
      old,
    );
    if (committer.type === 'new_member_commit') {
      const placed = tree.addLeaf(path.leafNode);
      if (placed !== senderLeaf) invalidCommit('external joiner placed at an unexpected leaf');
    }
    applyUpdatePath(tree, senderLeaf, path, newLeaves);
    provisionalContext = serializeGroupContext(
      nextGroupContext(
        state,
        applied.extensions,
        tree.treeHash(),
        state.context.confirmedTranscriptHash,
      ),
    );
  }
  if (!auth.confirmationTag) invalidCommit('commit without confirmation tag');
  const confirmed = confirmedTranscriptHash(
    suite,
    state.interimTranscriptHash,
    wireFormat,
    content,
    auth.signature,
  );
  const context = nextGroupContext(state, applied.extensions, tree.treeHash(), confirmed);
  return {
    committer,
    senderLeaf,
    proposals,
    applied,
    updatePath: commit.path,
    newLeaves,
    provisionalContext,
    next: {
      suite,
      context,
      contextBytes: serializeGroupContext(context),
      tree,
      interimTranscriptHash: interimTranscriptHash(suite, confirmed, auth.confirmationTag),
      confirmationTag: auth.confirmationTag,
    },
  };
}

/** None of an UpdatePath's public keys may already be in the tree (§12.4.2). */
export function checkPathKeysUnique(tree: RatchetTree, path: UpdatePath, old?: LeafNode): void {
  const keys = [path.leafNode.encryptionKey, ...path.nodes.map((n) => n.encryptionKey)];
  const seen = new Set<string>();
  for (const k of keys) {
    const id = refKey(k);
    if (seen.has(id)) invalidCommit('the update path repeats a public key');
    seen.add(id);
    if (tree.findEncryptionKey(k) !== undefined)
      invalidCommit('an update path key is already in the tree');
  }
  if (old && bytesEqual(old.encryptionKey, path.leafNode.encryptionKey)) {
    invalidCommit('the committer must change its encryption key');
  }
}

/** A leaf index the group's maxLeaves allows (a joiner's place in the tree). */
export function checkLeafLimit(leafIndex: number, maxLeaves: number | undefined): void {
  if (maxLeaves !== undefined && leafIndex >= maxLeaves) {
    throw new MlsError('tree-too-large', `the tree would have more than ${maxLeaves} leaves`);
  }
}

function invalidCommit(message: string): never {
  throw new MlsError('invalid-commit', message);
}

// --- joining: the public state described by a GroupInfo ---------------------

/** The GroupInfo's tree: from its ratchet_tree extension or supplied separately. */
function treeFor(
  suite: CipherSuite,
  gi: GroupInfo,
  supplied: Uint8Array | undefined,
  maxLeaves: number,
): RatchetTree {
  const ext = findExtension(gi.extensions, ExtensionType.ratchetTree);
  const bytes = ext?.data ?? supplied;
  if (!bytes)
    throw new MlsError('invalid-group-info', 'no ratchet tree in the GroupInfo and none supplied');
  try {
    return RatchetTree.decode(suite, bytes, maxLeaves);
  } catch (e) {
    if (e instanceof MlsError) throw e;
    throw new MlsError('invalid-tree', 'malformed ratchet tree');
  }
}

/** §12.4.3.1: the tree matches the GroupInfo and is valid as a whole; the GroupInfo is signed by a member. */
function validateJoinTree(
  suite: CipherSuite,
  tree: RatchetTree,
  gi: GroupInfo,
  options: ValidationOptions,
): void {
  const signer = tree.leaf(gi.signer);
  if (!signer) throw new MlsError('invalid-group-info', 'GroupInfo signer is not a member');
  if (!verifyGroupInfoSignature(suite, gi, signer.signatureKey)) {
    throw new MlsError('invalid-signature', 'GroupInfo signature does not verify');
  }
  validatePublicTree(suite, tree, gi.groupContext, options);
}

/** Tree hash, structure, parent hashes and every leaf of a tree received from outside. */
export function validatePublicTree(
  suite: CipherSuite,
  tree: RatchetTree,
  context: GroupInfo['groupContext'],
  options: ValidationOptions = {},
): void {
  if (!bytesEqual(tree.treeHash(), context.treeHash))
    throw new MlsError('invalid-tree', 'tree hash does not match');
  tree.verifyStructure();
  tree.verifyParentHashes();
  const ctx = {
    suite,
    groupId: context.groupId,
    extensions: context.extensions,
    tree,
    validateCredential: options.validateCredential,
    now: options.now,
    maxLifetime: options.maxLifetime,
  };
  for (const [i, leaf] of tree.leaves()) validateLeafNode(ctx, leaf, leaf.source, i, leaf);
}

/**
 * The public state a signed GroupInfo describes (§12.4.3.1), with its ratchet
 * tree from the GroupInfo's extension or `suppliedTree`, after validating the
 * signature and the whole tree (hash, structure, parent hashes, every leaf).
 */
export function publicStateFromGroupInfo(
  suite: CipherSuite,
  gi: GroupInfo,
  suppliedTree: Uint8Array | undefined,
  options: ValidationOptions = {},
): PublicGroupState {
  if (gi.groupContext.cipherSuite !== suite.id)
    throw new MlsError('invalid-group-info', 'cipher suite mismatch');
  const tree = treeFor(suite, gi, suppliedTree, options.maxLeaves ?? DEFAULT_MAX_LEAVES);
  validateJoinTree(suite, tree, gi, options);
  tree.adopt();
  return {
    suite,
    context: gi.groupContext,
    contextBytes: serializeGroupContext(gi.groupContext),
    tree,
    interimTranscriptHash: interimTranscriptHash(
      suite,
      gi.groupContext.confirmedTranscriptHash,
      gi.confirmationTag,
    ),
    confirmationTag: gi.confirmationTag,
  };
}

/** The proposal-list context of a state (its suite, group id and extensions). */
export function proposalContext(
  state: PublicGroupState,
  options: ValidationOptions,
): ProposalListContext {
  return {
    suite: state.suite,
    groupId: state.context.groupId,
    extensions: state.context.extensions,
    validateCredential: options.validateCredential,
    now: options.now,
    maxLifetime: options.maxLifetime,
    maxLeaves: options.maxLeaves,
  };
}
