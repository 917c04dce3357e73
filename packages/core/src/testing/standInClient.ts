// Test support, not published: an SDK client stand-in (no Twilio here) and its link spec.
import type { ClientSignal } from '../clientSignal.js';
import type { ClientSpec } from '../linkTypes.js';

/** Records the token it was made with, the tokens pushed to it, its shutdowns, and the link's signal. */
export class StandInClient {
  pushes: string[] = [];
  shutdowns = 0;
  /** What a twilsock client says of its connection (a test sets `'denied'`). */
  connectionState = 'connected';
  /** The SDK's expiry news, while a link listens: `'willExpire'` or `'expired'`. */
  signal: ((kind: ClientSignal) => void) | undefined;
  constructor(readonly token = '') {}
}

/** The spec of a {@link StandInClient}: pushes and shutdowns recorded, `signal` while listened to. */
export const standInSpec: ClientSpec<StandInClient> = {
  name: 'stand-in',
  grant: 'chat',
  updateToken: (client, jwt) => {
    client.pushes.push(jwt);
  },
  shutdown: (client) => {
    client.shutdowns++;
  },
  listen: (client, signal) => {
    client.signal = signal;
    return () => {
      client.signal = undefined;
    };
  },
};
