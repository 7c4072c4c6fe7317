// messages.json: every structure decodes and re-encodes to the same bytes.
import { describe, expect, test } from 'vitest';
import { decode, encode, type Reader, type Writer } from '../../src/codec/index.js';
import { decodeCommit, encodeCommit } from '../../src/mls/commit.js';
import { decodeMlsMessage, encodeMlsMessage, type MLSMessage } from '../../src/mls/mls-message.js';
import { decodeRatchetTreeNodes, encodeRatchetTreeNodes } from '../../src/mls/node.js';
import { decodeProposal, encodeProposal, ProposalType } from '../../src/mls/proposal.js';
import { decodeGroupSecrets, encodeGroupSecrets } from '../../src/mls/welcome.js';
import { hex, loadVectors, toHex } from '../support/vectors.js';

type MessagesVector = Record<string, string>;
const vectors = loadVectors<MessagesVector[]>('mls/messages.json');

function roundTrip<T>(dec: (r: Reader) => T, enc: (w: Writer, v: T) => void, bytes: string): T {
  const value = decode(dec, hex(bytes));
  expect(toHex(encode(enc, value))).toBe(bytes);
  return value;
}

/** Proposal bodies in the file carry no type; prefix it and use the Proposal codec. */
function proposalBody(type: number, body: string): void {
  const prefix = type.toString(16).padStart(4, '0');
  const value = decode(decodeProposal, hex(prefix + body));
  expect(toHex(encode(encodeProposal, value))).toBe(prefix + body);
}

const expectedWireFormat: Record<string, MLSMessage['wireFormat']> = {
  mls_welcome: 'welcome',
  mls_group_info: 'group_info',
  mls_key_package: 'key_package',
  public_message_application: 'public_message',
  public_message_proposal: 'public_message',
  public_message_commit: 'public_message',
  private_message: 'private_message',
};

const contentTypeOf: Record<string, string> = {
  public_message_application: 'application',
  public_message_proposal: 'proposal',
  public_message_commit: 'commit',
};

describe(`messages.json (${vectors.length} vectors)`, () => {
  test.each(vectors.map((v, i) => [i, v] as const))('vector %i', (_i, v) => {
    for (const [field, wireFormat] of Object.entries(expectedWireFormat)) {
      const m = roundTrip(decodeMlsMessage, encodeMlsMessage, v[field]);
      expect(m.wireFormat, field).toBe(wireFormat);
      if (m.wireFormat === 'public_message') {
        expect(m.publicMessage.content.contentType).toBe(contentTypeOf[field]);
      }
    }
    roundTrip(decodeRatchetTreeNodes, encodeRatchetTreeNodes, v.ratchet_tree);
    roundTrip(decodeGroupSecrets, encodeGroupSecrets, v.group_secrets);
    roundTrip(decodeCommit, encodeCommit, v.commit);
    proposalBody(ProposalType.add, v.add_proposal);
    proposalBody(ProposalType.update, v.update_proposal);
    proposalBody(ProposalType.remove, v.remove_proposal);
    proposalBody(ProposalType.psk, v.pre_shared_key_proposal);
    proposalBody(ProposalType.reinit, v.re_init_proposal);
    proposalBody(ProposalType.external_init, v.external_init_proposal);
    proposalBody(ProposalType.group_context_extensions, v.group_context_extensions_proposal);
  });
});
