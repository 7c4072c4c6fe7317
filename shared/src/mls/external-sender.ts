// External proposals (RFC 9420 §12.1.8): a party outside the group, listed in
// the group's external_senders extension, proposes adds, removes and the like.
// Canopy's delivery service admits and removes participants this way.
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { MlsError } from './errors.js';
import type { FramedContent } from './framing.js';
import { serializeMlsMessage } from './mls-message.js';
import type { Proposal } from './proposal.js';
import { EXTERNAL_SENDER_PROPOSALS } from './proposal-list.js';
import { signFramedContent } from './public-message.js';

export interface ExternalProposalOptions {
  readonly groupId: Uint8Array;
  readonly epoch: bigint;
  /** This sender's index in the group's external_senders list. */
  readonly senderIndex: number;
  readonly signaturePrivateKey: Uint8Array;
  readonly proposal: Proposal;
  readonly authenticatedData?: Uint8Array;
}

/** Signs a proposal as an external sender; returns the PublicMessage as an MLSMessage. */
export function createExternalProposal(
  suite: CipherSuite,
  options: ExternalProposalOptions,
): Uint8Array {
  if (!EXTERNAL_SENDER_PROPOSALS.has(options.proposal.type)) {
    throw new MlsError('invalid-value', `external senders cannot propose ${options.proposal.type}`);
  }
  const content: FramedContent = {
    groupId: options.groupId,
    epoch: options.epoch,
    sender: { type: 'external', senderIndex: options.senderIndex },
    authenticatedData: options.authenticatedData ?? new Uint8Array(0),
    contentType: 'proposal',
    proposal: options.proposal,
  };
  const signature = signFramedContent(
    suite,
    options.signaturePrivateKey,
    'public_message',
    content,
  );
  return serializeMlsMessage({
    wireFormat: 'public_message',
    publicMessage: { content, auth: { signature } },
  });
}
