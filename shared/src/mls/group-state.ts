// What a member holds in one epoch (its state and options), the roster read
// from it, and how it frames the handshake and application messages it sends.
import { bytesEqual } from './bytes.js';
import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import type { FramedContent, FramedContentAuthData, WireFormatName } from './framing.js';
import { unixNow } from './identity.js';
import type { KeyPackage } from './key-package.js';
import type { EpochSecrets } from './key-schedule.js';
import { checkOutgoingKeyPackage, type LeafPolicy } from './leaf-validation.js';
import { keyPackageFromMessage, serializeMlsMessage } from './mls-message.js';
import { encryptPrivateMessage } from './private-message.js';
import type { AppliedProposals, ProposalEntry } from './proposal-list.js';
import type { PublicGroupState } from './public-group.js';
import { createPublicMessage } from './public-message.js';
import type { RatchetTree } from './ratchet-tree.js';
import type { SecretTree } from './secret-tree.js';
import type { NodeKey } from './treekem.js';

/** Group-wide behaviour chosen by the application, including how it validates leaves. */
export interface GroupOptions extends LeafPolicy {
  /** Wire format for this member's proposals and commits (default PublicMessage, so a DS can validate them). */
  readonly handshakeWireFormat?: 'public_message' | 'private_message';
}

export type MemberStatus = 'active' | 'removed' | 'reinit';

/** Everything a member holds in one epoch. Replaced as a whole at each commit. */
export interface MemberState {
  readonly pub: PublicGroupState;
  readonly myLeaf: number;
  readonly signaturePrivateKey: Uint8Array;
  /** HPKE keys for tree nodes this member knows (its leaf and some ancestors). */
  readonly keys: ReadonlyMap<number, NodeKey>;
  readonly secrets: EpochSecrets;
  readonly secretTree: SecretTree;
  /** Proposals received in this epoch, by ProposalRef. */
  readonly proposals: Map<string, ProposalEntry>;
  /** Private keys of this member's own pending Update proposals, by encryption key. */
  readonly updateKeys: Map<string, NodeKey>;
  readonly status: MemberStatus;
}

/** A member of the roster. */
export interface Member {
  readonly leafIndex: number;
  readonly credential: Credential;
  readonly signatureKey: Uint8Array;
  readonly encryptionKey: Uint8Array;
}

export function memberAt(tree: RatchetTree, leafIndex: number): Member {
  const leaf = tree.leaf(leafIndex);
  if (!leaf) throw new MlsError('unknown-sender', `no member at leaf ${leafIndex}`);
  return {
    leafIndex,
    credential: leaf.credential,
    signatureKey: leaf.signatureKey,
    encryptionKey: leaf.encryptionKey,
  };
}

/** Who a commit added, updated (as members of the new tree) and removed (as they were). */
export function rosterChanges(
  applied: AppliedProposals,
  tree: RatchetTree,
): { added: Member[]; removed: Member[]; updated: Member[] } {
  return {
    added: applied.added.map((a) => memberAt(tree, a.leafIndex)),
    removed: applied.removed.map(({ leafIndex, leaf }) => ({
      leafIndex,
      credential: leaf.credential,
      signatureKey: leaf.signatureKey,
      encryptionKey: leaf.encryptionKey,
    })),
    updated: applied.updated.map((u) => memberAt(tree, u.leafIndex)),
  };
}

/** Keeps only keys whose public key is still at their node in `tree`. */
export function pruneKeys(
  tree: RatchetTree,
  keys: Iterable<[number, NodeKey]>,
): Map<number, NodeKey> {
  const out = new Map<number, NodeKey>();
  for (const [x, k] of keys) {
    const n = tree.node(x);
    if (!n) continue;
    const pk = n.type === 'leaf' ? n.leaf.encryptionKey : n.parent.encryptionKey;
    if (bytesEqual(pk, k.publicKey)) out.set(x, k);
  }
  return out;
}

/** Frames signed content from this member as an MLSMessage (§6.2, §6.3). */
export function frameContent(
  s: MemberState,
  wf: WireFormatName,
  content: FramedContent,
  auth: FramedContentAuthData,
): Uint8Array {
  if (wf === 'public_message') {
    const pm = createPublicMessage(
      s.pub.suite,
      content,
      auth,
      s.secrets.membershipKey,
      s.pub.contextBytes,
    );
    return serializeMlsMessage({ wireFormat: 'public_message', publicMessage: pm });
  }
  const pm = encryptPrivateMessage(
    s.pub.suite,
    s.secretTree,
    s.secrets.senderDataSecret,
    content,
    auth,
  );
  return serializeMlsMessage({ wireFormat: 'private_message', privateMessage: pm });
}

/** A KeyPackage this member puts in an Add by value, checked as §7.3 requires of senders. */
export function outgoingKeyPackage(kp: KeyPackage | Uint8Array, options: GroupOptions): KeyPackage {
  const keyPackage = kp instanceof Uint8Array ? keyPackageFromMessage(kp) : kp;
  checkOutgoingKeyPackage(keyPackage, options, options.now?.() ?? unixNow());
  return keyPackage;
}
