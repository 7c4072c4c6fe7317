// Joining from a Welcome (RFC 9420 §12.4.3.1): open the group secrets, decrypt
// and verify the GroupInfo, validate the whole tree, find our leaf, derive the
// epoch secrets and check the confirmation tag.
import { decode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { CryptoError } from '../crypto/errors.js';
import { bytesEqual, constantTimeEqual } from './bytes.js';
import { MlsError } from './errors.js';
import { decodeGroupInfo, type GroupInfo } from './group-info.js';
import type { GroupOptions, MemberState } from './group-state.js';
import type { KeyPackageBundle } from './identity.js';
import { epochSecretsFromJoiner, welcomeKeyNonce } from './key-schedule.js';
import { parseMlsMessage } from './mls-message.js';
import { PskStore, pskSecret } from './psk.js';
import { publicStateFromGroupInfo, validationOptions } from './public-group.js';
import type { RatchetTree } from './ratchet-tree.js';
import { SecretTree } from './secret-tree.js';
import { confirmationTag } from './transcript-hash.js';
import { leafToNode } from './tree-math.js';
import { keysFromPathSecret, type NodeKey } from './treekem.js';
import { openGroupSecrets } from './welcome.js';

export interface JoinFromWelcomeOptions extends GroupOptions {
  /** The ratchet tree when the Welcome's GroupInfo carries none (e.g. served by the DS). */
  readonly ratchetTree?: Uint8Array;
  /** External PSKs the Welcome may need, and where resumption PSKs are kept afterwards. */
  readonly psks?: PskStore;
}

/** The member state a Welcome gives `bundle`'s owner, and its PSK store. */
export function joinFromWelcome(
  welcomeMessage: Uint8Array,
  bundle: KeyPackageBundle,
  suite: CipherSuite,
  options: JoinFromWelcomeOptions,
): { state: MemberState; psks: PskStore } {
  const m = parseMlsMessage(welcomeMessage);
  if (m.wireFormat !== 'welcome') throw new MlsError('invalid-value', 'not a Welcome');
  const welcome = m.welcome;
  if (welcome.cipherSuite !== suite.id || bundle.keyPackage.cipherSuite !== suite.id) {
    throw new MlsError('invalid-welcome', 'cipher suite mismatch');
  }
  const gs = openGroupSecrets(suite, welcome, bundle.keyPackage, bundle.initPrivateKey);
  const psks = options.psks ?? new PskStore();
  const special = gs.psks.filter((p) => p.type === 'resumption' && p.usage !== 1);
  if (special.length > 1) throw new MlsError('invalid-welcome', 'more than one reinit/branch PSK');
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
  const pub = publicStateFromGroupInfo(suite, gi, options.ratchetTree, validationOptions(options));
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
  const state: MemberState = {
    pub,
    myLeaf,
    signaturePrivateKey: bundle.identity.signaturePrivateKey,
    keys,
    secrets,
    secretTree: new SecretTree(suite, secrets.encryptionSecret, tree.nLeaves),
    proposals: new Map(),
    updateKeys: new Map(),
    status: 'active',
  };
  return { state, psks };
}

/** The leaf in a joined tree identical to our key package's leaf node. */
function findOwnLeaf(tree: RatchetTree, bundle: KeyPackageBundle): number {
  const x = tree.findEncryptionKey(bundle.keyPackage.leafNode.encryptionKey);
  const leaf = x !== undefined && x % 2 === 0 ? tree.leaf(x / 2) : undefined;
  if (!leaf || !bytesEqual(leaf.signature, bundle.keyPackage.leafNode.signature)) {
    throw new MlsError('invalid-welcome', 'our key package leaf is not in the tree');
  }
  return x! / 2;
}
