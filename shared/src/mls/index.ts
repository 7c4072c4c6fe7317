/**
 * MLS (RFC 9420) for Canopy: a complete client and the delivery service's
 * validator. Everything crosses this API as RFC 9420 wire bytes (MLSMessage),
 * so any other MLS implementation can talk to it.
 *
 * ```ts
 * const suite = getCipherSuite(1);                       // @canopy/shared/crypto; in Node pass nodeProvider
 * const me = generateIdentity(suite, { type: 'basic', identity: utf8('ada') });
 * const group = MlsGroup.create({ suite, identity: me, extensions: [encodeExternalSenders([ds])] });
 * const kp = generateKeyPackage(suite, bob);             // bob publishes kp.message
 * const out = group.commit({ add: [kp.message] });      // send out.commit, out.welcome, out.groupInfo
 * group.mergePendingCommit();                            // once the delivery service accepted it
 * const bobGroup = MlsGroup.joinFromWelcome(out.welcome!, kp, suite);
 * bobGroup.process(message);                             // proposals, commits, application data
 * bobGroup.exportSecret('SFrame 1.0 Base Key', new Uint8Array(0), 16);
 * ```
 *
 * Errors: malformed bytes throw DecodeError; protocol violations and invalid
 * requests throw MlsError with a stable `code`. Either way the group is unchanged.
 * Processing is synchronous and one message at a time per group.
 */

export { DecodeError } from '../codec/index.js';
// --- values the API carries ------------------------------------------------------
export type { Credential } from './credential.js';
export { MlsError, type MlsErrorCode } from './errors.js';
export {
  decodeExternalSenders,
  type Extension,
  ExtensionType,
  type ExternalSender,
  encodeExternalSenders,
  encodeRequiredCapabilities,
  type RequiredCapabilities,
} from './extensions.js';
// --- delivery service ----------------------------------------------------------
export { createExternalProposal, type ExternalProposalOptions } from './external-sender.js';
export type { Sender } from './framing.js';
// --- client --------------------------------------------------------------------
export {
  type CommitOptions,
  type CommitOutput,
  type CommitResult,
  type CreateGroupOptions,
  type ExternalJoinOptions,
  type GroupOptions,
  type JoinFromWelcomeOptions,
  MlsGroup,
  type ProcessResult,
} from './group.js';
export type { Member } from './group-state.js';
export {
  type ClientIdentity,
  defaultCapabilities,
  generateIdentity,
  generateKeyPackage,
  type KeyPackageBundle,
  type KeyPackageOptions,
} from './identity.js';
export type { KeyPackage } from './key-package.js';
export {
  type CredentialValidator,
  DEFAULT_MAX_KEY_PACKAGE_LIFETIME,
  DEFAULT_MAX_LEAVES,
  type LeafPolicy,
} from './leaf-validation.js';
export { inspectMessage, type MessageInfo } from './message-info.js';
export {
  keyPackageFromMessage,
  type MLSMessage,
  parseMlsMessage,
  serializeMlsMessage,
} from './mls-message.js';
export type { Proposal } from './proposal.js';
export type { PreSharedKeyId } from './psk.js';
export { PskStore } from './psk.js';
export {
  restoreGroup,
  restoreKeyPackageBundle,
  serializeGroup,
  serializeKeyPackageBundle,
} from './serialization.js';
export { GroupValidator, type ValidatedMessage } from './validator.js';
