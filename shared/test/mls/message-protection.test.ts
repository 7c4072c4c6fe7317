import { afterAll, describe, expect, test } from 'vitest';
import { decode, encode } from '../../src/codec/index.js';
import { decodeCommit, encodeCommit } from '../../src/mls/commit.js';
import { MlsError } from '../../src/mls/errors.js';
import type { ContentBody, FramedContent, FramedContentAuthData } from '../../src/mls/framing.js';
import { groupContext, serializeGroupContext } from '../../src/mls/group-context.js';
import { parseMlsMessage, serializeMlsMessage } from '../../src/mls/mls-message.js';
import { decryptPrivateMessage, encryptPrivateMessage } from '../../src/mls/private-message.js';
import { decodeProposal, encodeProposal } from '../../src/mls/proposal.js';
import {
  createPublicMessage,
  signFramedContent,
  verifyFramedContent,
  verifyMembershipTag,
} from '../../src/mls/public-message.js';
import { SecretTree } from '../../src/mls/secret-tree.js';
import { suiteOrUndefined } from '../support/suites.js';
import { hex, loadVectors, toHex, VectorTally } from '../support/vectors.js';

interface ProtectionVector {
  cipher_suite: number;
  group_id: string;
  epoch: number;
  tree_hash: string;
  confirmed_transcript_hash: string;
  signature_priv: string;
  signature_pub: string;
  encryption_secret: string;
  sender_data_secret: string;
  membership_key: string;
  proposal: string;
  proposal_pub: string;
  proposal_priv: string;
  commit: string;
  commit_pub: string;
  commit_priv: string;
  application: string;
  application_priv: string;
}

function bodyHex(b: ContentBody): string {
  if (b.contentType === 'application') return toHex(b.applicationData);
  if (b.contentType === 'proposal') return toHex(encode(encodeProposal, b.proposal));
  return toHex(encode(encodeCommit, b.commit));
}

describe('message-protection.json', () => {
  const tally = new VectorTally('message-protection.json');
  afterAll(() => tally.report());
  const vectors = loadVectors<ProtectionVector[]>('mls/message-protection.json');

  test.each(vectors)('suite $cipher_suite', (v) => {
    const suite = suiteOrUndefined(v.cipher_suite);
    if (!suite) return tally.skip(v.cipher_suite);
    const groupId = hex(v.group_id);
    const epoch = BigInt(v.epoch);
    const gc = serializeGroupContext(
      groupContext({
        cipherSuite: v.cipher_suite,
        groupId,
        epoch,
        treeHash: hex(v.tree_hash),
        confirmedTranscriptHash: hex(v.confirmed_transcript_hash),
        extensions: [],
      }),
    );
    const sigPriv = hex(v.signature_priv);
    const sigPub = hex(v.signature_pub);
    const membershipKey = hex(v.membership_key);
    const senderDataSecret = hex(v.sender_data_secret);
    const tree = () => new SecretTree(suite, hex(v.encryption_secret), 2);

    const bodies: [string, ContentBody, string | undefined, string][] = [
      [
        'proposal',
        { contentType: 'proposal', proposal: decode(decodeProposal, hex(v.proposal)) },
        v.proposal_pub,
        v.proposal_priv,
      ],
      [
        'commit',
        { contentType: 'commit', commit: decode(decodeCommit, hex(v.commit)) },
        v.commit_pub,
        v.commit_priv,
      ],
      [
        'application',
        { contentType: 'application', applicationData: hex(v.application) },
        undefined,
        v.application_priv,
      ],
    ];
    for (const [name, body, pubHex, privHex] of bodies) {
      const expected = bodyHex(body);
      // 1. the vector's PublicMessage verifies and carries the raw value
      if (pubHex) {
        const m = parseMlsMessage(hex(pubHex));
        if (m.wireFormat !== 'public_message') throw new Error(`${name}: not a PublicMessage`);
        const pm = m.publicMessage;
        expect(pm.content.sender).toEqual({ type: 'member', leafIndex: 1 });
        expect(verifyMembershipTag(suite, membershipKey, pm, gc), `${name} membership tag`).toBe(
          true,
        );
        expect(
          verifyFramedContent(suite, sigPub, 'public_message', pm.content, pm.auth.signature, gc),
          `${name} signature`,
        ).toBe(true);
        expect(bodyHex(pm.content)).toBe(expected);
      }
      // 2. our own PublicMessage protection verifies (and is refused for application data)
      const content: FramedContent = {
        groupId,
        epoch,
        sender: { type: 'member', leafIndex: 1 },
        authenticatedData: new Uint8Array(0),
        ...body,
      };
      const auth = (wf: 'public_message' | 'private_message'): FramedContentAuthData => ({
        signature: signFramedContent(suite, sigPriv, wf, content, gc),
        ...(body.contentType === 'commit'
          ? { confirmationTag: suite.randomBytes(suite.hash.size) }
          : {}),
      });
      if (body.contentType === 'application') {
        expect(() =>
          createPublicMessage(suite, content, auth('public_message'), membershipKey, gc),
        ).toThrow(MlsError);
      } else {
        const pm = createPublicMessage(suite, content, auth('public_message'), membershipKey, gc);
        const back = parseMlsMessage(
          serializeMlsMessage({ wireFormat: 'public_message', publicMessage: pm }),
        );
        if (back.wireFormat !== 'public_message') throw new Error('round trip');
        expect(verifyMembershipTag(suite, membershipKey, back.publicMessage, gc)).toBe(true);
        expect(
          verifyFramedContent(
            suite,
            sigPub,
            'public_message',
            back.publicMessage.content,
            back.publicMessage.auth.signature,
            gc,
          ),
        ).toBe(true);
      }
      // 3. the vector's PrivateMessage decrypts with a fresh secret tree and verifies
      const pm = parseMlsMessage(hex(privHex));
      if (pm.wireFormat !== 'private_message') throw new Error(`${name}: not a PrivateMessage`);
      const dec = decryptPrivateMessage(suite, tree(), senderDataSecret, pm.privateMessage);
      expect(dec.content.sender).toEqual({ type: 'member', leafIndex: 1 });
      expect(
        verifyFramedContent(suite, sigPub, 'private_message', dec.content, dec.auth.signature, gc),
      ).toBe(true);
      expect(bodyHex(dec.content)).toBe(expected);
      // 4. our own PrivateMessage decrypts with an independent tree
      const ours = encryptPrivateMessage(
        suite,
        tree(),
        senderDataSecret,
        content,
        auth('private_message'),
        7,
      );
      const wire = parseMlsMessage(
        serializeMlsMessage({ wireFormat: 'private_message', privateMessage: ours }),
      );
      if (wire.wireFormat !== 'private_message') throw new Error('round trip');
      const receiverTree = tree();
      const mine = decryptPrivateMessage(
        suite,
        receiverTree,
        senderDataSecret,
        wire.privateMessage,
      );
      expect(
        verifyFramedContent(
          suite,
          sigPub,
          'private_message',
          mine.content,
          mine.auth.signature,
          gc,
        ),
      ).toBe(true);
      expect(bodyHex(mine.content)).toBe(expected);
      mine.consume();
      expect(() =>
        decryptPrivateMessage(suite, receiverTree, senderDataSecret, wire.privateMessage),
      ).toThrow(expect.objectContaining({ code: 'secret-unavailable' }));
    }
    tally.pass(v.cipher_suite);
  });

  test('tampering with a PrivateMessage is detected and consumes nothing', () => {
    const v = vectors.find((x) => x.cipher_suite === 1)!;
    const suite = suiteOrUndefined(1)!;
    const m = parseMlsMessage(hex(v.application_priv));
    if (m.wireFormat !== 'private_message') throw new Error('not private');
    const tree = new SecretTree(suite, hex(v.encryption_secret), 2);
    const sds = hex(v.sender_data_secret);
    const ct = m.privateMessage.ciphertext.slice();
    ct[ct.length - 1] ^= 1;
    expect(() =>
      decryptPrivateMessage(suite, tree, sds, { ...m.privateMessage, ciphertext: ct }),
    ).toThrow(MlsError);
    const esd = m.privateMessage.encryptedSenderData.slice();
    esd[0] ^= 1;
    expect(() =>
      decryptPrivateMessage(suite, tree, sds, { ...m.privateMessage, encryptedSenderData: esd }),
    ).toThrow(expect.objectContaining({ code: 'decryption-failed' }));
    expect(() =>
      decryptPrivateMessage(suite, tree, sds, { ...m.privateMessage, epoch: 99n }),
    ).toThrow(MlsError);
    // the genuine message still decrypts: failures consumed nothing
    expect(toHex(decryptPrivateMessage(suite, tree, sds, m.privateMessage).content.groupId)).toBe(
      v.group_id,
    );
  });
});
