/**
 * A server-side consumer of one producer on a DirectTransport: the RTP the SFU
 * relays for that producer, as packets in Node. Used to check what the SFU can
 * see (with SFrame: headers and ciphertext only) and, later, for recording.
 *
 * Lifecycle: `SfuRoom.tap()` creates it; it closes on `close()`, when its
 * producer closes, or when the room closes. Emits `rtp` per packet, then `close`.
 */
import { EventEmitter } from 'node:events';
import type { RtpParameters } from '@canopy/shared/protocol';
import type { MsConsumer, MsDirectTransport } from './mediasoup-api.js';

export interface RtpTapEvents {
  rtp: [packet: Uint8Array];
  close: [];
}

export class RtpTap extends EventEmitter<RtpTapEvents> {
  readonly #transport: MsDirectTransport;
  #closed = false;

  /** @internal Use `SfuRoom.tap()`. */
  constructor(
    readonly producerId: string,
    /** What the packets carry (codecs and payload types). */
    readonly rtpParameters: RtpParameters,
    transport: MsDirectTransport,
    consumer: MsConsumer,
  ) {
    super();
    this.#transport = transport;
    consumer.on('rtp', (packet) => this.emit('rtp', packet));
    consumer.observer.on('close', () => this.close());
    transport.observer.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
    this.emit('close');
  }
}
