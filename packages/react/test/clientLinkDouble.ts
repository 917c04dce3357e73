// A stand-in SDK client that records what it is given, and its adapter, made as the real
// adapters are (the core's `attachClient`, factory form of Client links v2). The unit tests run
// `useTwilioClient` against these; the type tests and examples/react use the real adapters.
import { EventEmitter } from 'node:events';
import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientFactory,
  type ClientLink,
  type ClientSpec,
  parseAccessToken,
} from '@access-manager/core';

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
  shutdown: (client) => client.shutdown(),
  listen: (client, signal) => {
    const willExpire = () => signal('willExpire');
    client.on('tokenAboutToExpire', willExpire);
    return () => client.off('tokenAboutToExpire', willExpire);
  },
};

export interface AttachTestDoubleOptions extends AttachOptions {
  /** The grant to require; default `chat`. */
  grant?: string;
}

/**
 * An adapter for the stand-in client, as the real adapters are made: the core's `attachClient`
 * in its factory form (Client links v2), with the stand-in's spec.
 */
export function attachTestDouble<Client extends SdkClientDouble>(
  manager: AccessManager,
  client: Client | ClientFactory<Client>,
  { grant = 'chat', ...options }: AttachTestDoubleOptions = {},
): ClientLink<Client> {
  return attachClient(manager, client, { ...spec, grant } as ClientSpec<Client>, options);
}
