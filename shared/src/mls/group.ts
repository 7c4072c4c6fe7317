// The group state machine of a member (RFC 9420 §11-§12): creation, proposals,
// commits (created and processed), Welcome and external joins, application
// messages, exporter and roster. Every operation builds a complete next state
// beside the current one and swaps it in only at the end, so an MlsError
// always leaves the group exactly as it was.
import { decode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { CryptoError } from '../crypto/errors.js';
import type { Commit } from './commit.js';
import { MlsError } from './errors.js';
import { decodeExternalPub, type Extension, ExtensionType, findExtension } from './extensions.js';
import type { FramedContent, FramedContentAuthData, Sender, WireFormatName } from './framing.js';
import { groupContext, serializeGroupContext } from './group-context.js';
import { decodeGroupInfo, type GroupInfo } from './group-info.js';
import {
  buildGroupInfo,
  buildWelcome,
  EXTERNAL_INIT_SECRET,
  hex,
  type Member,
  type MemberState,
  memberAt,
  openGroupSecrets,
  PskStore,
  pruneKeys,
  rosterChanges,
} from './group-state.js';
import {
  type ClientIdentity,
  defaultCapabilities,
  type KeyPackageBundle,
  unixNow,
} from './identity.js';
import type { KeyPackage } from './key-package.js';
import {
  deriveEpochSecrets,
  type EpochSecrets,
  epochSecretsFromJoiner,
  externalKeyPair,
  mlsExporter,
  welcomeKeyNonce,
} from './key-schedule.js';
import { signLeafNode } from './leaf-node.js';
import { checkOutgoingKeyPackage, type LeafPolicy } from './leaf-validation.js';
import {
  keyPackageFromMessage,
  type MLSMessage,
  parseMlsMessage,
  serializeMlsMessage,
} from './mls-message.js';
import { decryptPrivateMessage, encryptPrivateMessage } from './private-message.js';
import type { Proposal } from './proposal.js';
import {
  applyProposalList,
  type ProposalEntry,
  validateStandaloneProposal,
} from './proposal-list.js';
import { type PreSharedKeyId, pskSecret } from './psk.js';
import {
  authenticatedContentBytes,
  commitSender,
  nextGroupContext,
  type PublicGroupState,
  proposalContext,
  publicStateFromGroupInfo,
  refKey,
  type StagedCommit,
  stageCommit,
  type ValidationOptions,
  validationOptions,
  verifyContent,
} from './public-group.js';
import {
  constantTimeEqual,
  createPublicMessage,
  signFramedContent,
  verifyMembershipTag,
} from './public-message.js';
import { equalBytes, RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import {
  confirmationTag,
  confirmedTranscriptHash,
  interimTranscriptHash,
} from './transcript-hash.js';
import { leafToNode } from './tree-math.js';
import {
  createUpdatePath,
  decryptUpdatePath,
  keysFromPathSecret,
  type NodeKey,
} from './treekem.js';

/** Group-wide behaviour chosen by the application, including how it validates leaves. */
export interface GroupOptions extends LeafPolicy {
  /** Wire format for this member's proposals and commits (default PublicMessage, so a DS can validate them). */
  readonly handshakeWireFormat?: 'public_message' | 'private_message';
}

export interface CreateGroupOptions extends GroupOptions {
  readonly suite: CipherSuite;
  readonly identity: ClientIdentity;
  /** Defaults to Nh random bytes. */
  readonly groupId?: Uint8Array;
  /** GroupContext extensions (e.g. external_senders, required_capabilities). */
  readonly extensions?: readonly Extension[];
}

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

interface PendingCommit {
  readonly message: Uint8Array;
  readonly state: MemberState;
  readonly result: CommitResult;
}

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
    const { suite, identity } = options;
    const groupId = options.groupId ?? suite.randomBytes(suite.hash.size);
    const extensions = options.extensions ?? [];
    const encryption = suite.hpke.generateKeyPair();
    const leaf = signLeafNode(
      suite,
      identity.signaturePrivateKey,
      {
        encryptionKey: encryption.publicKey,
        signatureKey: identity.signaturePublicKey,
        credential: identity.credential,
        capabilities: defaultCapabilities(suite, identity.credential, {
          extensions: extensions.map((e) => e.type).filter((t) => t > 5),
        }),
        source: 'commit',
        parentHash: new Uint8Array(0),
        extensions: [],
      },
      groupId,
      0,
    );
    const tree = RatchetTree.create(suite, leaf);
    const context = groupContext({
      cipherSuite: suite.id,
      groupId,
      epoch: 0n,
      treeHash: tree.treeHash(),
      confirmedTranscriptHash: new Uint8Array(0),
      extensions,
    });
    const contextBytes = serializeGroupContext(context);
    const nh = suite.hash.size;
    // epoch 0: a random epoch secret, reached here as a random init secret and commit secret
    const secrets = deriveEpochSecrets(
      suite,
      suite.randomBytes(nh),
      suite.randomBytes(nh),
      undefined,
      contextBytes,
    );
    const tag = confirmationTag(suite, secrets.confirmationKey, new Uint8Array(0));
    const pub: PublicGroupState = {
      suite,
      context,
      contextBytes,
      tree,
      interimTranscriptHash: interimTranscriptHash(suite, new Uint8Array(0), tag),
      confirmationTag: tag,
    };
    return new MlsGroup(
      {
        pub,
        myLeaf: 0,
        signaturePrivateKey: identity.signaturePrivateKey,
        keys: new Map([[0, encryption]]),
        secrets,
        secretTree: new SecretTree(suite, secrets.encryptionSecret, tree.nLeaves),
        proposals: new Map(),
        updateKeys: new Map(),
        status: 'active',
      },
      options,
    );
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
    options: GroupOptions & { ratchetTree?: Uint8Array; psks?: PskStore } = {},
  ): MlsGroup {
    const m = parseMessage(welcomeMessage);
    if (m.wireFormat !== 'welcome') throw new MlsError('invalid-value', 'not a Welcome');
    const welcome = m.welcome;
    if (welcome.cipherSuite !== suite.id || bundle.keyPackage.cipherSuite !== suite.id) {
      throw new MlsError('invalid-welcome', 'cipher suite mismatch');
    }
    const gs = openGroupSecrets(suite, welcome, bundle.keyPackage, bundle.initPrivateKey);
    const psks = options.psks ?? new PskStore();
    const special = gs.psks.filter((p) => p.type === 'resumption' && p.usage !== 1);
    if (special.length > 1)
      throw new MlsError('invalid-welcome', 'more than one reinit/branch PSK');
    const psk = gs.psks.length ? pskSecret(suite, psks.resolve(gs.psks)) : undefined;
    const member = suite.extract(gs.joinerSecret, psk ?? new Uint8Array(suite.hash.size));
    const { key, nonce } = welcomeKeyNonce(suite, suite.deriveSecret(member, 'welcome'));
    let gi: GroupInfo;
    try {
      gi = decode(
        decodeGroupInfo,
        suite.aead.open(key, nonce, new Uint8Array(0), welcome.encryptedGroupInfo),
      );
    } catch (e) {
      if (e instanceof CryptoError)
        throw new MlsError('decryption-failed', 'GroupInfo did not decrypt');
      throw new MlsError('invalid-welcome', 'malformed GroupInfo');
    }
    if (special.length && gi.groupContext.epoch !== 1n)
      throw new MlsError('invalid-welcome', 'reinit/branch group must start at epoch 1');
    const pub = publicStateFromGroupInfo(
      suite,
      gi,
      options.ratchetTree,
      validationOptions(options),
    );
    const { tree } = pub;
    const myLeaf = findOwnLeaf(tree, bundle);
    const secrets = epochSecretsFromJoiner(suite, gs.joinerSecret, psk, pub.contextBytes);
    const expectedTag = confirmationTag(
      suite,
      secrets.confirmationKey,
      gi.groupContext.confirmedTranscriptHash,
    );
    if (!constantTimeEqual(expectedTag, gi.confirmationTag)) {
      throw new MlsError('invalid-confirmation-tag', 'GroupInfo confirmation tag does not verify');
    }
    const keys = new Map<number, NodeKey>([
      [
        leafToNode(myLeaf),
        {
          privateKey: bundle.encryptionPrivateKey,
          publicKey: bundle.keyPackage.leafNode.encryptionKey,
        },
      ],
    ]);
    if (gs.pathSecret) {
      for (const [x, k] of keysFromPathSecret(suite, tree, gi.signer, myLeaf, gs.pathSecret))
        keys.set(x, k);
    }
    return new MlsGroup(
      {
        pub,
        myLeaf,
        signaturePrivateKey: bundle.identity.signaturePrivateKey,
        keys,
        secrets,
        secretTree: new SecretTree(suite, secrets.encryptionSecret, tree.nLeaves),
        proposals: new Map(),
        updateKeys: new Map(),
        status: 'active',
      },
      options,
      psks,
    );
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
    options: GroupOptions & {
      ratchetTree?: Uint8Array;
      resync?: number;
      authenticatedData?: Uint8Array;
    } = {},
  ): { group: MlsGroup; commit: Uint8Array } {
    const m = parseMessage(groupInfoMessage);
    if (m.wireFormat !== 'group_info') throw new MlsError('invalid-value', 'not a GroupInfo');
    const gi = m.groupInfo;
    const pub = publicStateFromGroupInfo(
      suite,
      gi,
      options.ratchetTree,
      validationOptions(options),
    );
    const extPub = findExtension(gi.extensions, ExtensionType.externalPub);
    if (!extPub) throw new MlsError('invalid-group-info', 'GroupInfo has no external_pub');
    const externalPub = decodeExternalPub(extPub.data);
    const nh = suite.hash.size;
    const { enc: kemOutput, secret: initSecret } = suite.hpke.exportSender(
      externalPub,
      new Uint8Array(0),
      EXTERNAL_INIT_SECRET,
      nh,
    );
    const entries: ProposalEntry[] = [
      { proposal: { type: 'external_init', kemOutput }, sender: { type: 'new_member_commit' } },
    ];
    if (options.resync !== undefined) {
      entries.push({
        proposal: { type: 'remove', removed: options.resync },
        sender: { type: 'new_member_commit' },
      });
    }
    const draft = pub.tree.clone();
    const applied = applyProposalList(
      proposalContext(pub, validationOptions(options)),
      draft,
      entries,
      { type: 'new_member_commit' },
    );
    const myLeaf = draft.nextFreeLeaf();
    const encryption = suite.hpke.generateKeyPair();
    const placeholder = signLeafNode(
      suite,
      identity.signaturePrivateKey,
      {
        encryptionKey: encryption.publicKey,
        signatureKey: identity.signaturePublicKey,
        credential: identity.credential,
        capabilities: defaultCapabilities(suite, identity.credential),
        source: 'update',
        extensions: [],
      },
      gi.groupContext.groupId,
      myLeaf,
    );
    draft.addLeaf(placeholder);
    const created = createUpdatePath(
      suite,
      draft,
      myLeaf,
      gi.groupContext.groupId,
      placeholder,
      identity.signaturePrivateKey,
      new Set(),
      (th) =>
        serializeGroupContext(
          nextGroupContext(pub, applied.extensions, th, pub.context.confirmedTranscriptHash),
        ),
    );
    const commit: Commit = {
      proposals: entries.map((e) => ({ type: 'proposal', proposal: e.proposal })),
      path: created.updatePath,
    };
    const content: FramedContent = {
      groupId: gi.groupContext.groupId,
      epoch: gi.groupContext.epoch,
      sender: { type: 'new_member_commit' },
      authenticatedData: options.authenticatedData ?? new Uint8Array(0),
      contentType: 'commit',
      commit,
    };
    const psks = new PskStore();
    const { next, secrets, auth } = finishOwnCommit(
      pub,
      content,
      'public_message',
      identity.signaturePrivateKey,
      initSecret,
      created.commitSecret,
      applied.psks,
      psks,
      draft,
      applied.extensions,
    );
    const message = serializeMlsMessage({
      wireFormat: 'public_message',
      publicMessage: createPublicMessage(suite, content, auth, undefined, undefined),
    });
    next.tree.adopt();
    const group = new MlsGroup(
      {
        pub: next,
        myLeaf,
        signaturePrivateKey: identity.signaturePrivateKey,
        keys: created.keys,
        secrets,
        secretTree: new SecretTree(suite, secrets.encryptionSecret, next.tree.nLeaves),
        proposals: new Map(),
        updateKeys: new Map(),
        status: 'active',
      },
      options,
      psks,
    );
    return { group, commit: message };
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

  /** Proposes replacing this member's leaf with a fresh encryption key (§12.1.2). */
  proposeUpdate(authenticatedData?: Uint8Array): Uint8Array {
    const s = this.active();
    const old = s.pub.tree.leaf(s.myLeaf)!;
    const key = s.pub.suite.hpke.generateKeyPair();
    const leafNode = signLeafNode(
      s.pub.suite,
      s.signaturePrivateKey,
      {
        encryptionKey: key.publicKey,
        signatureKey: old.signatureKey,
        credential: old.credential,
        capabilities: old.capabilities,
        source: 'update',
        extensions: old.extensions,
      },
      s.pub.context.groupId,
      s.myLeaf,
    );
    const message = this.propose({ type: 'update', leafNode }, authenticatedData);
    s.updateKeys.set(hex(key.publicKey), key);
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
    const message = this.frame(s, wf, content, auth);
    s.proposals.set(refKey(ref), { proposal, sender, ref });
    return message;
  }

  private frame(
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
    const { suite } = s.pub;
    const me: Sender = { type: 'member', leafIndex: s.myLeaf };
    const entries: ProposalEntry[] = [];
    if (options.includePending ?? true) entries.push(...selectPending(s));
    for (const kp of options.add ?? [])
      entries.push({
        proposal: { type: 'add', keyPackage: outgoingKeyPackage(kp, this.options) },
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
      proposalContext(s.pub, this.validationOptions()),
      draft,
      entries,
      { type: 'member', leafIndex: s.myLeaf },
    );
    const newLeaves = new Set(applied.added.map((a) => a.leafIndex));
    const withPath = applied.pathRequired || (options.path ?? 'always') === 'always';
    const created = withPath
      ? createUpdatePath(
          suite,
          draft,
          s.myLeaf,
          s.pub.context.groupId,
          s.pub.tree.leaf(s.myLeaf)!,
          s.signaturePrivateKey,
          newLeaves,
          (th) =>
            serializeGroupContext(
              nextGroupContext(
                s.pub,
                applied.extensions,
                th,
                s.pub.context.confirmedTranscriptHash,
              ),
            ),
        )
      : undefined;
    const commit: Commit = {
      proposals: entries.map((e) =>
        e.ref
          ? { type: 'reference', reference: e.ref }
          : { type: 'proposal', proposal: e.proposal },
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
    const wf = this.options.handshakeWireFormat ?? 'public_message';
    const commitSecret = created?.commitSecret ?? new Uint8Array(suite.hash.size);
    const { next, secrets, auth } = finishOwnCommit(
      s.pub,
      content,
      wf,
      s.signaturePrivateKey,
      s.secrets.initSecret,
      commitSecret,
      applied.psks,
      this.psks,
      draft,
      applied.extensions,
    );
    const message = this.frame(s, wf, content, auth);
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
    this.pending = { message, state: nextState, result };
    let tree: Uint8Array | undefined;
    return {
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
    const m = parseMessage(bytes);
    const s = this.active();
    if (m.wireFormat === 'public_message') {
      const { content, auth } = m.publicMessage;
      if (this.pending && equalBytes(bytes, this.pending.message)) return this.mergePendingCommit();
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
      if (this.pending && equalBytes(bytes, this.pending.message)) return this.mergePendingCommit();
      if (!equalBytes(pm.groupId, s.pub.context.groupId))
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
    if (content.sender.type === 'member' && content.sender.leafIndex === s.myLeaf) {
      throw new MlsError('invalid-commit', 'own commit that is not the pending one');
    }
    const staged = stageCommit(s.pub, wf, content, auth, s.proposals, this.validationOptions());
    const result = this.applyCommit(s, staged, auth);
    this.pending = undefined;
    return result;
  }

  private applyCommit(
    s: MemberState,
    staged: StagedCommit,
    auth: FramedContentAuthData,
  ): CommitResult {
    const { suite } = s.pub;
    const { applied, next } = staged;
    const summary = {
      kind: 'commit' as const,
      epoch: next.context.epoch,
      own: false,
      committer: commitSender(staged),
      ...rosterChanges(applied, next.tree),
    };
    if (applied.removed.some((r) => r.leafIndex === s.myLeaf)) {
      this.state = { ...s, status: 'removed' };
      return { ...summary, removedSelf: true };
    }
    // our own Update, committed by someone else: install its private key
    const keys = new Map(s.keys);
    const myNewLeaf = next.tree.leaf(s.myLeaf)!;
    const updateKey = s.updateKeys.get(hex(myNewLeaf.encryptionKey));
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
    const psk = applied.psks.length ? pskSecret(suite, this.psks.resolve(applied.psks)) : undefined;
    const initSecret = applied.externalInit
      ? suite.hpke.exportReceiver(
          externalKeyPair(suite, s.secrets.externalSecret).privateKey,
          applied.externalInit,
          new Uint8Array(0),
          EXTERNAL_INIT_SECRET,
          suite.hash.size,
        )
      : s.secrets.initSecret;
    const secrets = deriveEpochSecrets(suite, initSecret, commitSecret, psk, next.contextBytes);
    const tag = confirmationTag(
      suite,
      secrets.confirmationKey,
      next.context.confirmedTranscriptHash,
    );
    if (!constantTimeEqual(tag, auth.confirmationTag!)) {
      throw new MlsError('invalid-confirmation-tag', 'commit confirmation tag does not verify');
    }
    this.adoptState({
      pub: next,
      myLeaf: s.myLeaf,
      signaturePrivateKey: s.signaturePrivateKey,
      keys: pruneKeys(next.tree, keys),
      secrets,
      secretTree: new SecretTree(suite, secrets.encryptionSecret, next.tree.nLeaves),
      proposals: new Map(),
      updateKeys: new Map(),
      status: applied.reinit ? 'reinit' : 'active',
    });
    return { ...summary, removedSelf: false };
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
    return this.frame(s, 'private_message', content, auth);
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

/** A KeyPackage this member puts in an Add by value, checked as §7.3 requires of senders. */
function outgoingKeyPackage(kp: KeyPackage | Uint8Array, options: GroupOptions): KeyPackage {
  const keyPackage = asKeyPackage(kp);
  checkOutgoingKeyPackage(keyPackage, options, options.now?.() ?? unixNow());
  return keyPackage;
}

function parseMessage(bytes: Uint8Array): MLSMessage {
  return parseMlsMessage(bytes);
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

/** The leaf in a joined tree identical to our key package's leaf node. */
function findOwnLeaf(tree: RatchetTree, bundle: KeyPackageBundle): number {
  const x = tree.findEncryptionKey(bundle.keyPackage.leafNode.encryptionKey);
  const leaf = x !== undefined && x % 2 === 0 ? tree.leaf(x / 2) : undefined;
  if (!leaf || !equalBytes(leaf.signature, bundle.keyPackage.leafNode.signature)) {
    throw new MlsError('invalid-welcome', 'our key package leaf is not in the tree');
  }
  return x! / 2;
}

/**
 * The shared tail of creating a commit (member or external): sign, transcript
 * hashes, key schedule, confirmation tag (§12.4.1).
 */
function finishOwnCommit(
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

function asKeyPackage(kp: KeyPackage | Uint8Array): KeyPackage {
  return kp instanceof Uint8Array ? keyPackageFromMessage(kp) : kp;
}
