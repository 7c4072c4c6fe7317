// A member's state in one epoch, and what is built from it: GroupInfo
// (§12.4.3), Welcome messages (§12.4.3.1) and PSK resolution (§8.4).
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { decode, encode } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { CryptoError } from '../crypto/errors.js';
import type { Credential } from './credential.js';
import { MlsError } from './errors.js';
import { type Extension, ExtensionType, encodeExternalPub } from './extensions.js';
import { encodeGroupInfo, type GroupInfo, signGroupInfo } from './group-info.js';
import { type KeyPackage, keyPackageRef } from './key-package.js';
import { type EpochSecrets, externalKeyPair, welcomeKeyNonce } from './key-schedule.js';
import type { AppliedProposals, ProposalEntry } from './proposal-list.js';
import { type PreSharedKeyId, PskType, type ResolvedPsk } from './psk.js';
import type { PublicGroupState } from './public-group.js';
import { equalBytes, type RatchetTree } from './ratchet-tree.js';
import type { SecretTree } from './secret-tree.js';
import { commonAncestor, leafToNode } from './tree-math.js';
import type { NodeKey } from './treekem.js';
import {
  decodeGroupSecrets,
  encodeGroupSecrets,
  type GroupSecrets,
  type Welcome,
} from './welcome.js';

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
    if (equalBytes(pk, k.publicKey)) out.set(x, k);
  }
  return out;
}

/** External and resumption PSKs a member can inject (§8.4). */
export class PskStore {
  private readonly external = new Map<string, Uint8Array>();
  private readonly resumption = new Map<string, Uint8Array>();

  constructor(private readonly maxResumption = 32) {}

  /** Makes an external PSK available by its psk_id. */
  addExternal(pskId: Uint8Array, psk: Uint8Array): void {
    this.external.set(hex(pskId), psk);
  }

  /** Remembers an epoch's resumption_psk (the oldest are forgotten). */
  addResumption(groupId: Uint8Array, epoch: bigint, psk: Uint8Array): void {
    this.resumption.set(`${hex(groupId)}:${epoch}`, psk);
    while (this.resumption.size > this.maxResumption) {
      this.resumption.delete(this.resumption.keys().next().value as string);
    }
  }

  /** The PSK values for ids, in order; MlsError when one is not available. */
  resolve(ids: readonly PreSharedKeyId[]): ResolvedPsk[] {
    return ids.map((id) => {
      const psk =
        id.type === 'external'
          ? this.external.get(hex(id.pskId))
          : this.resumption.get(`${hex(id.groupId)}:${id.epoch}`);
      if (!psk)
        throw new MlsError(
          'invalid-commit',
          `PSK not available (${id.type === 'external' ? 'external' : 'resumption'})`,
        );
      return { id, psk };
    });
  }

  entries(): { external: [string, Uint8Array][]; resumption: [string, Uint8Array][] } {
    return { external: [...this.external], resumption: [...this.resumption] };
  }

  static fromEntries(e: ReturnType<PskStore['entries']>): PskStore {
    const s = new PskStore();
    for (const [k, v] of e.external) s.external.set(k, v);
    for (const [k, v] of e.resumption) s.resumption.set(k, v);
    return s;
  }
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The GroupInfo of a member's current epoch, signed by it (§12.4.3). */
export function buildGroupInfo(
  state: MemberState,
  options: {
    withExternalPub?: boolean;
    withRatchetTree?: boolean;
    extensions?: readonly Extension[];
  } = {},
): GroupInfo {
  const { suite } = state.pub;
  const extensions: Extension[] = [...(options.extensions ?? [])];
  if (options.withExternalPub ?? true) {
    extensions.push(
      encodeExternalPub(externalKeyPair(suite, state.secrets.externalSecret).publicKey),
    );
  }
  if (options.withRatchetTree) {
    extensions.push({ type: ExtensionType.ratchetTree, data: state.pub.tree.encode() });
  }
  return signGroupInfo(suite, state.signaturePrivateKey, {
    groupContext: state.pub.context,
    extensions,
    confirmationTag: state.pub.confirmationTag,
    signer: state.myLeaf,
  });
}

/** A new member for a Welcome: its key package, leaf, and the path secret it gets. */
export interface WelcomeTarget {
  readonly keyPackage: KeyPackage;
  readonly leafIndex: number;
}

/**
 * Builds the Welcome for the members a commit added (§12.4.3.1): the GroupInfo
 * encrypted under the welcome key, and per member the joiner secret (plus the
 * path secret of its lowest common ancestor with the committer) under its init key.
 */
export function buildWelcome(
  suite: CipherSuite,
  groupInfo: GroupInfo,
  welcomeSecret: Uint8Array,
  joinerSecret: Uint8Array,
  committerLeaf: number,
  pathSecrets: ReadonlyMap<number, Uint8Array> | undefined,
  psks: readonly PreSharedKeyId[],
  targets: readonly WelcomeTarget[],
): Welcome {
  const { key, nonce } = welcomeKeyNonce(suite, welcomeSecret);
  const encryptedGroupInfo = suite.aead.seal(
    key,
    nonce,
    new Uint8Array(0),
    encode(encodeGroupInfo, groupInfo),
  );
  const secrets = targets.map((t) => {
    const pathSecret = pathSecrets?.get(
      commonAncestor(leafToNode(t.leafIndex), leafToNode(committerLeaf)),
    );
    const gs: GroupSecrets = pathSecret
      ? { joinerSecret, pathSecret, psks }
      : { joinerSecret, psks };
    const ct = suite.encryptWithLabel(
      t.keyPackage.initKey,
      'Welcome',
      encryptedGroupInfo,
      encode(encodeGroupSecrets, gs),
    );
    return { newMember: keyPackageRef(suite, t.keyPackage), encryptedGroupSecrets: ct };
  });
  return { cipherSuite: suite.id, secrets, encryptedGroupInfo };
}

/** Decrypts the GroupSecrets meant for a key package from a Welcome. */
export function openGroupSecrets(
  suite: CipherSuite,
  welcome: Welcome,
  keyPackage: KeyPackage,
  initPrivateKey: Uint8Array,
): GroupSecrets {
  const ref = keyPackageRef(suite, keyPackage);
  const entry = welcome.secrets.find((s) => equalBytes(s.newMember, ref));
  if (!entry) throw new MlsError('invalid-welcome', 'the Welcome is not for this key package');
  let plain: Uint8Array;
  try {
    plain = suite.decryptWithLabel(
      initPrivateKey,
      'Welcome',
      welcome.encryptedGroupInfo,
      entry.encryptedGroupSecrets.kemOutput,
      entry.encryptedGroupSecrets.ciphertext,
    );
  } catch (e) {
    if (e instanceof CryptoError)
      throw new MlsError('decryption-failed', 'group secrets did not decrypt');
    throw e;
  }
  try {
    return decode(decodeGroupSecrets, plain);
  } catch {
    throw new MlsError('invalid-welcome', 'malformed group secrets');
  }
}

/** Label for the HPKE export of an external commit's init secret (§8.3). */
export const EXTERNAL_INIT_SECRET = utf8ToBytes('MLS 1.0 external init secret');

export { PskType };
