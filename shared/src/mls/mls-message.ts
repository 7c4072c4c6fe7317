// MLSMessage (RFC 9420 §6): the envelope every message travels in on the wire.
import { decode, encode, type Reader, type Writer } from '../codec/index.js';
import { MlsError } from './errors.js';
import {
  decodePrivateMessage,
  decodePublicMessage,
  encodePrivateMessage,
  encodePublicMessage,
  type PrivateMessage,
  type PublicMessage,
  WireFormat,
  wireFormatName,
} from './framing.js';
import { decodeGroupInfo, encodeGroupInfo, type GroupInfo } from './group-info.js';
import { decodeKeyPackage, encodeKeyPackage, type KeyPackage } from './key-package.js';
import { decodeVersion, encodeVersion, MLS10 } from './version.js';
import { decodeWelcome, encodeWelcome, type Welcome } from './welcome.js';

export type MLSMessage =
  | { readonly wireFormat: 'public_message'; readonly publicMessage: PublicMessage }
  | { readonly wireFormat: 'private_message'; readonly privateMessage: PrivateMessage }
  | { readonly wireFormat: 'welcome'; readonly welcome: Welcome }
  | { readonly wireFormat: 'group_info'; readonly groupInfo: GroupInfo }
  | { readonly wireFormat: 'key_package'; readonly keyPackage: KeyPackage };

export function encodeMlsMessage(w: Writer, m: MLSMessage): void {
  encodeVersion(w, MLS10);
  w.u16(WireFormat[m.wireFormat]);
  switch (m.wireFormat) {
    case 'public_message':
      encodePublicMessage(w, m.publicMessage);
      break;
    case 'private_message':
      encodePrivateMessage(w, m.privateMessage);
      break;
    case 'welcome':
      encodeWelcome(w, m.welcome);
      break;
    case 'group_info':
      encodeGroupInfo(w, m.groupInfo);
      break;
    case 'key_package':
      encodeKeyPackage(w, m.keyPackage);
      break;
  }
}

export function decodeMlsMessage(r: Reader): MLSMessage {
  decodeVersion(r);
  const wireFormat = wireFormatName(r.u16());
  switch (wireFormat) {
    case 'public_message':
      return { wireFormat, publicMessage: decodePublicMessage(r) };
    case 'private_message':
      return { wireFormat, privateMessage: decodePrivateMessage(r) };
    case 'welcome':
      return { wireFormat, welcome: decodeWelcome(r) };
    case 'group_info':
      return { wireFormat, groupInfo: decodeGroupInfo(r) };
    case 'key_package':
      return { wireFormat, keyPackage: decodeKeyPackage(r) };
  }
}

/** Serializes an MLSMessage to wire bytes. */
export function serializeMlsMessage(m: MLSMessage): Uint8Array {
  return encode(encodeMlsMessage, m);
}

/** Parses wire bytes as one MLSMessage; throws DecodeError on any malformation. */
export function parseMlsMessage(bytes: Uint8Array): MLSMessage {
  return decode(decodeMlsMessage, bytes);
}

/**
 * The KeyPackage carried by an MLSMessage (as clients publish them). Throws
 * DecodeError on malformed bytes and MlsError('invalid-key-package') when the
 * message is another wire format. Validation happens where it is used.
 */
export function keyPackageFromMessage(bytes: Uint8Array): KeyPackage {
  const m = parseMlsMessage(bytes);
  if (m.wireFormat !== 'key_package') {
    throw new MlsError(
      'invalid-key-package',
      `expected a key_package message, got ${m.wireFormat}`,
    );
  }
  return m.keyPackage;
}
