// Just enough RTP (RFC 3550) and VP8 payload descriptor (RFC 7741 §4.2)
// parsing to see what an SFU sees in a video or audio packet.

export interface RtpPacket {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

export function parseRtp(packet: Uint8Array): RtpPacket | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const padding = (packet[0]! & 0x20) !== 0;
  const extension = (packet[0]! & 0x10) !== 0;
  const csrcCount = packet[0]! & 0x0f;
  let offset = 12 + 4 * csrcCount;
  if (extension) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  let end = packet.length;
  if (padding) end -= packet[end - 1]!;
  if (offset > end) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: packet.subarray(offset, end),
  };
}

export interface Vp8Payload {
  /** S bit with partition index 0: this packet starts a frame. */
  startOfFrame: boolean;
  /** What follows the payload descriptor: the (SFrame-protected) frame bytes. */
  data: Uint8Array;
}

export function parseVp8Payload(payload: Uint8Array): Vp8Payload | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  let offset = 1;
  if (b0 & 0x80) {
    const x = payload[offset++];
    if (x === undefined) return undefined;
    if (x & 0x80) offset += payload[offset]! & 0x80 ? 2 : 1; // I: PictureID (M bit: 15 bits)
    if (x & 0x40) offset += 1; // L: TL0PICIDX
    if (x & 0x30) offset += 1; // T/K: TID|Y|KEYIDX
  }
  if (offset > payload.length) return undefined;
  return { startOfFrame: (b0 & 0x10) !== 0 && (b0 & 0x07) === 0, data: payload.subarray(offset) };
}

/** Reassembles VP8 frames from consecutive packets (start bit → marker bit, no gaps). */
export class Vp8FrameAssembler {
  #parts: Uint8Array[] = [];
  #timestamp = -1;
  #nextSeq = -1;

  /** Feed a packet; returns a complete frame when this packet ends one. */
  push(rtp: RtpPacket): Uint8Array | undefined {
    const vp8 = parseVp8Payload(rtp.payload);
    if (!vp8) return undefined;
    if (vp8.startOfFrame) {
      this.#parts = [vp8.data];
      this.#timestamp = rtp.timestamp;
    } else if (rtp.timestamp === this.#timestamp && rtp.sequenceNumber === this.#nextSeq) {
      this.#parts.push(vp8.data);
    } else {
      this.#parts = [];
      this.#timestamp = -1;
    }
    this.#nextSeq = (rtp.sequenceNumber + 1) & 0xffff;
    if (!rtp.marker || this.#parts.length === 0) return undefined;
    const frame = concat(this.#parts);
    this.#parts = [];
    this.#timestamp = -1;
    return frame;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** VP8 frame tag (RFC 6386 §9.1): the P bit is 0 on keyframes. */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & 0x01) === 0;
}
