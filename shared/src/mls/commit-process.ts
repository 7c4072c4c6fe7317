// Processing a received commit (RFC 9420 §12.4.2): stage it on the public
// state (shared with the delivery service's validator), decrypt the path,
// derive the next epoch's secrets and check the confirmation tag. Nothing is
// adopted here: the caller swaps in the returned state.
import { bytesToHex } from '@noble/hashes/utils.js';
import { constantTimeEqual } from './bytes.js';
import { MlsError } from './errors.js';
import type { FramedContent, FramedContentAuthData, Sender, WireFormatName } from './framing.js';
import { type Member, type MemberState, pruneKeys, rosterChanges } from './group-state.js';
import { deriveEpochSecrets, externalInitReceiver } from './key-schedule.js';
import { type PskStore, pskSecret } from './psk.js';
import { commitSender, stageCommit, type ValidationOptions } from './public-group.js';
import { SecretTree } from './secret-tree.js';
import { confirmationTag } from './transcript-hash.js';
import { leafToNode } from './tree-math.js';
import { decryptUpdatePath } from './treekem.js';

export interface CommitResult {
  readonly kind: 'commit';
  /** The epoch the group is in now. */
  readonly epoch: bigint;
  /** This member's own commit, confirmed by the delivery service. */
  readonly own: boolean;
  readonly committer: Sender;
  readonly added: readonly Member[];
  readonly removed: readonly Member[];
  readonly updated: readonly Member[];
  /** This member was removed: the group is no longer usable. */
  readonly removedSelf: boolean;
}

/**
 * Validates and applies another member's commit (already authenticated by
 * verifyContent) to the member state `s`. Returns the next state: the new
 * epoch's, or, when the commit removed this member, `s` marked removed.
 */
export function processCommit(
  s: MemberState,
  wf: WireFormatName,
  content: FramedContent & { contentType: 'commit' },
  auth: FramedContentAuthData,
  options: ValidationOptions,
  psks: PskStore,
): { state: MemberState; result: CommitResult } {
  if (content.sender.type === 'member' && content.sender.leafIndex === s.myLeaf) {
    throw new MlsError('invalid-commit', 'own commit that is not the pending one');
  }
  const { suite } = s.pub;
  const staged = stageCommit(s.pub, wf, content, auth, s.proposals, options);
  const { applied, next } = staged;
  const summary = {
    kind: 'commit' as const,
    epoch: next.context.epoch,
    own: false,
    committer: commitSender(staged),
    ...rosterChanges(applied, next.tree),
  };
  if (applied.removed.some((r) => r.leafIndex === s.myLeaf)) {
    return { state: { ...s, status: 'removed' }, result: { ...summary, removedSelf: true } };
  }
  // our own Update, committed by someone else: install its private key
  const keys = new Map(s.keys);
  const myNewLeaf = next.tree.leaf(s.myLeaf)!;
  const updateKey = s.updateKeys.get(bytesToHex(myNewLeaf.encryptionKey));
  if (updateKey) keys.set(leafToNode(s.myLeaf), updateKey);
  let commitSecret: Uint8Array = new Uint8Array(suite.hash.size);
  if (staged.updatePath) {
    const d = decryptUpdatePath(
      suite,
      next.tree,
      staged.senderLeaf,
      s.myLeaf,
      staged.updatePath,
      staged.newLeaves,
      staged.provisionalContext!,
      keys,
    );
    commitSecret = d.commitSecret;
    for (const [x, k] of d.keys) keys.set(x, k);
  }
  const psk = applied.psks.length ? pskSecret(suite, psks.resolve(applied.psks)) : undefined;
  const initSecret = applied.externalInit
    ? externalInitReceiver(suite, s.secrets.externalSecret, applied.externalInit)
    : s.secrets.initSecret;
  const secrets = deriveEpochSecrets(suite, initSecret, commitSecret, psk, next.contextBytes);
  const tag = confirmationTag(suite, secrets.confirmationKey, next.context.confirmedTranscriptHash);
  if (!constantTimeEqual(tag, auth.confirmationTag!)) {
    throw new MlsError('invalid-confirmation-tag', 'commit confirmation tag does not verify');
  }
  const state: MemberState = {
    pub: next,
    myLeaf: s.myLeaf,
    signaturePrivateKey: s.signaturePrivateKey,
    keys: pruneKeys(next.tree, keys),
    secrets,
    secretTree: new SecretTree(suite, secrets.encryptionSecret, next.tree.nLeaves),
    proposals: new Map(),
    updateKeys: new Map(),
    status: applied.reinit ? 'reinit' : 'active',
  };
  return { state, result: { ...summary, removedSelf: false } };
}
