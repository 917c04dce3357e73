// The manager, made outside React: one token for the whole page, React or not.
import { AccessManager, fetchTokenFrom } from '@access-manager/core';

export const manager = new AccessManager({ fetchToken: fetchTokenFrom('/token') });

/** Where the local fakes of Twilio's endpoints listen (served by server.js). */
export interface FakeEndpoints {
  /** Conversations' twilsock: `ws://127.0.0.1:PORT`. */
  twilsock: string;
  /** Voice's signaling host: `127.0.0.1:PORT`. */
  chunderw: string;
}
