// Creating a commit (RFC 9420 §12.4.1): choose the proposals, apply them to a
// draft tree, refresh the committer's path, sign, advance the key schedule and
// build the Welcome and GroupInfo. The result waits as a pending commit until
// the delivery service accepts it.
import type { Commit } from './commit.js';
import type { CommitResult } from './commit-process.js';
import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import type { Extension } from './extensions.js';
import type { FramedContent, FramedContentAuthData, Sender, WireFormatName } from './framing.js';
import { serializeGroupContext } from './group-context.js';
import { buildGroupInfo } from './group-info.js';
import {
  frameContent,
  type GroupOptions,
  type Member,
  type MemberState,
  outgoingKeyPackage,
  pruneKeys,
  rosterChanges,
} from './group-state.js';
import type { KeyPackage } from './key-package.js';
import { deriveEpochSecrets, type EpochSecrets } from './key-schedule.js';
import type { LeafNode } from './leaf-node.js';
import { serializeMlsMessage } from './mls-message.js';
import { applyProposalList, type ProposalEntry } from './proposal-list.js';
import { type PreSharedKeyId, type PskStore, pskSecret } from './psk.js';
import {
  nextGroupContext,
  type PublicGroupState,
  proposalContext,
  validationOptions,
} from './public-group.js';
import { signFramedContent } from './public-message.js';
import type { RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import {
  confirmationTag,
  confirmedTranscriptHash,
  interimTranscriptHash,
} from './transcript-hash.js';
import { createUpdatePath } from './treekem.js';
import { buildWelcome } from './welcome.js';

export interface CommitOptions {
  /** KeyPackages to add (by value): decoded, or as the MLSMessage bytes clients publish. */
  readonly add?: readonly (KeyPackage | Uint8Array)[];
  /** Leaf indices to remove (by value). */
  readonly remove?: readonly number[];
  /** External PSKs to inject (ids; the values must be in the PSK store). */
  readonly psks?: readonly PreSharedKeyId[];
  /** New GroupContext extensions (a GroupContextExtensions proposal). */
  readonly extensions?: readonly Extension[];
  /** Commit the proposals received in this epoch (by reference). Default true. */
  readonly includePending?: boolean;
  /** 'always' (default) refreshes the committer's path even when not required. */
  readonly path?: 'always' | 'when-required';
  readonly authenticatedData?: Uint8Array;
  /** Put the ratchet tree in the Welcome's GroupInfo (default true). */
  readonly ratchetTreeInWelcome?: boolean;
  /**
   * A new credential for this member's leaf (same signature key), e.g. a renewed
   * one from the Authentication Service. Forces a path. Members accept it only
   * if their CredentialValidator finds it a valid successor of the old one (§5.3.1).
   */
  readonly credential?: Credential;
}

/** What a commit produced: messages to send, and a summary of the change. */
export interface CommitOutput {
  /** The commit, as an MLSMessage. */
  readonly commit: Uint8Array;
  /** The Welcome for added members (MLSMessage), if any were added. */
  readonly welcome?: Uint8Array;
  /** GroupInfo of the new epoch (MLSMessage), for the delivery service and external joiners. */
  readonly groupInfo: Uint8Array;
  /** The new epoch's ratchet tree (`optional<Node> ratchet_tree<V>`), encoded on first read. */
  readonly ratchetTree: Uint8Array;
  readonly epoch: bigint;
  readonly added: readonly Member[];
  readonly removed: readonly Member[];
}

/** A commit this member created, waiting for the delivery service. */
export interface PendingCommit {
  readonly message: Uint8Array;
  readonly state: MemberState;
  readonly result: CommitResult;
}

/** Builds a commit by the member in state `s`; its state is not changed. */
export function createCommit(
  s: MemberState,
  options: CommitOptions,
  groupOptions: GroupOptions,
  psks: PskStore,
): { output: CommitOutput; pending: PendingCommit } {
  const { suite } = s.pub;
  const me: Sender = { type: 'member', leafIndex: s.myLeaf };
  const entries: ProposalEntry[] = [];
  if (options.includePending ?? true) entries.push(...selectPending(s));
  for (const kp of options.add ?? [])
    entries.push({
      proposal: { type: 'add', keyPackage: outgoingKeyPackage(kp, groupOptions) },
      sender: me,
    });
  for (const leaf of options.remove ?? [])
    entries.push({ proposal: { type: 'remove', removed: leaf }, sender: me });
  for (const psk of options.psks ?? [])
    entries.push({ proposal: { type: 'psk', psk }, sender: me });
  if (options.extensions) {
    entries.push({
      proposal: { type: 'group_context_extensions', extensions: options.extensions },
      sender: me,
    });
  }
  const draft = s.pub.tree.clone();
  const applied = applyProposalList(
    proposalContext(s.pub, validationOptions(groupOptions)),
    draft,
    entries,
    { type: 'member', leafIndex: s.myLeaf },
  );
  const newLeaves = new Set(applied.added.map((a) => a.leafIndex));
  const withPath =
    applied.pathRequired ||
    (options.path ?? 'always') === 'always' ||
    options.credential !== undefined;
  const myLeaf = s.pub.tree.leaf(s.myLeaf)!;
  if (options.credential) checkOwnSuccessor(myLeaf, options.credential, groupOptions);
  const created = withPath
    ? createUpdatePath(
        suite,
        draft,
        s.myLeaf,
        s.pub.context.groupId,
        options.credential ? { ...myLeaf, credential: options.credential } : myLeaf,
        s.signaturePrivateKey,
        newLeaves,
        (th) =>
          serializeGroupContext(
            nextGroupContext(s.pub, applied.extensions, th, s.pub.context.confirmedTranscriptHash),
          ),
      )
    : undefined;
  const commit: Commit = {
    proposals: entries.map((e) =>
      e.ref ? { type: 'reference', reference: e.ref } : { type: 'proposal', proposal: e.proposal },
    ),
    ...(created ? { path: created.updatePath } : {}),
  };
  const content: FramedContent = {
    groupId: s.pub.context.groupId,
    epoch: s.pub.context.epoch,
    sender: me,
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
    contentType: 'commit',
    commit,
  };
  const wf = groupOptions.handshakeWireFormat ?? 'public_message';
  const commitSecret = created?.commitSecret ?? new Uint8Array(suite.hash.size);
  const { next, secrets, auth } = finishOwnCommit(
    s.pub,
    content,
    wf,
    s.signaturePrivateKey,
    s.secrets.initSecret,
    commitSecret,
    applied.psks,
    psks,
    draft,
    applied.extensions,
  );
  const message = frameContent(s, wf, content, auth);
  const keys = pruneKeys(next.tree, [...s.keys, ...(created?.keys ?? [])]);
  const nextState: MemberState = {
    pub: next,
    myLeaf: s.myLeaf,
    signaturePrivateKey: s.signaturePrivateKey,
    keys,
    secrets,
    secretTree: new SecretTree(suite, secrets.encryptionSecret, next.tree.nLeaves),
    proposals: new Map(),
    updateKeys: new Map(),
    status: applied.reinit ? 'reinit' : 'active',
  };
  const gi = buildGroupInfo(nextState);
  let welcome: Uint8Array | undefined;
  if (applied.added.length) {
    const welcomeGi =
      (options.ratchetTreeInWelcome ?? true)
        ? buildGroupInfo(nextState, { withRatchetTree: true })
        : gi;
    welcome = serializeMlsMessage({
      wireFormat: 'welcome',
      welcome: buildWelcome(
        suite,
        welcomeGi,
        secrets.welcomeSecret,
        secrets.joinerSecret,
        s.myLeaf,
        created?.pathSecrets,
        applied.psks,
        applied.added.map((a) => ({ keyPackage: a.keyPackage, leafIndex: a.leafIndex })),
      ),
    });
  }
  const result: CommitResult = {
    kind: 'commit',
    epoch: next.context.epoch,
    own: true,
    committer: me,
    ...rosterChanges(applied, next.tree),
    removedSelf: false,
  };
  let tree: Uint8Array | undefined;
  const output: CommitOutput = {
    commit: message,
    welcome,
    groupInfo: serializeMlsMessage({ wireFormat: 'group_info', groupInfo: gi }),
    get ratchetTree() {
      tree ??= next.tree.encode();
      return tree;
    },
    epoch: next.context.epoch,
    added: result.added,
    removed: result.removed,
  };
  return { output, pending: { message, state: nextState, result } };
}

/** This member's own validator must accept its new credential as a successor (§5.3.1). */
function checkOwnSuccessor(leaf: LeafNode, credential: Credential, options: GroupOptions): void {
  const previous = { credential: leaf.credential, signatureKey: leaf.signatureKey };
  if (
    options.validateCredential &&
    !options.validateCredential(credential, leaf.signatureKey, previous)
  ) {
    throw new MlsError('invalid-leaf-node', 'the new credential is not a valid successor');
  }
}

/** Pending proposals to commit by reference, leaving out ones this member cannot commit. */
function selectPending(s: MemberState): ProposalEntry[] {
  const entries = [...s.proposals.values()];
  const removedLeaves = new Set(
    entries.flatMap((e) => (e.proposal.type === 'remove' ? [e.proposal.removed] : [])),
  );
  const out: ProposalEntry[] = [];
  const seenRemove = new Set<number>();
  const latestUpdate = new Map<number, ProposalEntry>();
  for (const e of entries) {
    const p = e.proposal;
    if (p.type === 'update') {
      const leaf = (e.sender as { leafIndex: number }).leafIndex;
      if (leaf === s.myLeaf || removedLeaves.has(leaf)) continue;
      latestUpdate.set(leaf, e);
      continue;
    }
    if (p.type === 'remove') {
      if (p.removed === s.myLeaf || seenRemove.has(p.removed)) continue;
      seenRemove.add(p.removed);
    }
    if (p.type === 'reinit') continue; // committed only on its own, by an explicit choice
    out.push(e);
  }
  return [...latestUpdate.values(), ...out];
}

/**
 * The shared tail of creating a commit (member or external): sign, transcript
 * hashes, key schedule, confirmation tag (§12.4.1).
 */
export function finishOwnCommit(
  pub: PublicGroupState,
  content: FramedContent & { contentType: 'commit' },
  wf: WireFormatName,
  signaturePrivateKey: Uint8Array,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  psks: readonly PreSharedKeyId[],
  store: PskStore,
  tree: RatchetTree,
  extensions: readonly Extension[],
): { next: PublicGroupState; secrets: EpochSecrets; auth: FramedContentAuthData } {
  const { suite } = pub;
  const signature = signFramedContent(suite, signaturePrivateKey, wf, content, pub.contextBytes);
  const confirmed = confirmedTranscriptHash(
    suite,
    pub.interimTranscriptHash,
    wf,
    content,
    signature,
  );
  const context = nextGroupContext(pub, extensions, tree.treeHash(), confirmed);
  const contextBytes = serializeGroupContext(context);
  const psk = psks.length ? pskSecret(suite, store.resolve(psks)) : undefined;
  const secrets = deriveEpochSecrets(suite, initSecret, commitSecret, psk, contextBytes);
  const tag = confirmationTag(suite, secrets.confirmationKey, confirmed);
  return {
    next: {
      suite,
      context,
      contextBytes,
      tree,
      interimTranscriptHash: interimTranscriptHash(suite, confirmed, tag),
      confirmationTag: tag,
    },
    secrets,
    auth: { signature, confirmationTag: tag },
  };
}
