// A test double of an adapter's factory form (Client links v2: `attachConversations(manager,
// (jwt) => new Client(jwt))`), built on the core's real `attachClient`, and a stand-in SDK client
// that records what it is given. The unit tests run `useTwilioClient` against these.
import { EventEmitter } from 'node:events';
import {
  type AccessManager,
  attachClient,
  type ClientLink,
  type ClientSpec,
  parseAccessToken,
} from '@access-manager/core';
import { BehaviorSubject, ReplaySubject } from 'rxjs';
import type { TwilioClientLink, TwilioClientLinkState } from '../src/index.js';

/** Stands in for an SDK client: takes tokens, warns of expiry, shuts down. */
export class SdkClientDouble extends EventEmitter {
  /** How many tokens it was given, its first included (the JWTs themselves are not kept). */
  tokensReceived = 1;
  /** The `jti` of the token it holds. */
  holds: string | undefined;
  shutDown = false;

  constructor(jwt: string) {
    super();
    this.holds = parseAccessToken(jwt).id;
  }

  updateToken(jwt: string): Promise<void> {
    this.tokensReceived++;
    this.holds = parseAccessToken(jwt).id;
    return Promise.resolve();
  }

  shutdown(): void {
    this.shutDown = true;
  }
}

const spec: ClientSpec<SdkClientDouble> = {
  name: 'double',
  grant: 'chat',
  updateToken: (client, jwt) => client.updateToken(jwt),
  listen: (client, signal) => {
    const willExpire = () => signal('willExpire');
    client.on('tokenAboutToExpire', willExpire);
    return () => client.off('tokenAboutToExpire', willExpire);
  },
};

export interface AttachTestDoubleOptions {
  /** The grant to require; default `chat`. */
  grant?: string;
}

/**
 * Follows the factory form of Client links v2: requires the SDK's grant at once (throws
 * `missing_grant` as the adapters do), makes the client with the first token the manager holds,
 * keeps it supplied through the core's `attachClient`, makes a new client when the identity
 * changes, and shuts the client down on `detach()`.
 */
export function attachTestDouble<Client extends SdkClientDouble>(
  manager: AccessManager,
  factory: (jwt: string) => Client,
  options: AttachTestDoubleOptions = {},
): TwilioClientLink<Client> {
  const release = manager.requireGrant(options.grant ?? 'chat');
  const states = new BehaviorSubject<TwilioClientLinkState>({ status: 'creating' });
  const clients = new ReplaySubject<Client>(1);
  let client: Client | undefined;
  let identity: string | undefined;
  let inner: ClientLink | undefined;
  let detached = false;
  const tokens = manager.token$.subscribe((token) => {
    if (client && token.identity === identity) return;
    inner?.detach();
    client?.shutdown();
    identity = token.identity;
    client = factory(token.jwt);
    clients.next(client);
    inner = attachClient(
      manager,
      client,
      { ...spec, grant: options.grant ?? 'chat' },
      {
        token: token.jwt,
      },
    );
    inner.state$.subscribe((state) => {
      if (!detached && state.status !== 'detached') states.next(state);
    });
  });
  return {
    get client() {
      return client;
    },
    client$: clients,
    state$: states,
    getState: () => states.getValue(),
    detach: () => {
      if (detached) return;
      detached = true;
      tokens.unsubscribe();
      inner?.detach();
      client?.shutdown();
      release();
      states.next({ status: 'detached' });
      states.complete();
      clients.complete();
    },
  };
}
