// Creating a group (RFC 9420 §11): a one-member tree at epoch 0 with a random
// epoch secret.
import type { CipherSuite } from '../crypto/cipher-suite.js';
import type { Extension } from './extensions.js';
import { groupContext, serializeGroupContext } from './group-context.js';
import type { GroupOptions, MemberState } from './group-state.js';
import { type ClientIdentity, defaultCapabilities } from './identity.js';
import { deriveEpochSecrets } from './key-schedule.js';
import { signLeafNode } from './leaf-node.js';
import type { PublicGroupState } from './public-group.js';
import { RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import { confirmationTag, interimTranscriptHash } from './transcript-hash.js';

export interface CreateGroupOptions extends GroupOptions {
  readonly suite: CipherSuite;
  readonly identity: ClientIdentity;
  /** Defaults to Nh random bytes. */
  readonly groupId?: Uint8Array;
  /** GroupContext extensions (e.g. external_senders, required_capabilities). */
  readonly extensions?: readonly Extension[];
}

/** The state of a new one-member group at epoch 0 (§11). */
export function createGroupState(options: CreateGroupOptions): MemberState {
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
  return {
    pub,
    myLeaf: 0,
    signaturePrivateKey: identity.signaturePrivateKey,
    keys: new Map([[0, encryption]]),
    secrets,
    secretTree: new SecretTree(suite, secrets.encryptionSecret, tree.nLeaves),
    proposals: new Map(),
    updateKeys: new Map(),
    status: 'active',
  };
}
