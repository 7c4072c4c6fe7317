// The group state machine of a member (RFC 9420 §11-§12): the MlsGroup class
// holds the current epoch's state, answers questions about it, sends
// proposals and application data, and dispatches received messages. Creating
// and joining (group-create.ts, join-welcome.ts, join-external.ts), building a
// commit (commit-create.ts) and processing one (commit-process.ts) live in
// their own modules. Every operation builds a complete next state beside the
// current one and swaps it in only at the end, so an MlsError always leaves
// the group exactly as it was.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { bytesEqual } from './bytes.js';
import {
  type CommitOptions,
  type CommitOutput,
  createCommit,
  type PendingCommit,
} from './commit-create.js';
import { type CommitResult, processCommit } from './commit-process.js';
import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import type { Extension } from './extensions.js';
import type { FramedContent, FramedContentAuthData, Sender, WireFormatName } from './framing.js';
import { type CreateGroupOptions, createGroupState } from './group-create.js';
import { buildGroupInfo } from './group-info.js';
import {
  frameContent,
  type GroupOptions,
  type Member,
  type MemberState,
  memberAt,
  outgoingKeyPackage,
} from './group-state.js';
import type { ClientIdentity, KeyPackageBundle } from './identity.js';
import { type ExternalJoinOptions, joinByExternalCommit } from './join-external.js';
import { type JoinFromWelcomeOptions, joinFromWelcome } from './join-welcome.js';
import type { KeyPackage } from './key-package.js';
import { mlsExporter } from './key-schedule.js';
import { signLeafNode } from './leaf-node.js';
import { parseMlsMessage, serializeMlsMessage } from './mls-message.js';
import { decryptPrivateMessage } from './private-message.js';
import type { Proposal } from './proposal.js';
import { type ProposalEntry, validateStandaloneProposal } from './proposal-list.js';
import { PskStore } from './psk.js';
import {
  authenticatedContentBytes,
  type PublicGroupState,
  proposalContext,
  refKey,
  type ValidationOptions,
  validationOptions,
  verifyContent,
} from './public-group.js';
import { signFramedContent, verifyMembershipTag } from './public-message.js';

export type { CommitOptions, CommitOutput } from './commit-create.js';
export type { CommitResult } from './commit-process.js';
export type { CreateGroupOptions } from './group-create.js';
export type { GroupOptions } from './group-state.js';
export type { ExternalJoinOptions } from './join-external.js';
export type { JoinFromWelcomeOptions } from './join-welcome.js';

/** What processing a message did. */
export type ProcessResult =
  | {
      readonly kind: 'application';
      readonly sender: Member;
      readonly data: Uint8Array;
      readonly authenticatedData: Uint8Array;
    }
  | {
      readonly kind: 'proposal';
      readonly sender: Sender;
      readonly proposal: Proposal;
      readonly ref: Uint8Array;
    }
  | CommitResult;

export class MlsGroup {
  private state: MemberState;
  private pending: PendingCommit | undefined;
  readonly psks: PskStore;

  private constructor(
    state: MemberState,
    private readonly options: GroupOptions,
    psks?: PskStore,
  ) {
    this.state = state;
    this.psks = psks ?? new PskStore();
    this.psks.addResumption(
      state.pub.context.groupId,
      state.pub.context.epoch,
      state.secrets.resumptionPsk,
    );
  }

  // --- creation ------------------------------------------------------------

  /** Creates a one-member group at epoch 0 (§11). */
  static create(options: CreateGroupOptions): MlsGroup {
    return new MlsGroup(createGroupState(options), options);
  }

  /**
   * Joins from a Welcome (§12.4.3.1). The ratchet tree comes from the Welcome's
   * GroupInfo or, when absent there, from `ratchetTree` (e.g. served by the DS).
   * Validates the whole tree: hash, parent hashes, every leaf.
   */
  static joinFromWelcome(
    welcomeMessage: Uint8Array,
    bundle: KeyPackageBundle,
    suite: CipherSuite,
    options: JoinFromWelcomeOptions = {},
  ): MlsGroup {
    const { state, psks } = joinFromWelcome(welcomeMessage, bundle, suite, options);
    return new MlsGroup(state, options, psks);
  }

  /**
   * Joins by external commit (§12.4.3.2) from a GroupInfo carrying external_pub.
   * Returns the group (already in the new epoch) and the commit to send; if the
   * delivery service rejects it, discard the group and retry with a fresh GroupInfo.
   */
  static joinByExternalCommit(
    groupInfoMessage: Uint8Array,
    identity: ClientIdentity,
    suite: CipherSuite,
    options: ExternalJoinOptions = {},
  ): { group: MlsGroup; commit: Uint8Array } {
    const { state, psks, commit } = joinByExternalCommit(
      groupInfoMessage,
      identity,
      suite,
      options,
    );
    return { group: new MlsGroup(state, options, psks), commit };
  }

  // --- state ---------------------------------------------------------------

  get suite(): CipherSuite {
    return this.state.pub.suite;
  }
  get groupId(): Uint8Array {
    return this.state.pub.context.groupId;
  }
  get epoch(): bigint {
    return this.state.pub.context.epoch;
  }
  get myLeafIndex(): number {
    return this.state.myLeaf;
  }
  /** active, removed (this member was removed) or reinit (a ReInit was committed). */
  get status(): MemberState['status'] {
    return this.state.status;
  }
  /** The epoch authenticator (§8.7): equal for all members of the epoch; the security code derives from it. */
  get epochAuthenticator(): Uint8Array {
    return this.state.secrets.epochAuthenticator;
  }
  get treeHash(): Uint8Array {
    return this.state.pub.context.treeHash;
  }
  get extensions(): readonly Extension[] {
    return this.state.pub.context.extensions;
  }
  /** The public state (tree, context, transcript hash) of the current epoch. */
  get publicState(): PublicGroupState {
    return this.state.pub;
  }
  /** True while this member's own commit awaits confirmation. */
  get hasPendingCommit(): boolean {
    return this.pending !== undefined;
  }

  /** The members, in leaf order. */
  members(): Member[] {
    const out: Member[] = [];
    for (const [i] of this.state.pub.tree.leaves()) out.push(memberAt(this.state.pub.tree, i));
    return out;
  }

  /** MLS-Exporter(label, context, length) of the current epoch (§8.5). */
  exportSecret(label: string, context: Uint8Array, length: number): Uint8Array {
    return mlsExporter(this.suite, this.state.secrets.exporterSecret, label, context, length);
  }

  /** The current epoch's ratchet tree (`optional<Node> ratchet_tree<V>`). */
  ratchetTree(): Uint8Array {
    return this.state.pub.tree.encode();
  }

  /** A signed GroupInfo of the current epoch (MLSMessage), with external_pub. */
  groupInfo(options: { withRatchetTree?: boolean } = {}): Uint8Array {
    return serializeMlsMessage({
      wireFormat: 'group_info',
      groupInfo: buildGroupInfo(this.state, options),
    });
  }

  /** Proposals received in this epoch and not yet committed. */
  pendingProposals(): { proposal: Proposal; sender: Sender; ref: Uint8Array }[] {
    return [...this.state.proposals.values()].map((e) => ({
      proposal: e.proposal,
      sender: e.sender,
      ref: e.ref!,
    }));
  }

  private active(): MemberState {
    if (this.state.status !== 'active')
      throw new MlsError('invalid-state', `the group is ${this.state.status}`);
    return this.state;
  }

  private validationOptions(): ValidationOptions {
    return validationOptions(this.options);
  }

  // --- proposals -------------------------------------------------------------

  /** Proposes adding a member (a proposal message to send; it is cached locally too). */
  proposeAdd(keyPackage: KeyPackage | Uint8Array, authenticatedData?: Uint8Array): Uint8Array {
    const kp = outgoingKeyPackage(keyPackage, this.options);
    return this.propose({ type: 'add', keyPackage: kp }, authenticatedData);
  }

  /** Proposes removing the member at a leaf. */
  proposeRemove(leafIndex: number, authenticatedData?: Uint8Array): Uint8Array {
    return this.propose({ type: 'remove', removed: leafIndex }, authenticatedData);
  }

  /**
   * Proposes replacing this member's leaf with a fresh encryption key (§12.1.2)
   * and, optionally, a new credential for the same signature key, which members
   * accept only if their CredentialValidator finds it a valid successor (§5.3.1).
   */
  proposeUpdate(
    authenticatedData?: Uint8Array,
    options: { readonly credential?: Credential } = {},
  ): Uint8Array {
    const s = this.active();
    const old = s.pub.tree.leaf(s.myLeaf)!;
    const key = s.pub.suite.hpke.generateKeyPair();
    const leafNode = signLeafNode(
      s.pub.suite,
      s.signaturePrivateKey,
      {
        encryptionKey: key.publicKey,
        signatureKey: old.signatureKey,
        credential: options.credential ?? old.credential,
        capabilities: old.capabilities,
        source: 'update',
        extensions: old.extensions,
      },
      s.pub.context.groupId,
      s.myLeaf,
    );
    const message = this.propose({ type: 'update', leafNode }, authenticatedData);
    s.updateKeys.set(bytesToHex(key.publicKey), key);
    return message;
  }

  private propose(
    proposal: Proposal,
    authenticatedData: Uint8Array = new Uint8Array(0),
  ): Uint8Array {
    const s = this.active();
    const { suite } = s.pub;
    const sender: Sender = { type: 'member', leafIndex: s.myLeaf };
    validateStandaloneProposal(proposalContext(s.pub, this.validationOptions()), s.pub.tree, {
      proposal,
      sender,
    });
    const content: FramedContent = {
      groupId: s.pub.context.groupId,
      epoch: s.pub.context.epoch,
      sender,
      authenticatedData,
      contentType: 'proposal',
      proposal,
    };
    const wf = this.options.handshakeWireFormat ?? 'public_message';
    const auth = {
      signature: signFramedContent(suite, s.signaturePrivateKey, wf, content, s.pub.contextBytes),
    };
    const ref = suite.proposalRef(authenticatedContentBytes(wf, content, auth));
    const message = frameContent(s, wf, content, auth);
    s.proposals.set(refKey(ref), { proposal, sender, ref });
    return message;
  }

  // --- commits ---------------------------------------------------------------

  /**
   * Creates a commit covering the pending proposals and the given changes. The
   * group stays in the current epoch until mergePendingCommit() (or until the
   * commit comes back through process()); discardPendingCommit() abandons it,
   * e.g. when the delivery service accepted another commit for this epoch.
   */
  commit(options: CommitOptions = {}): CommitOutput {
    const s = this.active();
    if (this.pending) throw new MlsError('invalid-state', 'a commit is already pending');
    const { output, pending } = createCommit(s, options, this.options, this.psks);
    this.pending = pending;
    return output;
  }

  /** Applies this member's pending commit (the delivery service accepted it). */
  mergePendingCommit(): CommitResult {
    const p = this.pending;
    if (!p) throw new MlsError('invalid-state', 'no pending commit');
    this.adoptState(p.state);
    this.pending = undefined;
    return p.result;
  }

  /** Abandons this member's pending commit (another commit won the epoch). */
  discardPendingCommit(): void {
    this.pending = undefined;
  }

  private adoptState(next: MemberState): void {
    next.pub.tree.adopt();
    this.state = next;
    this.psks.addResumption(
      next.pub.context.groupId,
      next.pub.context.epoch,
      next.secrets.resumptionPsk,
    );
  }

  // --- processing ------------------------------------------------------------

  /**
   * Processes any incoming MLSMessage addressed to the group: a proposal or
   * commit (PublicMessage or PrivateMessage) or application data. Throws
   * DecodeError or MlsError and changes nothing if the message is invalid.
   */
  process(bytes: Uint8Array): ProcessResult {
    const m = parseMlsMessage(bytes);
    const s = this.active();
    if (m.wireFormat === 'public_message') {
      const { content, auth } = m.publicMessage;
      if (this.pending && bytesEqual(bytes, this.pending.message)) return this.mergePendingCommit();
      verifyContent(s.pub, 'public_message', content, auth);
      if (
        content.sender.type === 'member' &&
        !verifyMembershipTag(
          s.pub.suite,
          s.secrets.membershipKey,
          m.publicMessage,
          s.pub.contextBytes,
        )
      ) {
        throw new MlsError('invalid-membership-tag', 'membership tag does not verify');
      }
      return this.handle(s, 'public_message', content, auth);
    }
    if (m.wireFormat === 'private_message') {
      const pm = m.privateMessage;
      if (this.pending && bytesEqual(bytes, this.pending.message)) return this.mergePendingCommit();
      if (!bytesEqual(pm.groupId, s.pub.context.groupId))
        throw new MlsError('wrong-group', 'message for another group');
      if (pm.epoch !== s.pub.context.epoch) {
        throw new MlsError(
          'wrong-epoch',
          `message for epoch ${pm.epoch}, group is at ${s.pub.context.epoch}`,
        );
      }
      const dec = decryptPrivateMessage(s.pub.suite, s.secretTree, s.secrets.senderDataSecret, pm);
      verifyContent(s.pub, 'private_message', dec.content, dec.auth);
      const result = this.handle(s, 'private_message', dec.content, dec.auth);
      if (this.state === s) dec.consume(); // commits replace the state; the old tree's key is gone with it
      return result;
    }
    throw new MlsError('invalid-value', `a ${m.wireFormat} is not processed by a group`);
  }

  private handle(
    s: MemberState,
    wf: WireFormatName,
    content: FramedContent,
    auth: FramedContentAuthData,
  ): ProcessResult {
    const { suite } = s.pub;
    if (content.contentType === 'application') {
      if (content.sender.type !== 'member')
        throw new MlsError('invalid-value', 'application data from a non-member');
      return {
        kind: 'application',
        sender: memberAt(s.pub.tree, content.sender.leafIndex),
        data: content.applicationData,
        authenticatedData: content.authenticatedData,
      };
    }
    if (content.contentType === 'proposal') {
      const entry: ProposalEntry = { proposal: content.proposal, sender: content.sender };
      validateStandaloneProposal(
        proposalContext(s.pub, this.validationOptions()),
        s.pub.tree,
        entry,
      );
      const ref = suite.proposalRef(authenticatedContentBytes(wf, content, auth));
      s.proposals.set(refKey(ref), { ...entry, ref });
      return { kind: 'proposal', sender: content.sender, proposal: content.proposal, ref };
    }
    const { state, result } = processCommit(
      s,
      wf,
      content,
      auth,
      this.validationOptions(),
      this.psks,
    );
    if (result.removedSelf) this.state = state;
    else this.adoptState(state);
    this.pending = undefined;
    return result;
  }

  // --- application data ------------------------------------------------------

  /** Encrypts application data as a PrivateMessage (MLSMessage bytes). */
  encrypt(data: Uint8Array, authenticatedData: Uint8Array = new Uint8Array(0)): Uint8Array {
    const s = this.active();
    if (s.proposals.size > 0) {
      throw new MlsError(
        'invalid-state',
        'pending proposals must be committed before sending application data',
      );
    }
    const content: FramedContent = {
      groupId: s.pub.context.groupId,
      epoch: s.pub.context.epoch,
      sender: { type: 'member', leafIndex: s.myLeaf },
      authenticatedData,
      contentType: 'application',
      applicationData: data,
    };
    const auth = {
      signature: signFramedContent(
        s.pub.suite,
        s.signaturePrivateKey,
        'private_message',
        content,
        s.pub.contextBytes,
      ),
    };
    return frameContent(s, 'private_message', content, auth);
  }

  /** @internal For serialization. */
  snapshot(): { state: MemberState; options: GroupOptions; psks: PskStore } {
    return { state: this.state, options: this.options, psks: this.psks };
  }

  /** @internal For serialization. */
  static fromSnapshot(state: MemberState, options: GroupOptions, psks: PskStore): MlsGroup {
    return new MlsGroup(state, options, psks);
  }
}
