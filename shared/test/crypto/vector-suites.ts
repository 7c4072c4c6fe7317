// Runs the MLS interop vectors that exercise the cipher suites (crypto-basics.json,
// and key-schedule.json's external_pub) against one CryptoProvider. Shared by the
// noble tests here and the node:crypto provider tests in server/test/crypto.
import { afterAll, describe, expect, test } from 'vitest';
import {
  type CryptoProvider,
  getCipherSuite,
  supportedCipherSuites,
} from '../../src/crypto/index.js';
import { hex, loadVectors, VectorTally } from '../support/vectors.js';

interface CryptoBasics {
  cipher_suite: number;
  ref_hash: { label: string; value: string; out: string };
  expand_with_label: {
    secret: string;
    label: string;
    context: string;
    length: number;
    out: string;
  };
  derive_secret: { secret: string; label: string; out: string };
  derive_tree_secret: {
    secret: string;
    label: string;
    generation: number;
    length: number;
    out: string;
  };
  sign_with_label: {
    priv: string;
    pub: string;
    content: string;
    label: string;
    signature: string;
  };
  encrypt_with_label: {
    priv: string;
    pub: string;
    label: string;
    context: string;
    plaintext: string;
    kem_output: string;
    ciphertext: string;
  };
}

interface KeySchedule {
  cipher_suite: number;
  epochs: { external_secret: string; external_pub: string }[];
}

/** The checks made per suite of crypto-basics.json. */
const BASICS_CHECKS = [
  'ref_hash',
  'expand_with_label',
  'derive_secret',
  'derive_tree_secret',
  'sign_with_label: verify the vector signature',
  'sign_with_label: verify our signature',
  'encrypt_with_label: decrypt the vector ciphertext',
  'encrypt_with_label: decrypt our ciphertext',
] as const;

function skipLoudly(tally: VectorTally, suite: number, cases: number): void {
  console.warn(`[vectors] ${tally.file}: suite ${suite} not supported, skipping ${cases} cases`);
  for (let i = 0; i < cases; i++) tally.skip(suite);
}

/** crypto-basics.json, every field of every suite, with `provider`. */
export function describeCryptoBasics(provider: CryptoProvider): void {
  const vectors = loadVectors<CryptoBasics[]>('mls/crypto-basics.json');
  const tally = new VectorTally(`mls/crypto-basics.json [${provider.name}]`);

  describe(`crypto-basics.json [${provider.name}]`, () => {
    afterAll(() => {
      tally.report();
      expect(tally.skipped.has(1)).toBe(false);
      expect(tally.passed.get(1)).toBe(BASICS_CHECKS.length);
    });

    test('suite 1 is present and supported', () => {
      expect(vectors.some((v) => v.cipher_suite === 1)).toBe(true);
      expect(supportedCipherSuites).toContain(1);
    });

    for (const v of vectors) {
      const id = v.cipher_suite;
      if (!supportedCipherSuites.includes(id)) {
        skipLoudly(tally, id, BASICS_CHECKS.length);
        continue;
      }
      test(`suite ${id}`, () => {
        const cs = getCipherSuite(id, provider);
        const check = (ok: boolean, what: string) => {
          expect(ok, what).toBe(true);
          tally.pass(id);
        };
        const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

        const r = v.ref_hash;
        check(eq(cs.refHash(r.label, hex(r.value)), hex(r.out)), BASICS_CHECKS[0]);

        const e = v.expand_with_label;
        const expanded = cs.expandWithLabel(hex(e.secret), e.label, hex(e.context), e.length);
        check(eq(expanded, hex(e.out)), BASICS_CHECKS[1]);

        const d = v.derive_secret;
        check(eq(cs.deriveSecret(hex(d.secret), d.label), hex(d.out)), BASICS_CHECKS[2]);

        const t = v.derive_tree_secret;
        const tree = cs.deriveTreeSecret(hex(t.secret), t.label, t.generation, t.length);
        check(eq(tree, hex(t.out)), BASICS_CHECKS[3]);

        const s = v.sign_with_label;
        const content = hex(s.content);
        check(cs.verifyWithLabel(hex(s.pub), s.label, content, hex(s.signature)), BASICS_CHECKS[4]);
        const ours = cs.signWithLabel(hex(s.priv), s.label, content);
        check(cs.verifyWithLabel(hex(s.pub), s.label, content, ours), BASICS_CHECKS[5]);

        const x = v.encrypt_with_label;
        const [priv, ctx, pt] = [hex(x.priv), hex(x.context), hex(x.plaintext)];
        const opened = cs.decryptWithLabel(
          priv,
          x.label,
          ctx,
          hex(x.kem_output),
          hex(x.ciphertext),
        );
        check(eq(opened, pt), BASICS_CHECKS[6]);
        const sealed = cs.encryptWithLabel(hex(x.pub), x.label, ctx, pt);
        const reopened = cs.decryptWithLabel(
          priv,
          x.label,
          ctx,
          sealed.kemOutput,
          sealed.ciphertext,
        );
        check(eq(reopened, pt), BASICS_CHECKS[7]);
      });
    }
  });
}

/** key-schedule.json: external_pub = KEM.DeriveKeyPair(external_secret).public, with `provider`. */
export function describeExternalPub(provider: CryptoProvider): void {
  const vectors = loadVectors<KeySchedule[]>('mls/key-schedule.json');
  const tally = new VectorTally(`mls/key-schedule.json external_pub [${provider.name}]`);

  describe(`key-schedule.json external_pub [${provider.name}]`, () => {
    afterAll(() => {
      tally.report();
      expect(tally.skipped.has(1)).toBe(false);
      expect(tally.passed.get(1)).toBeGreaterThan(0);
    });

    for (const v of vectors) {
      const id = v.cipher_suite;
      if (!supportedCipherSuites.includes(id)) {
        skipLoudly(tally, id, v.epochs.length);
        continue;
      }
      test(`suite ${id}`, () => {
        const { hpke } = getCipherSuite(id, provider);
        for (const [i, epoch] of v.epochs.entries()) {
          const { publicKey, privateKey } = hpke.deriveKeyPair(hex(epoch.external_secret));
          expect(Buffer.from(publicKey).toString('hex'), `epoch ${i}`).toBe(epoch.external_pub);
          expect(hpke.publicKey(privateKey)).toEqual(publicKey);
          tally.pass(id);
        }
      });
    }
  });
}
