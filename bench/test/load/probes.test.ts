// Media probes on the real server and mediasoup worker: a meeting run by a
// headless host (the participant core in Node, with the host link) that
// admits from the lobby; two probe pages (Chromium, fake camera and
// microphone) join through the join page, wait in the lobby, are admitted and
// show each other's video. Then the host removes one: its last decrypted
// frame stops advancing. The two figures (admission → first frame, removal
// window) are printed, never asserted.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCipherSuite } from '@canopy/shared/crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildClient } from '../../../client/build.mjs';
import { type EpochInfo, Participant } from '../../../client/src/participant/index.js';
import { until } from '../../../client/test/support/until.js';
import { DEFAULT_CONFIG } from '../../../server/src/config.js';
import { nodeProvider } from '../../../server/src/crypto/index.js';
import { type CanopyServer, startServer } from '../../../server/src/server.js';
import { loadMediasoup } from '../../../server/src/sfu/index.js';
import {
  chromium as chromiumTool,
  mediasoupTestModule,
  withTools,
} from '../../../shared/test/support/tools.js';
import { ProbeError, type Probes, startProbes } from '../../src/load/probes.js';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '../../../client');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('media probes: bad options', () => {
  test('a bad link or count is a ProbeError before any browser starts', async () => {
    await expect(startProbes({ participantLink: 'not a url', count: 1 })).rejects.toThrow(
      ProbeError,
    );
    await expect(
      startProbes({ participantLink: 'http://127.0.0.1:1/elsewhere', count: 1 }),
    ).rejects.toThrow(/not a meeting link/);
    await expect(
      startProbes({ participantLink: 'http://127.0.0.1:1/m/x?t=y#as=z', count: 0 }),
    ).rejects.toThrow(/probe count/);
    await expect(
      startProbes({
        participantLink: 'http://127.0.0.1:1/m/x?t=y#as=z',
        count: 1,
        chromium: '/nonexistent/chromium',
      }),
    ).rejects.toThrow(/need Chromium at \/nonexistent\/chromium/);
  });
});

const TITLE = 'media probes: two Chromium pages in a meeting with a headless host';
if (withTools(TITLE, [chromiumTool(), mediasoupTestModule()])) {
  describe(TITLE, () => {
    let server: CanopyServer;
    let host: Participant;
    let probes: Probes | undefined;
    const dirs: string[] = [];
    const epochs = new Map<bigint, EpochInfo>();
    /** When the host admitted each user id (Date.now). */
    const admitted = new Map<string, number>();
    const lines: string[] = [];

    beforeAll(async () => {
      const publicDir = mkdtempSync(join(tmpdir(), 'canopy-public-'));
      dirs.push(publicDir);
      mkdirSync(join(publicDir, 'build'));
      for (const f of ['index.html', 'app.css'])
        copyFileSync(join(clientDir, 'public', f), join(publicDir, f));
      await buildClient({ outdir: join(publicDir, 'build') });
      const mediasoup = await loadMediasoup(mediasoupTestModule().path!);
      server = await startServer(
        { ...DEFAULT_CONFIG, port: 0, workers: 1, publicDir },
        mediasoup.api,
        { log: (m, e) => console.error(`[server] ${m}`, e ?? '') },
      );
      const created = await server.links.create(server.url);
      const hostUrl = new URL(created.hostLink);
      host = new Participant({
        url: `${server.url.replace('http', 'ws')}/ws`,
        token: hostUrl.searchParams.get('t')!,
        displayName: 'Host',
        asPublicKey: new Uint8Array(
          Buffer.from(new URLSearchParams(hostUrl.hash.slice(1)).get('as')!, 'base64url'),
        ),
        suite: getCipherSuite(1, nodeProvider),
      });
      host.on('epoch', (info) => epochs.set(info.epoch, info));
      // The runner's host: admits every probe from the lobby.
      host.on('lobby-list', (entries) => {
        for (const e of entries) {
          if (admitted.has(e.userId) || !e.displayName.startsWith('probe-')) continue;
          admitted.set(e.userId, Date.now());
          host.admit(e.userId);
        }
      });
      await host.connect();
      probes = await startProbes({
        participantLink: created.participantLink,
        count: 2,
        log: (line) => {
          lines.push(line);
          console.error(line);
        },
      });
    }, 120_000);

    afterAll(async () => {
      await probes?.close();
      host?.disconnect();
      await server?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test('both probes are admitted from the lobby and show a decrypted remote frame', async () => {
      const [a, b] = probes!.probes;
      expect([a!.name, b!.name]).toEqual(['probe-1', 'probe-2']);
      const ids = await Promise.all(probes!.probes.map((p) => p.userId()));
      expect(new Set(ids).size).toBe(2);
      const frames = await Promise.all(probes!.probes.map((p) => p.firstFrame()));
      for (const [i, p] of probes!.probes.entries()) {
        const f = frames[i]!;
        const admit = admitted.get(ids[i]!)!;
        expect(admit, `${p.name} was admitted by the host`).toBeGreaterThan(0);
        // The host's admit, then the probe's member applies its first epoch, then a frame shows.
        expect(f.admittedAt).toBeGreaterThanOrEqual(admit);
        expect(f.firstFrameAt).toBeGreaterThanOrEqual(f.admittedAt);
        expect(await p.lastDecryptedAt()).toBeGreaterThanOrEqual(f.admittedAt);
        console.log(
          `[probes] ${p.name}: host's admit → admitted (first epoch applied) ${f.admittedAt - admit} ms, ` +
            `→ first remote video frame shown ${f.firstFrameAt - admit} ms (admitted → first frame ${f.firstFrameAt - f.admittedAt} ms)`,
        );
      }
      // Both are members of the host's group.
      const roster = host.current!.roster.map((r) => r.displayName).sort();
      expect(roster).toEqual(['Host', 'probe-1', 'probe-2']);
    }, 120_000);

    test('removed by the host, a probe decrypts nothing more: its last decrypted frame stops advancing', async () => {
      const removed = probes!.probes[1]!;
      const userId = await removed.userId();
      // Before: it keeps decrypting (the figure moves).
      const t0 = await removed.lastDecryptedAt();
      const t1 = await until(
        async () => {
          const t = await removed.lastDecryptedAt();
          return t > t0 ? t : undefined;
        },
        10_000,
        `${removed.name} to keep decrypting`,
      );
      expect(t1).toBeGreaterThan(t0);

      const removedAt = Date.now();
      host.remove(userId);
      await until(
        async () =>
          host.current!.roster.every((r) => r.userId !== userId) ? host.current : undefined,
        20_000,
        `an epoch without ${removed.name}`,
      );
      // Well past any frame still in flight, it has stopped.
      await sleep(2_000);
      const after = await removed.lastDecryptedAt();
      await sleep(1_500);
      expect(await removed.lastDecryptedAt()).toBe(after);
      expect(after).toBeLessThan(Date.now() - 1_500);
      console.log(
        `[probes] ${removed.name}: host's remove → last frame it decrypted ${after - removedAt} ms (removal window)`,
      );
      // No page reported an error.
      expect(lines.filter((l) => /pageerror/.test(l))).toEqual([]);
    }, 60_000);
  });
}
