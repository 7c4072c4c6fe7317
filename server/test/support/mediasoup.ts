// The real mediasoup worker for SFU tests (the 3.8.4 test worker here; gate
// suites with withTools(name, [mediasoupTestModule()])), and parameters a
// browser would send, so producers can be created without one.
import type { DtlsParameters, RtpParameters } from '@canopy/shared/protocol';
import { mediasoupTestModule } from '../../../shared/test/support/tools.js';
import { loadMediasoup, type MediasoupApi } from '../../src/sfu/index.js';

export async function testMediasoup(): Promise<MediasoupApi> {
  const dir = mediasoupTestModule().path;
  if (!dir) throw new Error('no mediasoup test worker (gate the suite with withTools)');
  return (await loadMediasoup(dir)).api;
}

let nextSsrc = 1000;

export function vp8Parameters(): RtpParameters {
  const ssrc = nextSsrc++;
  return {
    mid: '0',
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        rtcpFeedback: [{ type: 'nack' }],
      },
    ],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
  };
}

export function opusParameters(): RtpParameters {
  const ssrc = nextSsrc++;
  return {
    mid: '1',
    codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}` },
  };
}

export const clientDtls: DtlsParameters = {
  role: 'client',
  fingerprints: [
    {
      algorithm: 'sha-256',
      value:
        '82:5A:68:3D:36:C3:0A:DE:AF:E7:32:43:D2:88:83:57:AC:2D:65:E5:80:C4:B6:FB:AF:1A:A0:21:9F:6D:0C:AD',
    },
  ],
};

/** Transport, producer and consumer ids the worker reports for a router. */
export interface RouterState {
  transports: number;
  producers: number;
  consumers: number;
}

export async function routerState(dump: Promise<unknown>): Promise<RouterState> {
  const d = (await dump) as {
    transportIds: string[];
    mapProducerIdConsumerIds: Record<string, string[]>;
    mapConsumerIdProducerId: Record<string, string>;
  };
  return {
    transports: d.transportIds.length,
    producers: Object.keys(d.mapProducerIdConsumerIds).length,
    consumers: Object.keys(d.mapConsumerIdProducerId).length,
  };
}

/** Router ids on a worker, as the worker itself reports them. */
export async function workerRouters(worker: { dump(): Promise<unknown> }): Promise<string[]> {
  return ((await worker.dump()) as { routerIds: string[] }).routerIds;
}

export function expectCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    if ((e as { code?: unknown })?.code !== code) {
      throw new Error(`expected error code ${code}, got ${String((e as Error)?.message ?? e)}`);
    }
    return true;
  };
}

/** Wait until `check` holds (polling), or fail after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
