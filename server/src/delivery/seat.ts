// One connection's place in a meeting: who the link and the AS say it is, and
// where it stands (lobby, waiting to be added, member, being re-added).
import type { Credential } from '@canopy/shared/mls';
import type { DeliveryRole, RemovalReason } from '@canopy/shared/protocol';

/** What the delivery service needs from a client connection. */
export interface DeliveryConnection {
  readonly id: string;
  /** Sends one binary frame; the bytes may be shared with other connections. */
  send(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
}

export type SeatState =
  /** Identified by its link; no acceptable KeyPackage yet. */
  | 'identified'
  /** Waiting for a host to admit it. */
  | 'lobby'
  /** Named to create the meeting's group. */
  | 'creating'
  /** Admitted; its Add is queued for the next round. */
  | 'queued'
  /** Its Add proposal is pending in the current epoch. */
  | 'proposed'
  /** In the group (holds `leaf`). */
  | 'member'
  /** In the group but being removed and re-added (it could not process a message). */
  | 'resetting';

export class Seat {
  state: SeatState = 'identified';
  /** Its leaf index while it is in the group's tree. */
  leaf: number | undefined;
  /** The KeyPackage (MLSMessage) it asked to be added with. */
  keyPackage: Uint8Array | undefined;
  connected = true;
  /** Set once its departure is decided; the reason it will be told. */
  departing: RemovalReason | undefined;
  /** It was a member and is being re-added (or resumed a member's place): no lobby on its way back. */
  readmit = false;
  /** Its resume ticket (hex), once it has been a member (see MeetingGroup, "resume tickets"). */
  ticket: string | undefined;
  graceTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly connection: DeliveryConnection,
    readonly meetingId: string,
    readonly userId: string,
    readonly displayName: string,
    readonly role: DeliveryRole,
    readonly signatureKey: Uint8Array,
    readonly credential: Credential,
  ) {}

  send(bytes: Uint8Array): void {
    if (this.connected) this.connection.send(bytes);
  }

  /** In the tree and able to act for the group (commit, acknowledge). */
  get active(): boolean {
    return this.connected && this.state === 'member' && this.departing === undefined;
  }
}
