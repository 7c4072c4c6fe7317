import { utf8ToBytes } from '@noble/hashes/utils.js';
import { describe, expect, test } from 'vitest';
import { DecodeError } from '../../src/codec/index.js';
import { MlsError } from '../../src/mls/errors.js';
import {
  restoreGroup,
  restoreKeyPackageBundle,
  serializeGroup,
  serializeKeyPackageBundle,
} from '../../src/mls/serialization.js';
import { Harness } from '../support/mls-harness.js';
import { suiteOrUndefined } from '../support/suites.js';
import { toHex } from '../support/vectors.js';

const suite = suiteOrUndefined(1)!;

describe('group state serialization', () => {
  test('a restored member keeps participating; restored bundles join', () => {
    const h = new Harness(suite);
    const a = h.create('a');
    const b = h.bundle('b');
    const c = restoreKeyPackageBundle(serializeKeyPackageBundle(h.bundle('c')));
    h.deliver('a', a.commit({ add: [b.keyPackage, c.keyPackage] }), [
      { ...b },
      { ...c, name: 'c' },
    ]);
    const bGroup = h.members.get('b')!;
    // consume some ratchet state and cache a proposal before saving
    a.process(bGroup.encrypt(utf8ToBytes('one')));
    const update = h.members.get('c')!.proposeUpdate();
    a.process(update);
    bGroup.process(update);
    const saved = serializeGroup(bGroup);
    const restored = restoreGroup(saved);
    expect(toHex(serializeGroup(restored))).toBe(toHex(saved));
    h.members.set('b', restored);
    h.deliver('a', a.commit({}));
    h.expectAgreement();
    const r = a.process(restored.encrypt(utf8ToBytes('two')));
    expect(r.kind === 'application' && new TextDecoder().decode(r.data)).toBe('two');
    h.deliver('b', restored.commit({}));
    h.expectAgreement();
  });

  test('corrupt state bytes are typed errors', () => {
    const g = new Harness(suite).create('a');
    const bytes = serializeGroup(g);
    for (const bad of [
      bytes.slice(0, 10),
      bytes.slice(0, bytes.length - 1),
      new Uint8Array([0, 9, 0, 1]),
    ]) {
      let err: unknown;
      try {
        restoreGroup(bad);
      } catch (e) {
        err = e;
      }
      expect(err instanceof DecodeError || err instanceof MlsError).toBe(true);
    }
  });
});
