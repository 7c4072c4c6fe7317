// PrivateMessage protection (RFC 9420 §6.3): content encryption with keys from
// the secret tree and sender data encryption under the sender_data_secret.
import { DecodeError, Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { CryptoError } from '../crypto/errors.js';
import { MlsError } from './errors.js';
import {
  type ContentBody,
  ContentType,
  type ContentTypeName,
  decodeAuthData,
  decodeContentBody,
  encodeAuthData,
  encodeContentBody,
  type FramedContent,
  type FramedContentAuthData,
  type PrivateMessage,
  type SenderData,
} from './framing.js';
import { type RatchetType, type SecretTree, senderDataKeyNonce } from './secret-tree.js';

function ratchetTypeOf(contentType: ContentTypeName): RatchetType {
  return contentType === 'application' ? 'application' : 'handshake';
}

function contentAad(
  groupId: Uint8Array,
  epoch: bigint,
  contentType: ContentTypeName,
  ad: Uint8Array,
): Uint8Array {
  return new Writer(64 + ad.length)
    .opaque(groupId)
    .u64(epoch)
    .u8(ContentType[contentType])
    .opaque(ad)
    .finish();
}

function senderDataAad(
  groupId: Uint8Array,
  epoch: bigint,
  contentType: ContentTypeName,
): Uint8Array {
  return new Writer(64).opaque(groupId).u64(epoch).u8(ContentType[contentType]).finish();
}

function xorReuseGuard(nonce: Uint8Array, guard: Uint8Array): Uint8Array {
  const out = nonce.slice();
  for (let i = 0; i < 4; i++) out[i] ^= guard[i];
  return out;
}

/**
 * Encrypts member content as a PrivateMessage, using (and consuming) the
 * sender's next key. `paddingLength` zero bytes are appended (§6.3.1).
 */
export function encryptPrivateMessage(
  suite: CipherSuite,
  secretTree: SecretTree,
  senderDataSecret: Uint8Array,
  content: FramedContent,
  auth: FramedContentAuthData,
  paddingLength = 0,
): PrivateMessage {
  if (content.sender.type !== 'member') {
    throw new MlsError('invalid-value', 'only members send PrivateMessages');
  }
  const leafIndex = content.sender.leafIndex;
  const { generation, key, nonce } = secretTree.next(leafIndex, ratchetTypeOf(content.contentType));
  const reuseGuard = suite.randomBytes(4);
  const w = new Writer(1024);
  encodeContentBody(w, content);
  encodeAuthData(w, auth, content.contentType);
  w.bytes(new Uint8Array(paddingLength));
  const aad = contentAad(
    content.groupId,
    content.epoch,
    content.contentType,
    content.authenticatedData,
  );
  const ciphertext = suite.aead.seal(key, xorReuseGuard(nonce, reuseGuard), aad, w.finish());

  const senderData = new Writer(16).u32(leafIndex).u32(generation).bytes(reuseGuard).finish();
  const sd = senderDataKeyNonce(suite, senderDataSecret, ciphertext);
  const encryptedSenderData = suite.aead.seal(
    sd.key,
    sd.nonce,
    senderDataAad(content.groupId, content.epoch, content.contentType),
    senderData,
  );
  return {
    groupId: content.groupId,
    epoch: content.epoch,
    contentType: content.contentType,
    authenticatedData: content.authenticatedData,
    encryptedSenderData,
    ciphertext,
  };
}

/** A decrypted PrivateMessage whose key is not yet consumed. */
export interface DecryptedPrivateMessage {
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
  readonly senderData: SenderData;
  /** Deletes the message key; call once the content has been verified and accepted. */
  consume(): void;
}

/**
 * Decrypts sender data and content. Consumes nothing: the caller verifies the
 * signature, then calls consume(). Throws MlsError('decryption-failed') on any
 * authentication failure, and MlsError('secret-unavailable') for a used key.
 */
export function decryptPrivateMessage(
  suite: CipherSuite,
  secretTree: SecretTree,
  senderDataSecret: Uint8Array,
  message: PrivateMessage,
): DecryptedPrivateMessage {
  const sd = senderDataKeyNonce(suite, senderDataSecret, message.ciphertext);
  let senderDataBytes: Uint8Array;
  try {
    senderDataBytes = suite.aead.open(
      sd.key,
      sd.nonce,
      senderDataAad(message.groupId, message.epoch, message.contentType),
      message.encryptedSenderData,
    );
  } catch (e) {
    if (e instanceof CryptoError)
      throw new MlsError('decryption-failed', 'sender data did not decrypt');
    throw e;
  }
  if (senderDataBytes.length !== 12)
    throw new MlsError('decryption-failed', 'malformed sender data');
  const dv = new DataView(senderDataBytes.buffer, senderDataBytes.byteOffset, 12);
  const senderData: SenderData = {
    leafIndex: dv.getUint32(0),
    generation: dv.getUint32(4),
    reuseGuard: senderDataBytes.slice(8, 12),
  };
  const type = ratchetTypeOf(message.contentType);
  const { key, nonce } = secretTree.peek(senderData.leafIndex, type, senderData.generation);
  let plaintext: Uint8Array;
  try {
    plaintext = suite.aead.open(
      key,
      xorReuseGuard(nonce, senderData.reuseGuard),
      contentAad(message.groupId, message.epoch, message.contentType, message.authenticatedData),
      message.ciphertext,
    );
  } catch (e) {
    if (e instanceof CryptoError)
      throw new MlsError('decryption-failed', 'content did not decrypt');
    throw e;
  }
  const { body, auth } = decodePrivateMessageContent(plaintext, message.contentType);
  const content: FramedContent = {
    groupId: message.groupId,
    epoch: message.epoch,
    sender: { type: 'member', leafIndex: senderData.leafIndex },
    authenticatedData: message.authenticatedData,
    ...body,
  };
  return {
    content,
    auth,
    senderData,
    consume: () => secretTree.consume(senderData.leafIndex, type, senderData.generation),
  };
}

/** PrivateMessageContent: body, auth data, then zero padding only. */
function decodePrivateMessageContent(
  plaintext: Uint8Array,
  contentType: ContentTypeName,
): { body: ContentBody; auth: FramedContentAuthData } {
  const r = new Reader(plaintext);
  let body: ContentBody;
  let auth: FramedContentAuthData;
  try {
    body = decodeContentBody(r, contentType);
    auth = decodeAuthData(r, contentType);
  } catch (e) {
    if (e instanceof DecodeError)
      throw new MlsError('invalid-value', `private content: ${e.message}`);
    throw e;
  }
  for (let i = r.offset; i < plaintext.length; i++) {
    if (plaintext[i] !== 0) throw new MlsError('invalid-value', 'non-zero padding');
  }
  return { body, auth };
}
