// A validator that follows a group from its public messages alone (no private
// keys), for the delivery service: it applies proposals and commits after the
// same checks members make (signatures, proposal-list rules, leaf validation,
// parent hashes, transcript hashes), tracks epoch, tree and roster, and keeps
// what a joiner needs (the ratchet tree, the GroupInfo the committer published).
// It cannot check membership tags or confirmation tags (they need group secrets);
// members still do.
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { bytesEqual, constantTimeEqual } from './bytes.js';
import { MlsError } from './errors.js';
import type { Sender } from './framing.js';
import { serializeGroupContext } from './group-context.js';
import { verifyGroupInfoSignature } from './group-info.js';
import { type Member, memberAt, rosterChanges } from './group-state.js';
import type { LeafPolicy } from './leaf-validation.js';
import { parseMlsMessage } from './mls-message.js';
import type { Proposal } from './proposal.js';
import { type ProposalEntry, validateStandaloneProposal } from './proposal-list.js';
import {
  authenticatedContentBytes,
  commitSender,
  type PublicGroupState,
  proposalContext,
  publicStateFromGroupInfo,
  refKey,
  type StagedCommit,
  stageCommit,
  validationOptions,
  verifyContent,
} from './public-group.js';

/** A handshake message the validator has checked, ready to apply. */
export type ValidatedMessage =
  | {
      readonly kind: 'proposal';
      readonly sender: Sender;
      readonly proposal: Proposal;
      readonly ref: Uint8Array;
    }
  | {
      readonly kind: 'commit';
      readonly epoch: bigint;
      readonly committer: Sender;
      readonly added: readonly Member[];
      readonly removed: readonly Member[];
      readonly updated: readonly Member[];
    };

export class GroupValidator {
  private state: PublicGroupState;
  private proposals = new Map<string, ProposalEntry>();
  private latestGroupInfo: Uint8Array | undefined;

  private constructor(
    state: PublicGroupState,
    private readonly policy: LeafPolicy,
  ) {
    this.state = state;
  }

  /**
   * Starts following a group from a signed GroupInfo (MLSMessage) and its
   * ratchet tree (in the GroupInfo's extension or supplied), validating both
   * as a joiner would.
   */
  static fromGroupInfo(
    suite: CipherSuite,
    groupInfoMessage: Uint8Array,
    ratchetTree?: Uint8Array,
    policy: LeafPolicy = {},
  ): GroupValidator {
    const m = parseMlsMessage(groupInfoMessage);
    if (m.wireFormat !== 'group_info') throw new MlsError('invalid-value', 'not a GroupInfo');
    const gi = m.groupInfo;
    const v = new GroupValidator(
      publicStateFromGroupInfo(suite, gi, ratchetTree, validationOptions(policy)),
      policy,
    );
    v.latestGroupInfo = groupInfoMessage;
    return v;
  }

  get epoch(): bigint {
    return this.state.context.epoch;
  }
  get groupId(): Uint8Array {
    return this.state.context.groupId;
  }
  get treeHash(): Uint8Array {
    return this.state.context.treeHash;
  }
  /** The public state of the current epoch. */
  get publicState(): PublicGroupState {
    return this.state;
  }

  members(): Member[] {
    return [...this.state.tree.leaves()].map(([i]) => memberAt(this.state.tree, i));
  }

  /** The lowest leaf index with a member (Canopy's designated committer). */
  lowestMember(): number | undefined {
    for (const [i] of this.state.tree.leaves()) return i;
    return undefined;
  }

  /** Proposals accepted in this epoch and not yet committed. */
  pendingProposals(): { proposal: Proposal; sender: Sender; ref: Uint8Array }[] {
    return [...this.proposals.values()].map((e) => ({
      proposal: e.proposal,
      sender: e.sender,
      ref: e.ref!,
    }));
  }

  /** The current ratchet tree, for joiners. */
  ratchetTree(): Uint8Array {
    return this.state.tree.encode();
  }

  /** The last GroupInfo accepted for the current epoch, if any. */
  groupInfo(): Uint8Array | undefined {
    return this.latestGroupInfo;
  }

  /**
   * Checks a handshake message (a PublicMessage for the current epoch) and
   * applies it: a proposal is cached, a commit starts the next epoch. Throws
   * DecodeError or MlsError (with code 'wrong-epoch' for stale commits) and
   * changes nothing when it is invalid.
   */
  process(bytes: Uint8Array): ValidatedMessage {
    const m = parseMlsMessage(bytes);
    if (m.wireFormat !== 'public_message') {
      throw new MlsError(
        'invalid-value',
        `the validator only follows PublicMessages, not ${m.wireFormat}`,
      );
    }
    const { content, auth } = m.publicMessage;
    const s = this.state;
    verifyContent(s, 'public_message', content, auth);
    if (content.contentType === 'application')
      throw new MlsError('invalid-value', 'application data in a PublicMessage');
    if (content.contentType === 'proposal') {
      const entry: ProposalEntry = { proposal: content.proposal, sender: content.sender };
      validateStandaloneProposal(proposalContext(s, validationOptions(this.policy)), s.tree, entry);
      const ref = s.suite.proposalRef(authenticatedContentBytes('public_message', content, auth));
      this.proposals.set(refKey(ref), { ...entry, ref });
      return { kind: 'proposal', sender: content.sender, proposal: content.proposal, ref };
    }
    const options = validationOptions(this.policy);
    const staged = stageCommit(s, 'public_message', content, auth, this.proposals, options);
    const result = summarize(staged);
    staged.next.tree.adopt();
    this.state = staged.next;
    this.proposals = new Map();
    this.latestGroupInfo = undefined;
    return result;
  }

  /**
   * Accepts the GroupInfo a committer publishes for the current epoch: it must
   * be signed by a member and describe exactly the epoch the validator is in.
   */
  acceptGroupInfo(bytes: Uint8Array): void {
    const m = parseMlsMessage(bytes);
    if (m.wireFormat !== 'group_info') throw new MlsError('invalid-value', 'not a GroupInfo');
    const gi = m.groupInfo;
    const signer = this.state.tree.leaf(gi.signer);
    if (!signer || !verifyGroupInfoSignature(this.state.suite, gi, signer.signatureKey)) {
      throw new MlsError('invalid-signature', 'GroupInfo signature does not verify');
    }
    if (!bytesEqual(serializeGroupContext(gi.groupContext), this.state.contextBytes)) {
      throw new MlsError('wrong-epoch', 'GroupInfo does not describe the current epoch');
    }
    if (!constantTimeEqual(gi.confirmationTag, this.state.confirmationTag)) {
      throw new MlsError(
        'invalid-group-info',
        'GroupInfo confirmation tag differs from the commit',
      );
    }
    this.latestGroupInfo = bytes;
  }
}

function summarize(staged: StagedCommit): ValidatedMessage {
  return {
    kind: 'commit',
    epoch: staged.next.context.epoch,
    committer: commitSender(staged),
    ...rosterChanges(staged.applied, staged.next.tree),
  };
}
