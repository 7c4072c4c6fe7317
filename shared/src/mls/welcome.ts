// Welcome, GroupSecrets and EncryptedGroupSecrets (RFC 9420 §12.4.3.1): their
// encoding, building a Welcome for added members, and opening one's secrets.
import { decode, encode, type Reader, type Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { CryptoError } from '../crypto/errors.js';
import { bytesEqual } from './bytes.js';
import { MlsError } from './errors.js';
import { encodeGroupInfo, type GroupInfo } from './group-info.js';
import { type KeyPackage, keyPackageRef } from './key-package.js';
import { welcomeKeyNonce } from './key-schedule.js';
import { decodePreSharedKeyId, encodePreSharedKeyId, type PreSharedKeyId } from './psk.js';
import { commonAncestor, leafToNode } from './tree-math.js';
import { decodeHpkeCiphertext, encodeHpkeCiphertext, type HpkeCiphertext } from './update-path.js';

export interface GroupSecrets {
  readonly joinerSecret: Uint8Array;
  readonly pathSecret?: Uint8Array;
  readonly psks: readonly PreSharedKeyId[];
}

export interface EncryptedGroupSecrets {
  /** KeyPackageRef of the joiner's key package. */
  readonly newMember: Uint8Array;
  readonly encryptedGroupSecrets: HpkeCiphertext;
}

export interface Welcome {
  readonly cipherSuite: number;
  readonly secrets: readonly EncryptedGroupSecrets[];
  readonly encryptedGroupInfo: Uint8Array;
}

export function encodeGroupSecrets(w: Writer, gs: GroupSecrets): void {
  w.opaque(gs.joinerSecret);
  w.optional(gs.pathSecret, (w2, s) => w2.opaque(s));
  w.vector(gs.psks, encodePreSharedKeyId);
}

export function decodeGroupSecrets(r: Reader): GroupSecrets {
  const joinerSecret = r.opaque();
  const pathSecret = r.optional((r2) => r2.opaque());
  const psks = r.vector(decodePreSharedKeyId);
  return pathSecret ? { joinerSecret, pathSecret, psks } : { joinerSecret, psks };
}

export function encodeWelcome(w: Writer, wm: Welcome): void {
  w.u16(wm.cipherSuite);
  w.vector(wm.secrets, (w2, s) => {
    w2.opaque(s.newMember);
    encodeHpkeCiphertext(w2, s.encryptedGroupSecrets);
  });
  w.opaque(wm.encryptedGroupInfo);
}

export function decodeWelcome(r: Reader): Welcome {
  return {
    cipherSuite: r.u16(),
    secrets: r.vector((r2) => ({
      newMember: r2.opaque(),
      encryptedGroupSecrets: decodeHpkeCiphertext(r2),
    })),
    encryptedGroupInfo: r.opaque(),
  };
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
  const entry = welcome.secrets.find((s) => bytesEqual(s.newMember, ref));
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
