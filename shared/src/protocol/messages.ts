/**
 * The signaling envelope: requests `{id, method, data}`, responses
 * `{id, ok: true, data}` or `{id, ok: false, error: {code, message}}`, and
 * notifications `{method, data}`, all JSON text over one WebSocket.
 *
 * Methods live in tables (`requests`, `notifications`) that pair each method
 * with the zod schemas of its data; new message families (MLS handshake,
 * delivery service) are added as further tables spread into these two.
 */
import * as z from 'zod';
import { ProtocolError } from './errors.js';
import { LIMITS } from './limits.js';
import { mediaNotifications, mediaRequests } from './media.js';

/** Every request method, with the schema of its data and of its success result. */
export const requests = { ...mediaRequests } as const;
/** Every notification method, with the schema of its data. */
export const notifications = { ...mediaNotifications } as const;

export type RequestMethod = keyof typeof requests;
export type NotificationMethod = keyof typeof notifications;
export type RequestData<M extends RequestMethod> = z.infer<(typeof requests)[M]['data']>;
export type ResultData<M extends RequestMethod> = z.infer<(typeof requests)[M]['result']>;
export type NotificationData<M extends NotificationMethod> = z.infer<(typeof notifications)[M]>;

/** A validated request: `method` narrows `data`. */
export type Request = {
  [M in RequestMethod]: { id: number; method: M; data: RequestData<M> };
}[RequestMethod];

/** A validated notification: `method` narrows `data`. */
export type Notification = {
  [M in NotificationMethod]: { method: M; data: NotificationData<M> };
}[NotificationMethod];

export const RequestId = z.int().min(0).max(LIMITS.maxRequestId);

const MethodName = z
  .string()
  .min(1)
  .max(LIMITS.maxMethodLength)
  .regex(/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/, 'expected a dotted method name');

/** Stable, machine-readable error code (`ProtocolErrorCode` or a handler's own). */
export const ErrorCode = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/);

export const ErrorBody = z.strictObject({
  code: ErrorCode,
  message: z.string().max(LIMITS.maxErrorMessageLength),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const RequestEnvelope = z.strictObject({
  id: RequestId,
  method: MethodName,
  data: z.unknown(),
});

export const OkResponse = z.strictObject({ id: RequestId, ok: z.literal(true), data: z.unknown() });
/** `id` is null when the request's id could not be read (oversize or malformed input). */
export const ErrorResponse = z.strictObject({
  id: RequestId.nullable(),
  ok: z.literal(false),
  error: ErrorBody,
});
export const Response = z.discriminatedUnion('ok', [OkResponse, ErrorResponse]);
export type Response = z.infer<typeof Response>;

export const NotificationEnvelope = z.strictObject({ method: MethodName, data: z.unknown() });

/** What a server sends: a response to one of the client's requests, or a notification. */
export type ServerMessage =
  | { kind: 'response'; response: Response }
  | { kind: 'notification'; notification: Notification };

/** UTF-8 length of a string, without TextEncoder (not in every runtime's types). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function describeIssues(error: z.ZodError): string {
  const text = error.issues
    .slice(0, 4)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return text.length > 512 ? `${text.slice(0, 509)}...` : text;
}

function parseJson(text: string, maxBytes: number): unknown {
  // A UTF-8 encoding is never shorter than the UTF-16 one, so the first test is exact too.
  if (text.length > maxBytes || utf8Length(text) > maxBytes) {
    throw new ProtocolError('message-too-large', `message exceeds ${maxBytes} bytes`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError('malformed-json', 'message is not valid JSON');
  }
}

function hasOwn<K extends string>(o: Record<K, unknown>, key: string): key is K {
  return Object.hasOwn(o, key);
}

/**
 * Parse and validate a request a client sent (server side). Throws
 * ProtocolError; its `requestId` is set whenever the id could be read.
 */
export function parseRequest(text: string, maxBytes: number = LIMITS.maxMessageBytes): Request {
  const value = parseJson(text, maxBytes);
  const envelope = RequestEnvelope.safeParse(value);
  if (!envelope.success) {
    const id = RequestId.safeParse((value as { id?: unknown } | null)?.id);
    throw new ProtocolError(
      'invalid-message',
      `not a request: ${describeIssues(envelope.error)}`,
      id.success && typeof value === 'object' && !Array.isArray(value) ? id.data : null,
    );
  }
  const { id, method, data } = envelope.data;
  if (!hasOwn(requests, method)) {
    throw new ProtocolError('unknown-method', `unknown method "${method}"`, id);
  }
  const parsed = requests[method].data.safeParse(data);
  if (!parsed.success) {
    throw new ProtocolError('invalid-data', `${method}: ${describeIssues(parsed.error)}`, id);
  }
  return { id, method, data: parsed.data } as Request;
}

/**
 * Parse a message from the server (client side). A response's `data` is
 * checked later, against the method of the request it answers: see `parseResult`.
 */
export function parseServerMessage(
  text: string,
  maxBytes = Number.POSITIVE_INFINITY,
): ServerMessage {
  const value = parseJson(text, maxBytes);
  if (typeof value === 'object' && value !== null && 'ok' in value) {
    const response = Response.safeParse(value);
    if (!response.success) {
      throw new ProtocolError('invalid-message', `bad response: ${describeIssues(response.error)}`);
    }
    return { kind: 'response', response: response.data };
  }
  const envelope = NotificationEnvelope.safeParse(value);
  if (!envelope.success) {
    throw new ProtocolError(
      'invalid-message',
      `not a notification: ${describeIssues(envelope.error)}`,
    );
  }
  const { method, data } = envelope.data;
  if (!hasOwn(notifications, method)) {
    throw new ProtocolError('unknown-method', `unknown notification "${method}"`);
  }
  const parsed = notifications[method].safeParse(data);
  if (!parsed.success) {
    throw new ProtocolError('invalid-data', `${method}: ${describeIssues(parsed.error)}`);
  }
  return { kind: 'notification', notification: { method, data: parsed.data } as Notification };
}

/** Validate the data of a successful response to `method`. */
export function parseResult<M extends RequestMethod>(method: M, data: unknown): ResultData<M> {
  const parsed = requests[method].result.safeParse(data);
  if (!parsed.success) {
    throw new ProtocolError('invalid-data', `${method} result: ${describeIssues(parsed.error)}`);
  }
  return parsed.data as ResultData<M>;
}

/** Serialize a request. */
export function encodeRequest<M extends RequestMethod>(
  id: number,
  method: M,
  data: RequestData<M>,
): string {
  return JSON.stringify({ id, method, data });
}

/** Serialize a success response. */
export function encodeResult<M extends RequestMethod>(
  id: number,
  _method: M,
  data: ResultData<M>,
): string {
  return JSON.stringify({ id, ok: true, data });
}

/** Serialize an error response; the message is cut to the protocol's bound. */
export function encodeError(id: number | null, code: string, message: string): string {
  const text =
    message.length > LIMITS.maxErrorMessageLength
      ? `${message.slice(0, LIMITS.maxErrorMessageLength - 3)}...`
      : message;
  return JSON.stringify({ id, ok: false, error: { code, message: text } });
}

/** Serialize a notification. */
export function encodeNotification<M extends NotificationMethod>(
  method: M,
  data: NotificationData<M>,
): string {
  return JSON.stringify({ method, data });
}
