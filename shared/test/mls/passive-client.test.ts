// passive-client-welcome / -handling-commit / -random: join from a Welcome,
// then follow the group through every epoch, matching epoch authenticators.
import { afterAll, describe, expect, test } from 'vitest';
import { MlsGroup } from '../../src/mls/group.js';
import type { KeyPackageBundle } from '../../src/mls/identity.js';
import { parseMlsMessage } from '../../src/mls/mls-message.js';
import { PskStore } from '../../src/mls/psk.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface PassiveVector {
  cipher_suite: number;
  external_psks: { psk_id: string; psk: string }[];
  key_package: string;
  signature_priv: string;
  encryption_priv: string;
  init_priv: string;
  welcome: string;
  ratchet_tree: string | null;
  initial_epoch_authenticator: string;
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[];
}

function run(v: PassiveVector): boolean {
  const suite = suiteOrUndefined(v.cipher_suite);
  if (!suite) return false;
  const m = parseMlsMessage(hex(v.key_package));
  if (m.wireFormat !== 'key_package') throw new Error('key_package is not a KeyPackage');
  const kp = m.keyPackage;
  const sigPriv = hex(v.signature_priv);
  const initPriv = hex(v.init_priv);
  const encPriv = hex(v.encryption_priv);
  // the private keys belong to the key package
  expect(toHex(suite.signature.publicKey(sigPriv))).toBe(toHex(kp.leafNode.signatureKey));
  expect(toHex(suite.hpke.publicKey(initPriv))).toBe(toHex(kp.initKey));
  expect(toHex(suite.hpke.publicKey(encPriv))).toBe(toHex(kp.leafNode.encryptionKey));
  const bundle: KeyPackageBundle = {
    keyPackage: kp,
    message: hex(v.key_package),
    initPrivateKey: initPriv,
    encryptionPrivateKey: encPriv,
    identity: {
      credential: kp.leafNode.credential,
      signaturePrivateKey: sigPriv,
      signaturePublicKey: kp.leafNode.signatureKey,
    },
  };
  const psks = new PskStore();
  for (const p of v.external_psks) psks.addExternal(hex(p.psk_id), hex(p.psk));
  const group = MlsGroup.joinFromWelcome(hex(v.welcome), bundle, suite, {
    psks,
    ...(v.ratchet_tree ? { ratchetTree: hex(v.ratchet_tree) } : {}),
  });
  expect(toHex(group.epochAuthenticator)).toBe(v.initial_epoch_authenticator);
  v.epochs.forEach((e, i) => {
    for (const p of e.proposals) expect(group.process(hex(p)).kind).toBe('proposal');
    const r = group.process(hex(e.commit));
    expect(r.kind, `epoch ${i}`).toBe('commit');
    expect(toHex(group.epochAuthenticator), `epoch ${i}`).toBe(e.epoch_authenticator);
  });
  return true;
}

for (const file of [
  'passive-client-welcome.json',
  'passive-client-handling-commit.json',
  'passive-client-random.json',
]) {
  describe(file, () => {
    const tally = new VectorTally(file);
    afterAll(() => tally.report());
    const vectors = loadVectors<PassiveVector[]>(`mls/${file}`);
    test.each(vectors.map((v, i) => [i, v] as const))(
      'vector %i',
      (_i, v) => {
        if (run(v)) tally.pass(v.cipher_suite);
        else tally.skip(v.cipher_suite);
      },
      120_000,
    );
  });
}
