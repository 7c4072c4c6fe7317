// Media through the SFU, encrypted, in Chromium: four pages in one meeting
// (three with the fixed test key — one of them on the insertable-streams
// fallback — and one with a different key), the real server and mediasoup
// worker, and a server-side consumer that looks at what the SFU relays.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeHeader, SFrameError, SFrameReceiver } from '@canopy/shared/sframe';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG } from '../../../server/src/config.js';
import { type CanopyServer, startServer } from '../../../server/src/server.js';
import { loadMediasoup, type RtpTap } from '../../../server/src/sfu/index.js';
import {
  chromium as chromiumTool,
  mediasoupTestModule,
  withTools,
} from '../../../shared/test/support/tools.js';
import { buildClient } from '../../build.mjs';
import {
  expectedKid,
  FIRST_CONTEXT,
  FIXED_TEST_KEY,
  KID_LAYOUT,
  SFRAME_SUITE,
} from '../../src/e2ee/media-keys.js';
import { isVp8Keyframe, parseRtp, Vp8FrameAssembler } from './rtp.js';

const clientDir = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MEETING = 'e2e-media';
const OTHER_KEY_HEX = '00112233445566778899aabbccddeeff';

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

interface Counters {
  encrypted: number;
  decrypted: number;
  decryptFailed: number;
  encryptFailed: number;
  noKey: number;
}

interface Snapshot {
  state: string;
  error?: string;
  participantId: string;
  senderIndex: number;
  mode: string;
  counters: Counters;
  e2eeErrors: string[];
  local: { producerId: string; kind: string; context: number }[];
  remote: {
    producerId: string;
    participantId: string;
    kind: 'audio' | 'video';
    counters: Counters;
    packetsReceived: number;
    framesDecoded: number;
    totalSamplesReceived: number;
    concealedSamples: number;
    totalAudioEnergy: number;
  }[];
  firstFrameMs: Record<string, number>;
  joinToFirstFrameMs?: number;
}

/** What a page's meeting reports: its tracks, their stats, SFrame counters. */
async function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the page's debug handle (client/src/app/main.ts)
    const c = (window as any).canopy;
    const m = c.meeting;
    if (!m) return { state: c.state, error: c.error } as never;
    const stats: { producerId: string }[] = await m.getStats();
    return {
      state: c.state,
      error: c.error,
      participantId: m.participantId,
      senderIndex: m.senderIndex,
      mode: m.transformMode,
      counters: m.frameCounters,
      e2eeErrors: [...m.e2eeErrors],
      local: m.localTracks.map((t: { producerId: string; kind: string; context: number }) => ({
        producerId: t.producerId,
        kind: t.kind,
        context: t.context,
      })),
      remote: m.remoteTracks.map(
        (t: { producerId: string; participantId: string; kind: string; transformId: string }) => ({
          producerId: t.producerId,
          participantId: t.participantId,
          kind: t.kind,
          counters: m.frameCountersOf(t.transformId),
          ...stats.find((s) => s.producerId === t.producerId),
        }),
      ),
      firstFrameMs: { ...c.firstFrameMs },
      joinToFirstFrameMs: c.joinToFirstFrameMs,
    };
  });
}

/** Luma mean and variance of each remote video, drawn to a small canvas. */
async function pictures(
  page: Page,
): Promise<{ producerId: string; width: number; mean: number; variance: number }[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLVideoElement>('.tile:not(.local) video[data-producer-id]'),
    ].map((video) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 36;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let sum = 0;
      let sumSq = 0;
      const n = d.length / 4;
      for (let i = 0; i < d.length; i += 4) {
        const y = 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
        sum += y;
        sumSq += y * y;
      }
      const mean = sum / n;
      return {
        producerId: video.dataset.producerId!,
        width: video.videoWidth,
        mean,
        variance: sumSq / n - mean * mean,
      };
    }),
  );
}

async function until<T>(
  probe: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

if (withTools('media through the SFU in Chromium', [chromiumTool(), mediasoupTestModule()])) {
  describe('media through the SFU in Chromium', () => {
    let server: CanopyServer;
    let context: BrowserContext;
    const dirs: string[] = [];
    /** Pages with the fixed test key; `c` uses the insertable-streams fallback. */
    const good: Record<'a' | 'b' | 'c', Page> = {} as never;
    /** A page with a different key. */
    let stranger: Page;
    const snaps = new Map<Page, Snapshot>();

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
        {
          log: (m, e) => console.error(`[server] ${m}`, e ?? ''),
        },
      );

      const profile = mkdtempSync(join(tmpdir(), 'canopy-chromium-'));
      dirs.push(profile);
      context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumTool().path!,
        headless: true,
        args: CHROMIUM_FLAGS,
      });
      const open = async (query: string) => {
        const page = await context.newPage();
        page.on('pageerror', (e) => console.error(`[page ${query}] ${e.message}`));
        await page.goto(`${server.url}/m/${MEETING}?${query}`);
        return page;
      };
      good.a = await open('name=Ada');
      good.b = await open('name=Bo');
      good.c = await open('name=Cy&transform=encoded-streams');
      stranger = await open(`name=Stranger&key=${OTHER_KEY_HEX}`);
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await server?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const all = () => [good.a, good.b, good.c, stranger];

    test("every page joins, sends audio and video, and receives every other page's tracks", async () => {
      for (const page of all()) {
        const s = await until(
          async () => {
            const s = await snapshot(page);
            if (s.state === 'failed') throw new Error(s.error);
            return s.state === 'joined' && s.remote.length === 6 ? s : undefined;
          },
          60_000,
          'every remote track',
        );
        snaps.set(page, s);
        expect(s.local.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
        expect(s.e2eeErrors).toEqual([]);
      }
      expect(snaps.get(good.a)!.mode).toBe('script-transform');
      expect(snaps.get(good.c)!.mode).toBe('encoded-streams');
      const senderIndices = all().map((p) => snaps.get(p)!.senderIndex);
      expect(new Set(senderIndices).size).toBe(4);
      // Each page names everyone, however the joins interleaved.
      for (const page of all()) {
        const names = await page.$$eval('.tile .name', (els) =>
          els.map((e) => e.textContent).sort(),
        );
        expect(names).toEqual(['Ada', 'Bo', 'Cy', 'Stranger']);
      }
    }, 90_000);

    test("every page decodes every other same-key page's video, which keeps coming and is not black", async () => {
      const goodIds = new Set([good.a, good.b, good.c].map((p) => snaps.get(p)!.participantId));
      for (const page of [good.a, good.b, good.c]) {
        const me = snaps.get(page)!.participantId;
        const videos = (s: Snapshot) =>
          s.remote.filter(
            (t) => t.kind === 'video' && goodIds.has(t.participantId) && t.participantId !== me,
          );
        const before = videos(await snapshot(page));
        expect(before).toHaveLength(2);
        // framesDecoded keeps increasing for each of them.
        await until(
          async () => {
            const now = videos(await snapshot(page));
            return now.every((t) => {
              const b = before.find((x) => x.producerId === t.producerId)!;
              return b.framesDecoded > 0 && t.framesDecoded > b.framesDecoded + 10;
            });
          },
          30_000,
          'frames to keep being decoded',
        );
        // The picture is not black: bright enough, and luma varies across the frame. (The fake
        // camera is a green field with a turning pie, so sample a few frames and take the most varied.)
        const wanted = new Set(before.map((t) => t.producerId));
        const best = new Map<string, { width: number; mean: number; variance: number }>();
        const shown = await until(
          async () => {
            for (const x of await pictures(page)) {
              if (!wanted.has(x.producerId)) continue;
              if (x.variance > (best.get(x.producerId)?.variance ?? -1)) best.set(x.producerId, x);
            }
            const p = [...best.values()];
            return p.length === 2 && p.every((x) => x.width > 0 && x.mean > 20 && x.variance > 100)
              ? p
              : undefined;
          },
          30_000,
          'non-black video',
        );
        console.log(
          `[e2e] video seen by ${me}:`,
          shown
            .map((x) => `${x.width}px mean=${Math.round(x.mean)} var=${Math.round(x.variance)}`)
            .join(', '),
        );
      }
    }, 120_000);

    test('every page hears every other same-key page (decoded audio, not concealment)', async () => {
      const goodIds = new Set([good.a, good.b, good.c].map((p) => snaps.get(p)!.participantId));
      for (const page of [good.a, good.b, good.c]) {
        const me = snaps.get(page)!.participantId;
        const audio = (s: Snapshot) =>
          s.remote.filter(
            (t) => t.kind === 'audio' && goodIds.has(t.participantId) && t.participantId !== me,
          );
        const before = audio(await snapshot(page));
        expect(before).toHaveLength(2);
        await until(
          async () => {
            const now = audio(await snapshot(page));
            return now.every((t) => {
              const b = before.find((x) => x.producerId === t.producerId)!;
              const samples = t.totalSamplesReceived - b.totalSamplesReceived;
              const concealed = t.concealedSamples - b.concealedSamples;
              return (
                samples > 48_000 &&
                concealed < samples / 2 &&
                t.totalAudioEnergy > b.totalAudioEnergy &&
                t.counters.decrypted > 0
              );
            });
          },
          30_000,
          'audio to be decoded',
        );
      }
    }, 120_000);

    test('a page with a different key decodes nothing, and its decryption failures climb', async () => {
      const s0 = await snapshot(stranger);
      await until(
        async () => {
          const s = await snapshot(stranger);
          return s.counters.decryptFailed > s0.counters.decryptFailed + 50 &&
            s.remote.every((t) => t.packetsReceived > 0)
            ? s
            : undefined;
        },
        30_000,
        'failures to climb',
      );
      const s1 = await snapshot(stranger);
      expect(s1.counters.decrypted).toBe(0);
      for (const t of s1.remote.filter((x) => x.kind === 'video')) expect(t.framesDecoded).toBe(0);
      for (const t of s1.remote) expect(t.counters.decryptFailed).toBeGreaterThan(0);
      // ...and nobody with the test key can read what the stranger sends.
      const strangerId = s1.participantId;
      for (const page of [good.a, good.b, good.c]) {
        const fromStranger = (await snapshot(page)).remote.filter(
          (t) => t.participantId === strangerId,
        );
        expect(fromStranger).toHaveLength(2);
        for (const t of fromStranger) {
          expect(t.counters.decrypted).toBe(0);
          expect(t.counters.decryptFailed).toBeGreaterThan(0);
          if (t.kind === 'video') expect(t.framesDecoded).toBe(0);
        }
      }
      console.log(
        `[e2e] stranger: ${s1.counters.decryptFailed} frames failed to decrypt, ${s1.counters.decrypted} decrypted`,
      );
    }, 60_000);

    test("the SFU relays only SFrame: RTP payloads carry the codec's clear bytes, then the sender's KID", async () => {
      // Ada sends through RTCRtpScriptTransform, Cy through insertable streams.
      for (const page of [good.a, good.c]) {
        const sender = await snapshot(page);
        const room = server.meetings.get(MEETING)!.room;
        const receiver = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
        receiver.addEpoch(FIXED_TEST_KEY.epoch, FIXED_TEST_KEY.baseKey);
        const wrongKey = new SFrameReceiver({ suite: SFRAME_SUITE, layout: KID_LAYOUT });
        wrongKey.addEpoch(
          0n,
          Uint8Array.from(OTHER_KEY_HEX.match(/../g)!.map((h) => Number.parseInt(h, 16))),
        );

        const taps: RtpTap[] = [];
        try {
          // Video: whole frames, reassembled from the packets the SFU forwards.
          const video = sender.local.find((t) => t.kind === 'video')!;
          expect(video.context).toBe(FIRST_CONTEXT.video);
          const videoTap = await room.tap(video.producerId);
          taps.push(videoTap);
          const vp8 = videoTap.rtpParameters.codecs.find(
            (c) => c.mimeType.toLowerCase() === 'video/vp8',
          )!;
          const assembler = new Vp8FrameAssembler();
          const frames: Uint8Array[] = [];
          videoTap.on('rtp', (packet) => {
            const rtp = parseRtp(new Uint8Array(packet));
            if (rtp?.payloadType !== vp8.payloadType) return;
            const frame = assembler.push(rtp);
            if (frame) frames.push(frame);
          });
          // Audio: one Opus frame per packet.
          const audio = sender.local.find((t) => t.kind === 'audio')!;
          const audioTap = await room.tap(audio.producerId);
          taps.push(audioTap);
          const opus = audioTap.rtpParameters.codecs.find(
            (c) => c.mimeType.toLowerCase() === 'audio/opus',
          )!;
          const opusFrames: Uint8Array[] = [];
          audioTap.on('rtp', (packet) => {
            const rtp = parseRtp(new Uint8Array(packet));
            if (rtp?.payloadType === opus.payloadType) opusFrames.push(rtp.payload.slice());
          });
          await until(
            async () =>
              frames.some(isVp8Keyframe) && frames.length >= 20 && opusFrames.length >= 50,
            30_000,
            'a keyframe, 20 video frames and 50 audio packets at the tap',
          );

          const videoKid = expectedKid(sender.senderIndex, video.context, FIXED_TEST_KEY.epoch);
          let lastCtr = -1n;
          let keyframes = 0;
          for (const frame of frames) {
            const keyframe = isVp8Keyframe(frame);
            const clear = keyframe ? 10 : 3;
            if (keyframe) {
              keyframes++;
              // The VP8 keyframe start code stays in clear for the SFU (RFC 6386 §9.1)...
              expect([...frame.subarray(3, 6)]).toEqual([0x9d, 0x01, 0x2a]);
            }
            // ...and right after the clear bytes comes an SFrame header with the sender's KID.
            const header = decodeHeader(frame.subarray(clear));
            expect(header.kid).toBe(videoKid);
            expect(header.ctr).toBeGreaterThan(lastCtr);
            lastCtr = header.ctr;
            // It is ciphertext under the meeting key: it decrypts (authenticated) with it, not without it.
            const plain = receiver.decryptFrame(frame, clear);
            expect(plain.length).toBe(frame.length - header.length - 16);
            expect([...plain.subarray(0, clear)]).toEqual([...frame.subarray(0, clear)]);
            // The payload is not the frame: what follows the header differs from the plaintext.
            const n = Math.min(16, plain.length - clear);
            if (n >= 8) {
              const sent = frame.subarray(clear + header.length, clear + header.length + n);
              expect(Buffer.compare(sent, plain.subarray(clear, clear + n))).not.toBe(0);
            }
            expect(() => wrongKey.decryptFrame(frame, clear)).toThrow(SFrameError);
          }
          expect(keyframes).toBeGreaterThan(0);

          const audioKid = expectedKid(sender.senderIndex, audio.context, FIXED_TEST_KEY.epoch);
          for (const frame of opusFrames) {
            const header = decodeHeader(frame.subarray(1)); // Opus: the TOC byte is clear
            expect(header.kid).toBe(audioKid);
            expect(receiver.decryptFrame(frame, 1).length).toBe(frame.length - header.length - 16);
          }
          console.log(
            `[e2e] SFU tap: ${frames.length} video frames (${keyframes} keyframes, KID ${videoKid}), ` +
              `${opusFrames.length} audio frames (KID ${audioKid}), all SFrame`,
          );
        } finally {
          for (const t of taps) t.close();
        }
      }
    }, 60_000);

    test('figures: time to first frame and frame counts', async () => {
      for (const page of all()) {
        const s = await snapshot(page);
        const decoded = s.remote.filter((t) => t.kind === 'video').map((t) => t.framesDecoded);
        console.log(
          `[e2e] ${s.participantId} (${s.mode}): join → first remote frame ${s.joinToFirstFrameMs ?? '-'} ms; ` +
            `track arrival → first frame ${Object.values(s.firstFrameMs).join(', ') || '-'} ms; ` +
            `video frames decoded per sender ${decoded.join(', ')}; SFrame ${JSON.stringify(s.counters)}`,
        );
      }
    });
  });
}
