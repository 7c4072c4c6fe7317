// Welcome, GroupSecrets and EncryptedGroupSecrets (RFC 9420 §12.4.3).
import type { Reader, Writer } from '../codec/index.js';
import { decodePreSharedKeyId, encodePreSharedKeyId, type PreSharedKeyId } from './psk.js';
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
