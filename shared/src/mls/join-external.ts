// Joining by external commit (RFC 9420 §12.4.3.2): from a GroupInfo with
// external_pub, the joiner builds an ExternalInit (and, to resync, a Remove of
// its own earlier leaf), adds itself with an UpdatePath and commits.
import type { CipherSuite } from '../crypto/cipher-suite.js';
import type { Commit } from './commit.js';
import { finishOwnCommit } from './commit-create.js';
import { MlsError } from './errors.js';
import { decodeExternalPub, ExtensionType, findExtension } from './extensions.js';
import type { FramedContent } from './framing.js';
import { serializeGroupContext } from './group-context.js';
import type { GroupOptions, MemberState } from './group-state.js';
import { type ClientIdentity, defaultCapabilities } from './identity.js';
import { externalInitSender } from './key-schedule.js';
import { signLeafNode } from './leaf-node.js';
import { isResyncSuccessor } from './leaf-validation.js';
import { parseMlsMessage, serializeMlsMessage } from './mls-message.js';
import { applyProposalList, type ProposalEntry } from './proposal-list.js';
import { PskStore } from './psk.js';
import {
  checkLeafLimit,
  nextGroupContext,
  proposalContext,
  publicStateFromGroupInfo,
  validationOptions,
} from './public-group.js';
import { createPublicMessage } from './public-message.js';
import { SecretTree } from './secret-tree.js';
import { createUpdatePath } from './treekem.js';

export interface ExternalJoinOptions extends GroupOptions {
  /** The ratchet tree when the GroupInfo carries none. */
  readonly ratchetTree?: Uint8Array;
  /**
   * Leaf index of this client's own earlier leaf, removed by the commit (resync).
   * Members accept it only if their CredentialValidator takes the new credential
   * as a successor of the removed leaf's, or, without one, if both are identical.
   */
  readonly resync?: number;
  readonly authenticatedData?: Uint8Array;
}

/** The joiner's state in the new epoch and the external commit to send (an MLSMessage). */
export function joinByExternalCommit(
  groupInfoMessage: Uint8Array,
  identity: ClientIdentity,
  suite: CipherSuite,
  options: ExternalJoinOptions,
): { state: MemberState; psks: PskStore; commit: Uint8Array } {
  const m = parseMlsMessage(groupInfoMessage);
  if (m.wireFormat !== 'group_info') throw new MlsError('invalid-value', 'not a GroupInfo');
  const gi = m.groupInfo;
  const pub = publicStateFromGroupInfo(suite, gi, options.ratchetTree, validationOptions(options));
  const extPub = findExtension(gi.extensions, ExtensionType.externalPub);
  if (!extPub) throw new MlsError('invalid-group-info', 'GroupInfo has no external_pub');
  const { kemOutput, initSecret } = externalInitSender(suite, decodeExternalPub(extPub.data));
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
  const resynced = applied.removed[0];
  if (
    resynced &&
    !isResyncSuccessor(
      resynced.leaf,
      { credential: identity.credential, signatureKey: identity.signaturePublicKey },
      options.validateCredential,
    )
  ) {
    throw new MlsError(
      'invalid-commit',
      `leaf ${resynced.leafIndex} is not this client's to resync`,
    );
  }
  const myLeaf = draft.nextFreeLeaf();
  checkLeafLimit(myLeaf, validationOptions(options).maxLeaves);
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
  const state: MemberState = {
    pub: next,
    myLeaf,
    signaturePrivateKey: identity.signaturePrivateKey,
    keys: created.keys,
    secrets,
    secretTree: new SecretTree(suite, secrets.encryptionSecret, next.tree.nLeaves),
    proposals: new Map(),
    updateKeys: new Map(),
    status: 'active',
  };
  return { state, psks, commit: message };
}
