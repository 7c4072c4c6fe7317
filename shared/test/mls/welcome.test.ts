// welcome.json: decrypt the Welcome's secrets and GroupInfo, verify the
// GroupInfo signature and its confirmation tag.
import { afterAll, describe, expect, test } from 'vitest';
import { decode } from '../../src/codec/index.js';
import { serializeGroupContext } from '../../src/mls/group-context.js';
import { decodeGroupInfo, verifyGroupInfoSignature } from '../../src/mls/group-info.js';
import { epochSecretsFromJoiner, welcomeKeyNonce } from '../../src/mls/key-schedule.js';
import { parseMlsMessage } from '../../src/mls/mls-message.js';
import { confirmationTag } from '../../src/mls/transcript-hash.js';
import { openGroupSecrets } from '../../src/mls/welcome.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface WelcomeVector {
  cipher_suite: number;
  init_priv: string;
  signer_pub: string;
  key_package: string;
  welcome: string;
}

describe('welcome.json', () => {
  const tally = new VectorTally('welcome.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<WelcomeVector[]>('mls/welcome.json');
  test.each(vectors)('suite $cipher_suite', (v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const kp = parseMlsMessage(hex(v.key_package));
    const w = parseMlsMessage(hex(v.welcome));
    if (kp.wireFormat !== 'key_package' || w.wireFormat !== 'welcome')
      throw new Error('wrong message types');
    const gs = openGroupSecrets(suite, w.welcome, kp.keyPackage, hex(v.init_priv));
    expect(gs.psks).toEqual([]);
    const member = suite.extract(gs.joinerSecret, new Uint8Array(suite.hash.size));
    const { key, nonce } = welcomeKeyNonce(suite, suite.deriveSecret(member, 'welcome'));
    const gi = decode(
      decodeGroupInfo,
      suite.aead.open(key, nonce, new Uint8Array(0), w.welcome.encryptedGroupInfo),
    );
    expect(verifyGroupInfoSignature(suite, gi, hex(v.signer_pub))).toBe(true);
    const secrets = epochSecretsFromJoiner(
      suite,
      gs.joinerSecret,
      undefined,
      serializeGroupContext(gi.groupContext),
    );
    const tag = confirmationTag(
      suite,
      secrets.confirmationKey,
      gi.groupContext.confirmedTranscriptHash,
    );
    expect(toHex(tag)).toBe(toHex(gi.confirmationTag));
    // a different init key cannot open it
    expect(() =>
      openGroupSecrets(suite, w.welcome, kp.keyPackage, suite.hpke.generateKeyPair().privateKey),
    ).toThrow(expect.objectContaining({ code: 'decryption-failed' }));
    tally.pass(v.cipher_suite);
  });
});
