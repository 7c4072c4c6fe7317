/** Bounds every signaling message must respect; schemas and transports share them. */
export const LIMITS = {
  /** Largest message a client may send (UTF-8 bytes); larger ones are answered with an error. */
  maxMessageBytes: 64 * 1024,
  /** Largest request id; ids are chosen by the requester and echoed in the response. */
  maxRequestId: 2 ** 31 - 1,
  /** Longest method name. */
  maxMethodLength: 64,
  /** Longest human-readable error message in a response. */
  maxErrorMessageLength: 1024,
  /** Longest meeting-link token, in characters. */
  maxTokenLength: 4096,
  /** Longest display name, in UTF-16 code units. */
  maxDisplayNameLength: 64,
  /** Most participants listed in one message. */
  maxParticipants: 10_000,
  /** Most producers listed in one message. */
  maxProducers: 20_000,
} as const;
