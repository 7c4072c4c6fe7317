/**
 * The SFU layer: mediasoup workers, one router per meeting, and each
 * participant's transports, producers and consumers. The mediasoup module is
 * injected (see loadMediasoup), restricted to the API mediasoup 3.8 and
 * current 3.x share.
 */
export { SfuError, type SfuErrorCode } from './errors.js';
export { HOW_TO_GET_A_WORKER, type LoadedMediasoup, loadMediasoup } from './loader.js';
export type { MediasoupApi, MsWorkerSettings } from './mediasoup-api.js';
export {
  type ConsumerDescription,
  DEFAULT_PEER_LIMITS,
  type PeerLimits,
  SfuPeer,
  type TransportDescription,
  type TransportDirection,
} from './peer.js';
export { DEFAULT_MEDIA_CODECS, type RoomCloseReason, SfuRoom } from './room.js';
export { Sfu, type SfuOptions } from './sfu.js';
export { RtpTap } from './tap.js';
export { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';
