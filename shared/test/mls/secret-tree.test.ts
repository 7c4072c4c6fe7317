import { afterAll, describe, expect, test } from 'vitest';
import { MlsError } from '../../src/mls/errors.js';
import { SecretTree, senderDataKeyNonce } from '../../src/mls/secret-tree.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface SecretTreeVector {
  cipher_suite: number;
  sender_data: { sender_data_secret: string; ciphertext: string; key: string; nonce: string };
  encryption_secret: string;
  leaves: {
    generation: number;
    handshake_key: string;
    handshake_nonce: string;
    application_key: string;
    application_nonce: string;
  }[][];
}

const vectors = loadVectors<SecretTreeVector[]>('mls/secret-tree.json');

describe('secret-tree.json', () => {
  const tally = new VectorTally('secret-tree.json');
  afterAll(() => tally.report());
  test.each(vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const sd = senderDataKeyNonce(
      suite,
      hex(v.sender_data.sender_data_secret),
      hex(v.sender_data.ciphertext),
    );
    expect(toHex(sd.key)).toBe(v.sender_data.key);
    expect(toHex(sd.nonce)).toBe(v.sender_data.nonce);
    // receiver view: peek then consume, generations in increasing order
    const tree = new SecretTree(suite, hex(v.encryption_secret), v.leaves.length);
    v.leaves.forEach((gens, leaf) => {
      for (const g of gens) {
        const hs = tree.peek(leaf, 'handshake', g.generation);
        const app = tree.peek(leaf, 'application', g.generation);
        expect(toHex(hs.key)).toBe(g.handshake_key);
        expect(toHex(hs.nonce)).toBe(g.handshake_nonce);
        expect(toHex(app.key)).toBe(g.application_key);
        expect(toHex(app.nonce)).toBe(g.application_nonce);
        tree.consume(leaf, 'handshake', g.generation);
        tree.consume(leaf, 'application', g.generation);
      }
    });
    tally.pass(v.cipher_suite);
  });
});

describe('secret tree ratchets', () => {
  const suite = suiteOrUndefined(1)!;
  const secret = new Uint8Array(32).fill(7);

  test('a sender and a receiver agree; keys are single-use', () => {
    const sender = new SecretTree(suite, secret, 8);
    const receiver = new SecretTree(suite, secret, 8);
    for (let i = 0; i < 5; i++) {
      const k = sender.next(3, 'application');
      expect(k.generation).toBe(i);
      expect(receiver.peek(3, 'application', i)).toEqual(k);
      receiver.consume(3, 'application', i);
      expect(() => receiver.peek(3, 'application', i)).toThrow(MlsError);
    }
  });

  test('out-of-order generations within the window decrypt once each', () => {
    const sender = new SecretTree(suite, secret, 4);
    const receiver = new SecretTree(suite, secret, 4);
    const keys = Array.from({ length: 6 }, () => sender.next(0, 'handshake'));
    for (const g of [4, 1, 5, 0, 3, 2]) {
      expect(receiver.peek(0, 'handshake', g)).toEqual(keys[g]);
      receiver.consume(0, 'handshake', g);
    }
    for (let g = 0; g < 6; g++) expect(() => receiver.peek(0, 'handshake', g)).toThrow(MlsError);
  });

  test('peek does not consume: a rejected message leaves the ratchet as it was', () => {
    const a = new SecretTree(suite, secret, 4);
    const before = a.peek(2, 'application', 3);
    // nothing consumed, so the same key (and earlier ones) are still there
    expect(a.peek(2, 'application', 3)).toEqual(before);
    expect(a.peek(2, 'application', 0).generation).toBe(0);
  });

  test('bounds: unknown leaves, generations too far ahead, retained-key eviction', () => {
    const t = new SecretTree(suite, secret, 4, { maxForwardDistance: 10, maxRetainedKeys: 2 });
    expect(() => t.peek(4, 'application', 0)).toThrow(
      expect.objectContaining({ code: 'unknown-sender' }),
    );
    expect(() => t.peek(-1, 'application', 0)).toThrow(MlsError);
    expect(() => t.peek(0, 'application', 11)).toThrow(
      expect.objectContaining({ code: 'secret-unavailable' }),
    );
    t.consume(0, 'application', 5); // skips 0..4, keeps only the newest two (3, 4)
    expect(() => t.peek(0, 'application', 2)).toThrow(MlsError);
    expect(t.peek(0, 'application', 3).generation).toBe(3);
    expect(t.peek(0, 'application', 4).generation).toBe(4);
  });

  test('exported state restores to the same ratchet positions', () => {
    const t = new SecretTree(suite, secret, 16);
    t.next(5, 'application');
    t.consume(9, 'handshake', 3);
    const copy = SecretTree.fromState(suite, structuredClone(t.exportState()));
    expect(copy.next(5, 'application')).toEqual(t.next(5, 'application'));
    expect(copy.peek(9, 'handshake', 1)).toEqual(t.peek(9, 'handshake', 1));
    expect(copy.peek(12, 'application', 0)).toEqual(t.peek(12, 'application', 0));
  });
});
