import { getCipherSuite } from '@canopy/shared/crypto';
import { describe, expect, test } from 'vitest';
import { securityCode } from '../../src/participant/index.js';

const suite = getCipherSuite(1);

describe('security code', () => {
  test('12 groups of 5 digits, a pure function of the epoch authenticator', () => {
    const auth = new Uint8Array(32).fill(7);
    const code = securityCode(suite, auth);
    expect(code).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(securityCode(suite, auth.slice())).toBe(code);
  });

  test('pinned: ExpandWithLabel(auth, "canopy security code", "", 48), big-endian u32 mod 100000 per group', () => {
    const auth = Uint8Array.from({ length: 32 }, (_, i) => i);
    const bytes = suite.expandWithLabel(auth, 'canopy security code', new Uint8Array(0), 48);
    const groups = Array.from({ length: 12 }, (_, i) =>
      String(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4 * i) % 100_000).padStart(
        5,
        '0',
      ),
    );
    expect(securityCode(suite, auth)).toBe(groups.join(' '));
  });

  test('any change of the authenticator changes the code', () => {
    const auth = new Uint8Array(32);
    const codes = new Set([securityCode(suite, auth)]);
    for (let i = 0; i < 32; i++) {
      const a = auth.slice();
      a[i] ^= 1;
      codes.add(securityCode(suite, a));
    }
    expect(codes.size).toBe(33);
  });
});
