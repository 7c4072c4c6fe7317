// What a delivery service needs to route an MLSMessage without processing it.
import { MlsError } from './errors.js';
import type { Sender } from './framing.js';
import { parseMlsMessage } from './mls-message.js';

/** Routing facts of an MLSMessage: wire format, group, epoch, content type, sender. */
export interface MessageInfo {
  readonly wireFormat:
    | 'public_message'
    | 'private_message'
    | 'welcome'
    | 'group_info'
    | 'key_package';
  readonly groupId?: Uint8Array;
  readonly epoch?: bigint;
  readonly contentType?: 'application' | 'proposal' | 'commit';
  /** Known for PublicMessages only (a PrivateMessage encrypts its sender). */
  readonly sender?: Sender;
}

/** Parses an MLSMessage just enough to route it; throws DecodeError on malformed bytes. */
export function inspectMessage(bytes: Uint8Array): MessageInfo {
  const m = parseMlsMessage(bytes);
  switch (m.wireFormat) {
    case 'public_message': {
      const c = m.publicMessage.content;
      return {
        wireFormat: m.wireFormat,
        groupId: c.groupId,
        epoch: c.epoch,
        contentType: c.contentType,
        sender: c.sender,
      };
    }
    case 'private_message': {
      const p = m.privateMessage;
      return {
        wireFormat: m.wireFormat,
        groupId: p.groupId,
        epoch: p.epoch,
        contentType: p.contentType,
      };
    }
    case 'group_info':
      return {
        wireFormat: m.wireFormat,
        groupId: m.groupInfo.groupContext.groupId,
        epoch: m.groupInfo.groupContext.epoch,
      };
    case 'welcome':
    case 'key_package':
      return { wireFormat: m.wireFormat };
    default:
      throw new MlsError('invalid-value', 'unknown wire format');
  }
}
