import * as z from 'zod';
import { LIMITS } from './limits.js';

/** Identifier chosen by the server or by mediasoup (UUIDs): URL-safe, bounded. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'expected an id of [A-Za-z0-9_-]');

/** A meeting's id, taken from its link. */
export const MeetingId = Id;
/** A participant's id within a meeting, assigned by the server on join. */
export const ParticipantId = Id;

/** A participant's self-chosen name: printable, no control characters. */
export const DisplayName = z
  .string()
  .min(1)
  .max(LIMITS.maxDisplayNameLength)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .regex(/^[^\u0000-\u001f\u007f-\u009f]+$/, 'control characters are not allowed');

/**
 * The SFrame sender index (RFC 9605 §5.2 KID layout) the server assigned to a
 * participant; with MLS it becomes the member's leaf index.
 */
export const SenderIndex = z.int().min(0).max(0xffff);

export const MediaKind = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof MediaKind>;
