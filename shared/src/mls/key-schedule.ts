// The key schedule (RFC 9420 §8): from the previous init secret, a commit
// secret, a PSK secret and the new GroupContext to every secret of an epoch;
// plus the exporter (§8.5), welcome key (§12.4.3.1), external key pair (§8)
// and the ExternalInit export (§8.3).
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';

/** The secrets of one epoch (the epoch secret itself is consumed and not kept). */
export interface EpochSecrets {
  readonly joinerSecret: Uint8Array;
  readonly welcomeSecret: Uint8Array;
  readonly senderDataSecret: Uint8Array;
  readonly encryptionSecret: Uint8Array;
  readonly exporterSecret: Uint8Array;
  readonly externalSecret: Uint8Array;
  readonly confirmationKey: Uint8Array;
  readonly membershipKey: Uint8Array;
  readonly resumptionPsk: Uint8Array;
  readonly epochAuthenticator: Uint8Array;
  /** init_secret for the next epoch. */
  readonly initSecret: Uint8Array;
}

/** joiner_secret = ExpandWithLabel(Extract(init_secret, commit_secret), "joiner", GroupContext, Nh). */
export function joinerSecret(
  suite: CipherSuite,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  groupContext: Uint8Array,
): Uint8Array {
  const prk = suite.extract(initSecret, commitSecret);
  return suite.expandWithLabel(prk, 'joiner', groupContext, suite.hash.size);
}

/** Every epoch secret from the joiner secret (what a joiner from a Welcome has). */
export function epochSecretsFromJoiner(
  suite: CipherSuite,
  joiner: Uint8Array,
  pskSecret: Uint8Array | undefined,
  groupContext: Uint8Array,
): EpochSecrets {
  const nh = suite.hash.size;
  const member = suite.extract(joiner, pskSecret ?? new Uint8Array(nh));
  const epochSecret = suite.expandWithLabel(member, 'epoch', groupContext, nh);
  const d = (label: string) => suite.deriveSecret(epochSecret, label);
  return {
    joinerSecret: joiner,
    welcomeSecret: suite.deriveSecret(member, 'welcome'),
    senderDataSecret: d('sender data'),
    encryptionSecret: d('encryption'),
    exporterSecret: d('exporter'),
    externalSecret: d('external'),
    confirmationKey: d('confirm'),
    membershipKey: d('membership'),
    resumptionPsk: d('resumption'),
    epochAuthenticator: d('authentication'),
    initSecret: d('init'),
  };
}

/** Every epoch secret from the previous init secret and this epoch's inputs. */
export function deriveEpochSecrets(
  suite: CipherSuite,
  initSecret: Uint8Array,
  commitSecret: Uint8Array,
  pskSecret: Uint8Array | undefined,
  groupContext: Uint8Array,
): EpochSecrets {
  const joiner = joinerSecret(suite, initSecret, commitSecret, groupContext);
  return epochSecretsFromJoiner(suite, joiner, pskSecret, groupContext);
}

/** MLS-Exporter(Label, Context, Length) (§8.5). */
export function mlsExporter(
  suite: CipherSuite,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const secret = suite.deriveSecret(exporterSecret, label);
  return suite.expandWithLabel(secret, 'exported', suite.hash.digest(context), length);
}

/** The key and nonce that encrypt a Welcome's GroupInfo (§12.4.3.1). */
export function welcomeKeyNonce(
  suite: CipherSuite,
  welcomeSecret: Uint8Array,
): { key: Uint8Array; nonce: Uint8Array } {
  const empty = new Uint8Array(0);
  return {
    key: suite.expandWithLabel(welcomeSecret, 'key', empty, suite.aead.keySize),
    nonce: suite.expandWithLabel(welcomeSecret, 'nonce', empty, suite.aead.nonceSize),
  };
}

/** external_priv, external_pub = KEM.DeriveKeyPair(external_secret) (§8). */
export function externalKeyPair(
  suite: CipherSuite,
  externalSecret: Uint8Array,
): { privateKey: Uint8Array; publicKey: Uint8Array } {
  return suite.hpke.deriveKeyPair(externalSecret);
}

/** Label of the HPKE export that gives an external commit's init secret (§8.3). */
export const EXTERNAL_INIT_SECRET = utf8ToBytes('MLS 1.0 external init secret');

/** The joiner's side of ExternalInit (§8.3): kem_output to send and the init secret. */
export function externalInitSender(
  suite: CipherSuite,
  externalPub: Uint8Array,
): { kemOutput: Uint8Array; initSecret: Uint8Array } {
  const { enc, secret } = suite.hpke.exportSender(
    externalPub,
    new Uint8Array(0),
    EXTERNAL_INIT_SECRET,
    suite.hash.size,
  );
  return { kemOutput: enc, initSecret: secret };
}

/** The members' side of ExternalInit (§8.3): the init secret from kem_output. */
export function externalInitReceiver(
  suite: CipherSuite,
  externalSecret: Uint8Array,
  kemOutput: Uint8Array,
): Uint8Array {
  return suite.hpke.exportReceiver(
    externalKeyPair(suite, externalSecret).privateKey,
    kemOutput,
    new Uint8Array(0),
    EXTERNAL_INIT_SECRET,
    suite.hash.size,
  );
}
