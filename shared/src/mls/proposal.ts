// Proposals (RFC 9420 §12.1).
import { DecodeError, type Reader, type Writer } from '../codec/index.js';
import { decodeExtensions, type Extension, encodeExtensions } from './extensions.js';
import { decodeKeyPackage, encodeKeyPackage, type KeyPackage } from './key-package.js';
import { decodeLeafNode, encodeLeafNode, type LeafNode } from './leaf-node.js';
import { decodePreSharedKeyId, encodePreSharedKeyId, type PreSharedKeyId } from './psk.js';
import { decodeVersion, encodeVersion } from './version.js';

export const ProposalType = {
  add: 1,
  update: 2,
  remove: 3,
  psk: 4,
  reinit: 5,
  external_init: 6,
  group_context_extensions: 7,
} as const;

export type ProposalKind = keyof typeof ProposalType;

export type Proposal =
  | { readonly type: 'add'; readonly keyPackage: KeyPackage }
  | { readonly type: 'update'; readonly leafNode: LeafNode }
  | { readonly type: 'remove'; readonly removed: number }
  | { readonly type: 'psk'; readonly psk: PreSharedKeyId }
  | {
      readonly type: 'reinit';
      readonly groupId: Uint8Array;
      readonly version: number;
      readonly cipherSuite: number;
      readonly extensions: readonly Extension[];
    }
  | { readonly type: 'external_init'; readonly kemOutput: Uint8Array }
  | { readonly type: 'group_context_extensions'; readonly extensions: readonly Extension[] };

export function encodeProposal(w: Writer, p: Proposal): void {
  w.u16(ProposalType[p.type]);
  switch (p.type) {
    case 'add':
      encodeKeyPackage(w, p.keyPackage);
      break;
    case 'update':
      encodeLeafNode(w, p.leafNode);
      break;
    case 'remove':
      w.u32(p.removed);
      break;
    case 'psk':
      encodePreSharedKeyId(w, p.psk);
      break;
    case 'reinit':
      w.opaque(p.groupId);
      encodeVersion(w, p.version);
      w.u16(p.cipherSuite);
      encodeExtensions(w, p.extensions);
      break;
    case 'external_init':
      w.opaque(p.kemOutput);
      break;
    case 'group_context_extensions':
      encodeExtensions(w, p.extensions);
      break;
  }
}

export function decodeProposal(r: Reader): Proposal {
  const type = r.u16();
  switch (type) {
    case ProposalType.add:
      return { type: 'add', keyPackage: decodeKeyPackage(r) };
    case ProposalType.update:
      return { type: 'update', leafNode: decodeLeafNode(r) };
    case ProposalType.remove:
      return { type: 'remove', removed: r.u32() };
    case ProposalType.psk:
      return { type: 'psk', psk: decodePreSharedKeyId(r) };
    case ProposalType.reinit: {
      const groupId = r.opaque();
      const version = decodeVersion(r);
      const cipherSuite = r.u16();
      return { type: 'reinit', groupId, version, cipherSuite, extensions: decodeExtensions(r) };
    }
    case ProposalType.external_init:
      return { type: 'external_init', kemOutput: r.opaque() };
    case ProposalType.group_context_extensions:
      return { type: 'group_context_extensions', extensions: decodeExtensions(r) };
    default:
      throw new DecodeError('invalid-value', `proposal type ${type}`);
  }
}
