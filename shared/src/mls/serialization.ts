// Saving and restoring a member's group state, and a KeyPackage bundle, as
// versioned TLS-encoded bytes. The bytes hold private keys and epoch secrets:
// store them as carefully as the keys themselves.
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DecodeError, decode, encode, type Reader, Writer } from '../codec/index.js';
import { type CryptoProvider, getCipherSuite } from '../crypto/index.js';
import { MlsError } from './errors.js';
import { decodeSender, encodeSender } from './framing.js';
import { type GroupOptions, MlsGroup } from './group.js';
import { decodeGroupContext, encodeGroupContext, serializeGroupContext } from './group-context.js';
import type { MemberState, MemberStatus } from './group-state.js';
import type { KeyPackageBundle } from './identity.js';
import type { EpochSecrets } from './key-schedule.js';
import { decodeMlsMessage, encodeMlsMessage } from './mls-message.js';
import { decodeRatchetTreeNodes, encodeRatchetTreeNodes } from './node.js';
import { decodeProposal, encodeProposal } from './proposal.js';
import type { ProposalEntry } from './proposal-list.js';
import { PskStore } from './psk.js';
import { refKey } from './public-group.js';
import { RatchetTree } from './ratchet-tree.js';
import { SecretTree, type SecretTreeState } from './secret-tree.js';
import type { NodeKey } from './treekem.js';

/** PSK store keys are ASCII (hex and digits). */
function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

const GROUP_FORMAT = 1;
const BUNDLE_FORMAT = 1;

const SECRET_FIELDS: (keyof EpochSecrets)[] = [
  'joinerSecret',
  'welcomeSecret',
  'senderDataSecret',
  'encryptionSecret',
  'exporterSecret',
  'externalSecret',
  'confirmationKey',
  'membershipKey',
  'resumptionPsk',
  'epochAuthenticator',
  'initSecret',
];
const STATUSES: MemberStatus[] = ['active', 'removed', 'reinit'];

function writeKey(w: Writer, k: NodeKey): void {
  w.opaque(k.privateKey).opaque(k.publicKey);
}

function readKey(r: Reader): NodeKey {
  return { privateKey: r.opaque(), publicKey: r.opaque() };
}

function writeSecretTree(w: Writer, s: SecretTreeState): void {
  w.u32(s.nLeaves);
  w.vector(s.nodes, (w2, [x, secret]) => w2.u32(x).opaque(secret));
  w.vector(s.ratchets, (w2, [leaf, type, next, secret, retained]) => {
    w2.u32(leaf)
      .u8(type === 'handshake' ? 0 : 1)
      .u32(next)
      .opaque(secret);
    w2.vector(retained, (w3, k) => w3.u32(k.generation).opaque(k.key).opaque(k.nonce));
  });
}

function readSecretTree(r: Reader): SecretTreeState {
  const nLeaves = r.u32();
  const nodes = r.vector((r2) => [r2.u32(), r2.opaque()] as [number, Uint8Array]);
  const ratchets = r.vector((r2) => {
    const leaf = r2.u32();
    const t = r2.u8();
    if (t > 1) throw new DecodeError('invalid-value', `ratchet type ${t}`);
    const next = r2.u32();
    const secret = r2.opaque();
    const retained = r2.vector((r3) => ({
      generation: r3.u32(),
      key: r3.opaque(),
      nonce: r3.opaque(),
    }));
    return [
      leaf,
      t === 0 ? 'handshake' : 'application',
      next,
      secret,
      retained,
    ] as SecretTreeState['ratchets'][number];
  });
  return { nLeaves, nodes, ratchets };
}

/**
 * Serializes a group (its current epoch; a commit still pending confirmation is
 * not included, so merge or discard it first).
 */
export function serializeGroup(group: MlsGroup): Uint8Array {
  const { state: s, options, psks } = group.snapshot();
  const w = new Writer(4096);
  {
    w.u16(GROUP_FORMAT).u16(s.pub.suite.id);
    encodeGroupContext(w, s.pub.context);
    encodeRatchetTreeNodes(w, s.pub.tree.toNodes());
    w.opaque(s.pub.interimTranscriptHash).opaque(s.pub.confirmationTag);
    w.u32(s.myLeaf).opaque(s.signaturePrivateKey);
    w.vector(s.keys, (w2, [x, k]) => {
      w2.u32(x);
      writeKey(w2, k);
    });
    for (const f of SECRET_FIELDS) w.opaque(s.secrets[f]);
    writeSecretTree(w, s.secretTree.exportState());
    w.vector(s.proposals.values(), (w2, e) => {
      w2.opaque(e.ref ?? new Uint8Array(0));
      encodeSender(w2, e.sender);
      encodeProposal(w2, e.proposal);
    });
    w.vector(s.updateKeys.values(), writeKey);
    w.u8(STATUSES.indexOf(s.status));
    const p = psks.entries();
    w.vector(p.external, (w2, [k, v]) => w2.opaque(utf8ToBytes(k)).opaque(v));
    w.vector(p.resumption, (w2, [k, v]) => w2.opaque(utf8ToBytes(k)).opaque(v));
    w.u8(options.handshakeWireFormat === 'private_message' ? 1 : 0);
  }
  return w.finish();
}

/**
 * Restores a group from serializeGroup() bytes. Functions in GroupOptions (the
 * credential validator, the clock) are not stored: pass them again here.
 * `provider` picks the crypto implementation (e.g. Node's native one).
 */
export function restoreGroup(
  bytes: Uint8Array,
  options: Omit<GroupOptions, 'handshakeWireFormat'> & { provider?: CryptoProvider } = {},
): MlsGroup {
  try {
    return decode((r) => {
      const format = r.u16();
      if (format !== GROUP_FORMAT)
        throw new MlsError('unsupported', `group state format ${format}`);
      const suite = getCipherSuite(r.u16(), options.provider);
      const context = decodeGroupContext(r);
      if (context.cipherSuite !== suite.id)
        throw new MlsError('invalid-value', 'cipher suite mismatch');
      const tree = RatchetTree.fromNodes(suite, decodeRatchetTreeNodes(r));
      const interimTranscriptHash = r.opaque();
      const confirmationTag = r.opaque();
      const myLeaf = r.u32();
      const signaturePrivateKey = r.opaque();
      const keys = new Map(r.vector((r2) => [r2.u32(), readKey(r2)] as [number, NodeKey]));
      const secrets = Object.fromEntries(
        SECRET_FIELDS.map((f) => [f, r.opaque()]),
      ) as unknown as EpochSecrets;
      const secretTree = SecretTree.fromState(suite, readSecretTree(r));
      const proposals = new Map<string, ProposalEntry>();
      for (const e of r.vector((r2) => ({
        ref: r2.opaque(),
        sender: decodeSender(r2),
        proposal: decodeProposal(r2),
      }))) {
        proposals.set(refKey(e.ref), e);
      }
      const updateKeys = new Map(
        r.vector(readKey).map((k) => [refKey(k.publicKey), k] as [string, NodeKey]),
      );
      const status = STATUSES[r.u8()];
      if (!status) throw new DecodeError('invalid-value', 'member status');
      const psks = PskStore.fromEntries({
        external: r.vector((r2) => [ascii(r2.opaque()), r2.opaque()] as [string, Uint8Array]),
        resumption: r.vector((r2) => [ascii(r2.opaque()), r2.opaque()] as [string, Uint8Array]),
      });
      const handshakeWireFormat = r.u8() === 1 ? 'private_message' : 'public_message';
      if (!tree.leaf(myLeaf) && status === 'active')
        throw new MlsError('invalid-value', 'own leaf is blank');
      tree.adopt();
      const state: MemberState = {
        pub: {
          suite,
          context,
          contextBytes: serializeGroupContext(context),
          tree,
          interimTranscriptHash,
          confirmationTag,
        },
        myLeaf,
        signaturePrivateKey,
        keys,
        secrets,
        secretTree,
        proposals,
        updateKeys,
        status,
      };
      return MlsGroup.fromSnapshot(state, { ...options, handshakeWireFormat }, psks);
    }, bytes);
  } catch (e) {
    if (e instanceof MlsError || e instanceof DecodeError) throw e;
    throw new MlsError('invalid-value', `group state does not restore: ${(e as Error).message}`);
  }
}

/** Serializes a KeyPackage with the private keys needed to join with it. */
export function serializeKeyPackageBundle(b: KeyPackageBundle): Uint8Array {
  const w = new Writer(1024).u16(BUNDLE_FORMAT);
  encodeMlsMessage(w, { wireFormat: 'key_package', keyPackage: b.keyPackage });
  w.opaque(b.initPrivateKey).opaque(b.encryptionPrivateKey).opaque(b.identity.signaturePrivateKey);
  return w.finish();
}

export function restoreKeyPackageBundle(bytes: Uint8Array): KeyPackageBundle {
  return decode((r) => {
    const format = r.u16();
    if (format !== BUNDLE_FORMAT)
      throw new MlsError('unsupported', `key package bundle format ${format}`);
    const m = decodeMlsMessage(r);
    if (m.wireFormat !== 'key_package') throw new DecodeError('invalid-value', 'not a key package');
    const kp = m.keyPackage;
    const initPrivateKey = r.opaque();
    const encryptionPrivateKey = r.opaque();
    const signaturePrivateKey = r.opaque();
    return {
      keyPackage: kp,
      message: encode(encodeMlsMessage, m),
      initPrivateKey,
      encryptionPrivateKey,
      identity: {
        credential: kp.leafNode.credential,
        signaturePrivateKey,
        signaturePublicKey: kp.leafNode.signatureKey,
      },
    };
  }, bytes);
}
