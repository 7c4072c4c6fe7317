/**
 * The mediasoup (ORTC-style) parameter objects that travel in signaling:
 * RTP capabilities and parameters, ICE and DTLS parameters. Shapes follow the
 * fields mediasoup 3.8 and current 3.x share with mediasoup-client 3.x; every
 * string, number and list is bounded so a peer cannot make the other side
 * allocate without limit.
 */
import * as z from 'zod';
import { MediaKind } from './common.js';

const Token = (max: number) => z.string().min(1).max(max);
const Uint32 = z.int().min(0).max(0xffffffff);
const PayloadType = z.int().min(0).max(127);
const ClockRate = z.int().min(1).max(1_000_000);
const Channels = z.int().min(1).max(16);
const ExtensionId = z.int().min(1).max(255);

/** MIME type such as `video/VP8` or `audio/opus`. */
export const MimeType = z
  .string()
  .max(64)
  .regex(/^(audio|video)\/[A-Za-z0-9._+-]+$/, 'expected audio/* or video/*');

/** Codec format parameters (`a=fmtp`): short keys, scalar values, few entries. */
export const CodecParameters = z
  .record(
    z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/),
    z.union([z.string().max(256), z.number(), z.boolean()]),
  )
  .refine((o) => Object.keys(o).length <= 32, 'at most 32 codec parameters');

export const RtcpFeedback = z.strictObject({
  type: Token(32),
  parameter: z.string().max(32).optional(),
});

export const RtpCodecCapability = z.strictObject({
  kind: MediaKind,
  mimeType: MimeType,
  preferredPayloadType: PayloadType,
  clockRate: ClockRate,
  channels: Channels.optional(),
  parameters: CodecParameters.optional(),
  rtcpFeedback: z.array(RtcpFeedback).max(16).optional(),
});

export const RtpHeaderExtensionDirection = z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export const RtpHeaderExtension = z.strictObject({
  kind: MediaKind,
  uri: Token(256),
  preferredId: ExtensionId,
  preferredEncrypt: z.boolean().optional(),
  direction: RtpHeaderExtensionDirection.optional(),
});

/** What an endpoint (router or device) can send and receive. */
export const RtpCapabilities = z.strictObject({
  codecs: z.array(RtpCodecCapability).max(64).optional(),
  headerExtensions: z.array(RtpHeaderExtension).max(32).optional(),
});
export type RtpCapabilities = z.infer<typeof RtpCapabilities>;

export const RtpCodecParameters = z.strictObject({
  mimeType: MimeType,
  payloadType: PayloadType,
  clockRate: ClockRate,
  channels: Channels.optional(),
  parameters: CodecParameters.optional(),
  rtcpFeedback: z.array(RtcpFeedback).max(16).optional(),
});

export const RtpHeaderExtensionParameters = z.strictObject({
  uri: Token(256),
  id: ExtensionId,
  encrypt: z.boolean().optional(),
  parameters: CodecParameters.optional(),
});

const Priority = z.enum(['very-low', 'low', 'medium', 'high']);

export const RtpEncodingParameters = z.strictObject({
  active: z.boolean().optional(),
  ssrc: Uint32.optional(),
  rid: z
    .string()
    .min(1)
    .max(32)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  codecPayloadType: PayloadType.optional(),
  rtx: z.strictObject({ ssrc: Uint32 }).optional(),
  dtx: z.boolean().optional(),
  scalabilityMode: z
    .string()
    .max(16)
    .regex(/^[A-Z0-9_]+$/)
    .optional(),
  scaleResolutionDownBy: z.number().min(1).max(1024).optional(),
  maxBitrate: z.int().min(0).max(1e10).optional(),
  maxFramerate: z.number().min(0).max(1000).optional(),
  adaptivePtime: z.boolean().optional(),
  priority: Priority.optional(),
  networkPriority: Priority.optional(),
});

export const RtcpParameters = z.strictObject({
  cname: z.string().max(256).optional(),
  reducedSize: z.boolean().optional(),
  mux: z.boolean().optional(),
});

/** What one producer sends or one consumer receives. */
export const RtpParameters = z.strictObject({
  mid: z.string().max(32).optional(),
  codecs: z.array(RtpCodecParameters).min(1).max(16),
  headerExtensions: z.array(RtpHeaderExtensionParameters).max(32).optional(),
  encodings: z.array(RtpEncodingParameters).max(8).optional(),
  rtcp: RtcpParameters.optional(),
  msid: z.string().max(256).optional(),
});
export type RtpParameters = z.infer<typeof RtpParameters>;

export const IceParameters = z.strictObject({
  usernameFragment: Token(256),
  password: Token(256),
  iceLite: z.boolean().optional(),
});
export type IceParameters = z.infer<typeof IceParameters>;

export const IceCandidate = z.strictObject({
  foundation: Token(64),
  priority: Uint32,
  ip: Token(64),
  address: Token(64).optional(),
  protocol: z.enum(['udp', 'tcp']),
  port: z.int().min(0).max(65535),
  type: z.enum(['host', 'srflx', 'prflx', 'relay']),
  tcpType: z.enum(['active', 'passive', 'so']).optional(),
});
export type IceCandidate = z.infer<typeof IceCandidate>;

export const DtlsParameters = z.strictObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(
      z.strictObject({
        algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']),
        value: z
          .string()
          .max(192)
          .regex(
            /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$/,
            'expected a colon-separated hex fingerprint',
          ),
      }),
    )
    .min(1)
    .max(8),
});
export type DtlsParameters = z.infer<typeof DtlsParameters>;
