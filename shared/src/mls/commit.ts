// Commit and ProposalOrRef (RFC 9420 §12.4).
import { DecodeError, type Reader, type Writer } from '../codec/index.js';
import { decodeProposal, encodeProposal, type Proposal } from './proposal.js';
import { decodeUpdatePath, encodeUpdatePath, type UpdatePath } from './update-path.js';

export type ProposalOrRef =
  | { readonly type: 'proposal'; readonly proposal: Proposal }
  | { readonly type: 'reference'; readonly reference: Uint8Array };

export interface Commit {
  readonly proposals: readonly ProposalOrRef[];
  readonly path?: UpdatePath;
}

export function encodeProposalOrRef(w: Writer, p: ProposalOrRef): void {
  if (p.type === 'proposal') {
    w.u8(1);
    encodeProposal(w, p.proposal);
  } else {
    w.u8(2).opaque(p.reference);
  }
}

export function decodeProposalOrRef(r: Reader): ProposalOrRef {
  const type = r.u8();
  if (type === 1) return { type: 'proposal', proposal: decodeProposal(r) };
  if (type === 2) return { type: 'reference', reference: r.opaque() };
  throw new DecodeError('invalid-value', `proposal-or-ref type ${type}`);
}

export function encodeCommit(w: Writer, c: Commit): void {
  w.vector(c.proposals, encodeProposalOrRef);
  w.optional(c.path, encodeUpdatePath);
}

export function decodeCommit(r: Reader): Commit {
  const proposals = r.vector(decodeProposalOrRef);
  const path = r.optional(decodeUpdatePath);
  return path ? { proposals, path } : { proposals };
}
