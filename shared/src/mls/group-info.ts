// GroupInfo (RFC 9420 §12.4.3): what a joiner needs besides the tree, signed by
// a member; its encoding, signature, and the GroupInfo of a member's epoch.
import { type Reader, Writer } from '../codec/index.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import {
  decodeExtensions,
  type Extension,
  ExtensionType,
  encodeExtensions,
  encodeExternalPub,
} from './extensions.js';
import { decodeGroupContext, encodeGroupContext, type GroupContext } from './group-context.js';
import type { MemberState } from './group-state.js';
import { externalKeyPair } from './key-schedule.js';

export interface GroupInfo {
  readonly groupContext: GroupContext;
  readonly extensions: readonly Extension[];
  readonly confirmationTag: Uint8Array;
  readonly signer: number;
  readonly signature: Uint8Array;
}

function encodeContent(w: Writer, gi: Omit<GroupInfo, 'signature'>): void {
  encodeGroupContext(w, gi.groupContext);
  encodeExtensions(w, gi.extensions);
  w.opaque(gi.confirmationTag).u32(gi.signer);
}

export function encodeGroupInfo(w: Writer, gi: GroupInfo): void {
  encodeContent(w, gi);
  w.opaque(gi.signature);
}

export function decodeGroupInfo(r: Reader): GroupInfo {
  return {
    groupContext: decodeGroupContext(r),
    extensions: decodeExtensions(r),
    confirmationTag: r.opaque(),
    signer: r.u32(),
    signature: r.opaque(),
  };
}

export function groupInfoTbs(gi: Omit<GroupInfo, 'signature'>): Uint8Array {
  const w = new Writer(512);
  encodeContent(w, gi);
  return w.finish();
}

export function signGroupInfo(
  suite: CipherSuite,
  signaturePrivateKey: Uint8Array,
  content: Omit<GroupInfo, 'signature'>,
): GroupInfo {
  return {
    ...content,
    signature: suite.signWithLabel(signaturePrivateKey, 'GroupInfoTBS', groupInfoTbs(content)),
  };
}

export function verifyGroupInfoSignature(
  suite: CipherSuite,
  gi: GroupInfo,
  signerPublicKey: Uint8Array,
): boolean {
  return suite.verifyWithLabel(signerPublicKey, 'GroupInfoTBS', groupInfoTbs(gi), gi.signature);
}

/** The GroupInfo of a member's current epoch, signed by it (§12.4.3). */
export function buildGroupInfo(
  state: MemberState,
  options: {
    withExternalPub?: boolean;
    withRatchetTree?: boolean;
    extensions?: readonly Extension[];
  } = {},
): GroupInfo {
  const { suite } = state.pub;
  const extensions: Extension[] = [...(options.extensions ?? [])];
  if (options.withExternalPub ?? true) {
    extensions.push(
      encodeExternalPub(externalKeyPair(suite, state.secrets.externalSecret).publicKey),
    );
  }
  if (options.withRatchetTree) {
    extensions.push({ type: ExtensionType.ratchetTree, data: state.pub.tree.encode() });
  }
  return signGroupInfo(suite, state.signaturePrivateKey, {
    groupContext: state.pub.context,
    extensions,
    confirmationTag: state.pub.confirmationTag,
    signer: state.myLeaf,
  });
}
