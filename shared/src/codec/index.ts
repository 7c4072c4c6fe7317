/**
 * The TLS presentation language as RFC 9420 uses it (§2.1): fixed-width
 * integers, the varint of §2.1.2, opaque vectors, optional values. Structs and
 * enums are written as sequences of these calls by the modules that own them.
 *
 * Decoding is strict: truncated input, trailing bytes, over-long lengths and
 * non-minimal varints throw DecodeError, and no length is trusted before it
 * has been checked against the input.
 */
export { DecodeError, type DecodeErrorCode, EncodeError } from './errors.js';
export { decode, Reader } from './reader.js';
export { readVarint, VARINT_MAX, varintSize, writeVarint } from './varint.js';
export { encode, Writer } from './writer.js';
