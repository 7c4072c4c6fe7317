/**
 * The part of mediasoup's API that Canopy uses: exactly what mediasoup 3.8
 * (the test worker on build machines) and current 3.x have in common, e.g.
 * `listenIps` rather than `listenInfos`, no WebRtcServer. The SFU layer only
 * sees these interfaces, so a call outside the shared subset does not compile.
 * The end of this file proves that the current release's types provide them.
 */

import type { DtlsParameters, IceCandidate, IceParameters } from '@canopy/shared/protocol';
import type * as CurrentMediasoup from 'mediasoup';

type Listener<A extends unknown[]> = (...args: A) => void;

export interface MsObserver<Events extends string> {
  on(event: Events, listener: () => void): unknown;
}

export type MsLogLevel = 'debug' | 'warn' | 'error' | 'none';

export interface MsWorkerSettings {
  logLevel?: MsLogLevel;
  rtcMinPort?: number;
  rtcMaxPort?: number;
}

/** A codec a router offers (mediasoup `RtpCodecCapability` without a payload type). */
export interface MsRouterCodec {
  kind: 'audio' | 'video';
  mimeType: string;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, string | number>;
}

export interface MsListenIp {
  ip: string;
  announcedIp?: string;
}

export interface MsWebRtcTransportOptions {
  listenIps: MsListenIp[];
  enableUdp?: boolean;
  enableTcp?: boolean;
  preferUdp?: boolean;
  initialAvailableOutgoingBitrate?: number;
}

export interface MsWorker {
  readonly pid: number;
  readonly closed: boolean;
  readonly observer: {
    on(event: 'close', listener: () => void): unknown;
    on(event: 'newrouter', listener: Listener<[MsRouter]>): unknown;
  };
  close(): void;
  dump(): Promise<unknown>;
  createRouter(options: { mediaCodecs: MsRouterCodec[] }): Promise<MsRouter>;
  on(event: 'died', listener: Listener<[Error]>): unknown;
}

export interface MsRouter {
  readonly id: string;
  readonly closed: boolean;
  /** Validated into the protocol's shape before it is sent to anyone. */
  readonly rtpCapabilities: object;
  readonly observer: MsObserver<'close'>;
  close(): void;
  dump(): Promise<unknown>;
  createWebRtcTransport(options: MsWebRtcTransportOptions): Promise<MsWebRtcTransport>;
  /** No options: 3.8 and current 3.x name their size options differently. */
  createDirectTransport(): Promise<MsDirectTransport>;
  canConsume(options: { producerId: string; rtpCapabilities: object }): boolean;
  on(event: 'workerclose', listener: () => void): unknown;
}

export interface MsTransport {
  readonly id: string;
  readonly closed: boolean;
  readonly observer: MsObserver<'close'>;
  close(): void;
  dump(): Promise<unknown>;
  /** `rtpParameters` has been validated against the protocol's RtpParameters schema. */
  produce(options: {
    kind: 'audio' | 'video';
    rtpParameters: object;
    paused?: boolean;
  }): Promise<MsProducer>;
  consume(options: {
    producerId: string;
    rtpCapabilities: object;
    paused?: boolean;
  }): Promise<MsConsumer>;
  on(event: 'routerclose', listener: () => void): unknown;
}

export interface MsWebRtcTransport extends MsTransport {
  readonly iceParameters: IceParameters;
  readonly iceCandidates: Omit<IceCandidate, 'address'>[];
  readonly dtlsParameters: DtlsParameters;
  connect(options: { dtlsParameters: DtlsParameters }): Promise<void>;
  on(event: 'routerclose', listener: () => void): unknown;
  on(
    event: 'dtlsstatechange',
    listener: Listener<['new' | 'connecting' | 'connected' | 'failed' | 'closed']>,
  ): unknown;
}

export type MsDirectTransport = MsTransport;

export interface MsProducer {
  readonly id: string;
  readonly kind: 'audio' | 'video';
  readonly closed: boolean;
  readonly paused: boolean;
  readonly observer: MsObserver<'close'>;
  close(): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  on(event: 'transportclose', listener: () => void): unknown;
}

export interface MsConsumer {
  readonly id: string;
  readonly producerId: string;
  readonly kind: 'audio' | 'video';
  /** Validated into the protocol's shape before it is sent to anyone. */
  readonly rtpParameters: object;
  readonly closed: boolean;
  readonly paused: boolean;
  readonly observer: MsObserver<'close'>;
  close(): void;
  resume(): Promise<void>;
  on(event: 'transportclose' | 'producerclose', listener: () => void): unknown;
  /** RTP packets of a consumer on a DirectTransport. */
  on(event: 'rtp', listener: Listener<[Uint8Array]>): unknown;
}

/** The mediasoup module: `import('mediasoup')` or a built package directory. */
export interface MediasoupApi {
  readonly version: string;
  createWorker(settings?: MsWorkerSettings): Promise<MsWorker>;
}

// Compile-time proof that the current mediasoup release provides this API.
const currentProvidesApi = (m: typeof CurrentMediasoup): MediasoupApi => m;
void currentProvidesApi;
