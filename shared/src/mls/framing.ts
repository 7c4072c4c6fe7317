// Message framing structures (RFC 9420 §6): Sender, FramedContent and its
// to-be-signed / to-be-MACed forms, authentication data, PublicMessage and
// PrivateMessage. Signing, MACing and encryption live in public-message.ts and
// private-message.ts.
import { DecodeError, type Reader, Writer } from '../codec/index.js';
import { type Commit, decodeCommit, encodeCommit } from './commit.js';
import { decodeProposal, encodeProposal, type Proposal } from './proposal.js';
import { MLS10 } from './version.js';

export const WireFormat = {
  public_message: 1,
  private_message: 2,
  welcome: 3,
  group_info: 4,
  key_package: 5,
} as const;
export type WireFormatName = keyof typeof WireFormat;

export const ContentType = { application: 1, proposal: 2, commit: 3 } as const;
export type ContentTypeName = keyof typeof ContentType;

export const SenderType = {
  member: 1,
  external: 2,
  new_member_proposal: 3,
  new_member_commit: 4,
} as const;

export type Sender =
  | { readonly type: 'member'; readonly leafIndex: number }
  | { readonly type: 'external'; readonly senderIndex: number }
  | { readonly type: 'new_member_proposal' }
  | { readonly type: 'new_member_commit' };

export type ContentBody =
  | { readonly contentType: 'application'; readonly applicationData: Uint8Array }
  | { readonly contentType: 'proposal'; readonly proposal: Proposal }
  | { readonly contentType: 'commit'; readonly commit: Commit };

export type FramedContent = {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly sender: Sender;
  readonly authenticatedData: Uint8Array;
} & ContentBody;

export interface FramedContentAuthData {
  readonly signature: Uint8Array;
  /** Present exactly when the content is a commit. */
  readonly confirmationTag?: Uint8Array;
}

export interface AuthenticatedContent {
  readonly wireFormat: WireFormatName;
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
}

export interface PublicMessage {
  readonly content: FramedContent;
  readonly auth: FramedContentAuthData;
  /** Present exactly when the sender is a member. */
  readonly membershipTag?: Uint8Array;
}

export interface PrivateMessage {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  readonly contentType: ContentTypeName;
  readonly authenticatedData: Uint8Array;
  readonly encryptedSenderData: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** SenderData (§6.3.2), encrypted under the sender data key. */
export interface SenderData {
  readonly leafIndex: number;
  readonly generation: number;
  readonly reuseGuard: Uint8Array;
}

export function contentTypeName(n: number): ContentTypeName {
  if (n === 1) return 'application';
  if (n === 2) return 'proposal';
  if (n === 3) return 'commit';
  throw new DecodeError('invalid-value', `content type ${n}`);
}

export function wireFormatName(n: number): WireFormatName {
  const names: WireFormatName[] = [
    'public_message',
    'private_message',
    'welcome',
    'group_info',
    'key_package',
  ];
  const name = names[n - 1];
  if (name === undefined) throw new DecodeError('invalid-value', `wire format ${n}`);
  return name;
}

export function encodeSender(w: Writer, s: Sender): void {
  w.u8(SenderType[s.type]);
  if (s.type === 'member') w.u32(s.leafIndex);
  else if (s.type === 'external') w.u32(s.senderIndex);
}

export function decodeSender(r: Reader): Sender {
  const type = r.u8();
  switch (type) {
    case SenderType.member:
      return { type: 'member', leafIndex: r.u32() };
    case SenderType.external:
      return { type: 'external', senderIndex: r.u32() };
    case SenderType.new_member_proposal:
      return { type: 'new_member_proposal' };
    case SenderType.new_member_commit:
      return { type: 'new_member_commit' };
    default:
      throw new DecodeError('invalid-value', `sender type ${type}`);
  }
}

/** The content body without its content type byte (PrivateMessageContent layout). */
export function encodeContentBody(w: Writer, c: ContentBody): void {
  if (c.contentType === 'application') w.opaque(c.applicationData);
  else if (c.contentType === 'proposal') encodeProposal(w, c.proposal);
  else encodeCommit(w, c.commit);
}

export function decodeContentBody(r: Reader, contentType: ContentTypeName): ContentBody {
  if (contentType === 'application') return { contentType, applicationData: r.opaque() };
  if (contentType === 'proposal') return { contentType, proposal: decodeProposal(r) };
  return { contentType, commit: decodeCommit(r) };
}

export function encodeFramedContent(w: Writer, c: FramedContent): void {
  w.opaque(c.groupId).u64(c.epoch);
  encodeSender(w, c.sender);
  w.opaque(c.authenticatedData).u8(ContentType[c.contentType]);
  encodeContentBody(w, c);
}

export function decodeFramedContent(r: Reader): FramedContent {
  const groupId = r.opaque();
  const epoch = r.u64();
  const sender = decodeSender(r);
  const authenticatedData = r.opaque();
  const body = decodeContentBody(r, contentTypeName(r.u8()));
  return { groupId, epoch, sender, authenticatedData, ...body };
}

export function encodeAuthData(
  w: Writer,
  a: FramedContentAuthData,
  contentType: ContentTypeName,
): void {
  w.opaque(a.signature);
  if (contentType === 'commit') {
    if (!a.confirmationTag)
      throw new DecodeError('invalid-value', 'commit without confirmation tag');
    w.opaque(a.confirmationTag);
  }
}

export function decodeAuthData(r: Reader, contentType: ContentTypeName): FramedContentAuthData {
  const signature = r.opaque();
  return contentType === 'commit' ? { signature, confirmationTag: r.opaque() } : { signature };
}

/**
 * FramedContentTBS (§6.1). `context` is the serialized GroupContext, required
 * for member and new-member-commit senders and absent otherwise.
 */
export function framedContentTbs(
  wireFormat: WireFormatName,
  content: FramedContent,
  context?: Uint8Array,
): Uint8Array {
  const w = new Writer(512);
  w.u16(MLS10).u16(WireFormat[wireFormat]);
  encodeFramedContent(w, content);
  const t = content.sender.type;
  if (t === 'member' || t === 'new_member_commit') {
    if (!context)
      throw new DecodeError('invalid-value', 'member content is signed with the group context');
    w.bytes(context);
  }
  return w.finish();
}

export function encodeAuthenticatedContent(w: Writer, ac: AuthenticatedContent): void {
  w.u16(WireFormat[ac.wireFormat]);
  encodeFramedContent(w, ac.content);
  encodeAuthData(w, ac.auth, ac.content.contentType);
}

export function decodeAuthenticatedContent(r: Reader): AuthenticatedContent {
  const wireFormat = wireFormatName(r.u16());
  const content = decodeFramedContent(r);
  return { wireFormat, content, auth: decodeAuthData(r, content.contentType) };
}

export function encodePublicMessage(w: Writer, m: PublicMessage): void {
  encodeFramedContent(w, m.content);
  encodeAuthData(w, m.auth, m.content.contentType);
  if (m.content.sender.type === 'member') {
    if (!m.membershipTag)
      throw new DecodeError('invalid-value', 'member message without membership tag');
    w.opaque(m.membershipTag);
  }
}

export function decodePublicMessage(r: Reader): PublicMessage {
  const content = decodeFramedContent(r);
  const auth = decodeAuthData(r, content.contentType);
  if (content.sender.type === 'member') return { content, auth, membershipTag: r.opaque() };
  return { content, auth };
}

export function encodePrivateMessage(w: Writer, m: PrivateMessage): void {
  w.opaque(m.groupId).u64(m.epoch).u8(ContentType[m.contentType]);
  w.opaque(m.authenticatedData).opaque(m.encryptedSenderData).opaque(m.ciphertext);
}

export function decodePrivateMessage(r: Reader): PrivateMessage {
  return {
    groupId: r.opaque(),
    epoch: r.u64(),
    contentType: contentTypeName(r.u8()),
    authenticatedData: r.opaque(),
    encryptedSenderData: r.opaque(),
    ciphertext: r.opaque(),
  };
}
