// An MLS cipher suite (RFC 9420 §5.1) and the labeled operations built on it.
import type { Aead, DhGroup, Hash, SignatureScheme } from './primitives.js';

/** HPKE base-mode single-shot operations (RFC 9180 §5.1.1, §6.1) for one suite. */
export interface Hpke {
  /** RFC 9180 KEM, KDF and AEAD ids. */
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  /** Nenc, Npk, Nsk. */
  readonly encSize: number;
  readonly publicKeySize: number;
  readonly privateKeySize: number;
  generateKeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array };
  /** DeriveKeyPair(ikm) of RFC 9180 §7.1.3. */
  deriveKeyPair(ikm: Uint8Array): { privateKey: Uint8Array; publicKey: Uint8Array };
  publicKey(privateKey: Uint8Array): Uint8Array;
  seal(
    publicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): { enc: Uint8Array; ciphertext: Uint8Array };
  /** Throws CryptoError on a bad enc, key or ciphertext. */
  open(
    privateKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array;
  /**
   * SetupBaseS(pk, info) then Export(exporterContext, length) (RFC 9180 §5.3);
   * MLS uses it for external init (RFC 9420 §8.3).
   */
  exportSender(
    publicKey: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): { enc: Uint8Array; secret: Uint8Array };
  /** SetupBaseR(enc, sk, info) then Export(exporterContext, length). */
  exportReceiver(
    privateKey: Uint8Array,
    enc: Uint8Array,
    info: Uint8Array,
    exporterContext: Uint8Array,
    length: number,
  ): Uint8Array;
}

/** An MLS cipher suite with the labeled functions of RFC 9420 §5. */
export interface CipherSuite {
  /** IANA "MLS Cipher Suites" value, e.g. 1. */
  readonly id: number;
  /** e.g. 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519'. */
  readonly name: string;
  readonly hash: Hash;
  readonly aead: Aead;
  readonly dh: DhGroup;
  readonly hpke: Hpke;
  readonly signature: SignatureScheme;

  randomBytes(n: number): Uint8Array;

  /** HKDF-Extract (RFC 5869). */
  extract(salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869). */
  expand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** ExpandWithLabel(Secret, Label, Context, Length) with the "MLS 1.0 " prefix (§8). */
  expandWithLabel(
    secret: Uint8Array,
    label: string,
    context: Uint8Array,
    length: number,
  ): Uint8Array;
  /** DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh) (§8). */
  deriveSecret(secret: Uint8Array, label: string): Uint8Array;
  /** DeriveTreeSecret(Secret, Label, Generation, Length) (§9). */
  deriveTreeSecret(
    secret: Uint8Array,
    label: string,
    generation: number,
    length: number,
  ): Uint8Array;
  /** RefHash(Label, Value) (§5.2). */
  refHash(label: string, value: Uint8Array): Uint8Array;
  /** KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage) (§5.2). */
  keyPackageRef(keyPackage: Uint8Array): Uint8Array;
  /** ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent) (§5.2). */
  proposalRef(authenticatedContent: Uint8Array): Uint8Array;
  /** SignWithLabel(SignatureKey, Label, Content) (§5.1.2). */
  signWithLabel(privateKey: Uint8Array, label: string, content: Uint8Array): Uint8Array;
  /** VerifyWithLabel; false on any mismatch or malformed input. */
  verifyWithLabel(
    publicKey: Uint8Array,
    label: string,
    content: Uint8Array,
    signature: Uint8Array,
  ): boolean;
  /** EncryptWithLabel(PublicKey, Label, Context, Plaintext) (§5.1.3). */
  encryptWithLabel(
    publicKey: Uint8Array,
    label: string,
    context: Uint8Array,
    plaintext: Uint8Array,
  ): { kemOutput: Uint8Array; ciphertext: Uint8Array };
  /** DecryptWithLabel; throws CryptoError on failure. */
  decryptWithLabel(
    privateKey: Uint8Array,
    label: string,
    context: Uint8Array,
    kemOutput: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array;
}
