// The browser crypto benchmark runs end to end in headless Chromium at a tiny size
// (a 4-member group, one round, minimal timing): the page bundles, loads
// libsodium's WebAssembly, agrees with noble on every primitive, and the joiner
// reaches the creator's epoch with both providers. No timing is asserted.
import { expect, test } from 'vitest';
import { chromium, withTools } from '../../shared/test/support/tools.js';
import { runBrowserBench } from '../src/browser-crypto-runner.js';

const browser = chromium();

if (withTools('browser crypto benchmark (Chromium)', [browser])) {
  test('runs the page benchmark in Chromium at a tiny size', async () => {
    process.env.CANOPY_CHROMIUM ??= browser.path!;
    const [r] = await runBrowserBench({
      engines: ['chromium'],
      timing: { runs: 1, minRunMs: 1, maxBatch: 2 },
      sframeSizes: [1_000],
      mlsSizes: [4],
      mlsRuns: 1,
      mlsProviders: ['noble', 'libsodium'],
    });
    expect(r.browser).toMatch(/^Chromium \d+\./);
    expect(r.sodium).toMatch(/^1\.0\./);
    expect(r.primitives.map((p) => p.op)).toEqual([
      'X25519 DH',
      'Ed25519 sign (100 B)',
      'Ed25519 verify (100 B)',
      'HPKE open (suite 1, 32 B)',
      'AES-128-GCM open (32 B, one use per key)',
    ]);
    for (const p of r.primitives) {
      for (const ns of [p.noble, p.web, p.webImport]) expect(ns).toBeGreaterThan(0);
    }
    expect(r.primitives.map((p) => p.sodium === null)).toEqual([false, false, false, false, true]);
    expect(r.sframe).toHaveLength(4);
    // The client's path, end to end through the SFrame module, runs on WebCrypto in the page.
    expect(r.sframe.filter((s) => /async path on WebCrypto/.test(s.library))).toHaveLength(1);
    for (const s of r.sframe) {
      expect(s.bytes).toBe(1_000);
      expect(s.encryptNs).toBeGreaterThan(0);
      expect(s.decryptNs).toBeGreaterThan(0);
    }
    // The runner throws unless the joiner ends at the creator's epoch.
    expect(r.mls.map((m) => [m.n, m.provider, m.runs.length])).toEqual([
      [4, 'noble', 1],
      [4, 'libsodium', 1],
    ]);
    for (const m of r.mls) expect(m.runs[0].processMs).toHaveLength(2);
  }, 120_000);
}
