// A test client that is a real MLS member of a meeting: the participant core
// joins the meeting's group through the delivery service, and JSON signaling
// (media) runs on the same WebSocket, as in the browser.
import { getCipherSuite } from '@canopy/shared/crypto';
import { WebSocket } from 'ws';
import {
  type EpochInfo,
  Participant,
  type WebSocketConstructor,
} from '../../../client/src/participant/index.js';
import { nodeProvider } from '../../src/crypto/index.js';
import { TestClient } from './ws-client.js';

const suite = getCipherSuite(1, nodeProvider);

export interface TestMember {
  readonly participant: Participant;
  /** JSON signaling on the participant's own connection. */
  readonly client: TestClient;
  /** The epoch it joined in. */
  readonly joined: EpochInfo;
}

/** The token (`?t=`) and AS public key (`#as=`) of a meeting link. */
export function parseLink(link: string): { token: string; asPublicKey: Uint8Array } {
  const url = new URL(link);
  const as = new URLSearchParams(url.hash.slice(1)).get('as');
  const token = url.searchParams.get('t');
  if (!as || !token) throw new Error(`not a meeting link: ${link}`);
  return { token, asPublicKey: new Uint8Array(Buffer.from(as, 'base64url')) };
}

/** Joins the MLS group of `link`'s meeting at `wsUrl`; resolves once a member. */
export async function joinAsMember(
  wsUrl: string,
  link: string,
  displayName: string,
): Promise<TestMember> {
  const { token, asPublicKey } = parseLink(link);
  let socket: WebSocket | undefined;
  // The participant opens the socket; the test client shares it.
  class SharedSocket {
    constructor(url: string) {
      socket = new WebSocket(url);
      // biome-ignore lint/correctness/noConstructorReturn: the participant gets the real socket
      return socket;
    }
  }
  const Ws = SharedSocket as unknown as WebSocketConstructor;
  const participant = new Participant({
    url: wsUrl,
    token,
    displayName,
    asPublicKey,
    suite,
    WebSocket: Ws,
  });
  const joined = await participant.connect();
  return { participant, client: TestClient.wrap(socket!), joined };
}
