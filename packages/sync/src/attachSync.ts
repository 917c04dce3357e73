import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientLink,
  type ClientSpec,
} from '@access-manager/core';

/**
 * The events of a twilsock-based client that {@link attachSync} listens to.
 *
 * @example
 * ```ts
 * const events: SyncClientEvent[] = ['tokenAboutToExpire', 'tokenExpired'];
 * ```
 */
export type SyncClientEvent =
  | 'tokenAboutToExpire'
  | 'tokenExpired'
  | 'connectionError'
  | 'connectionStateChanged';

/**
 * What {@link attachSync} uses of a `twilio-sync` `SyncClient`, so that any version of that shape
 * fits and the SDK is never imported here.
 *
 * @example
 * ```ts
 * import { SyncClient } from 'twilio-sync';
 * const client: SyncClientLike = new SyncClient(jwt);
 * ```
 */
export interface SyncClientLike {
  /** `'disconnecting'` after the server closed the connection; see {@link attachSync}. */
  readonly connectionState: string;
  updateToken(token: string): Promise<unknown>;
  on(event: SyncClientEvent, listener: (arg?: { errorCode?: number }) => void): unknown;
  off(event: SyncClientEvent, listener: (arg?: { errorCode?: number }) => void): unknown;
}

const syncSpec: ClientSpec<SyncClientLike> = {
  name: 'sync',
  grant: 'data_sync',
  updateToken: (client, jwt) => client.updateToken(jwt),
  listen: (client, signal) => {
    const handlers: Array<[SyncClientEvent, (arg?: { errorCode?: number }) => void]> = [
      ['tokenAboutToExpire', () => signal('willExpire')],
      ['tokenExpired', () => signal('expired')],
      ['connectionError', (error) => error?.errorCode === 20104 && signal('expired')],
    ];
    for (const [event, handler] of handlers) client.on(event, handler);
    return () => {
      for (const [event, handler] of handlers) client.off(event, handler);
    };
  },
  // After the server's 410 / 20104 close, the client stays 'disconnecting' for 3 s and drops a
  // token given meanwhile (and then skips it as one it already holds): wait until it is out.
  isReady: (client) => client.connectionState !== 'disconnecting',
  watch: (client, changed) => {
    client.on('connectionStateChanged', changed);
    return () => client.off('connectionStateChanged', changed);
  },
};

/**
 * Keeps a `twilio-sync` client supplied with the manager's token: pushes each new token with
 * `updateToken` (one at a time, newest first, with a timeout and retries), turns
 * `tokenAboutToExpire`, `tokenExpired` and a `connectionError` 20104 into one shared refresh,
 * and holds a token while the client is `disconnecting`. Declares the `data_sync` grant: throws
 * `missing_grant` when the manager's token lacks it.
 *
 * @param options `token`: the token the client was created with, so that it is not pushed again.
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { attachSync } from '@access-manager/sync';
 * import { SyncClient } from 'twilio-sync';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * const token = await manager.getToken();
 * const link = attachSync(manager, new SyncClient(token), { token });
 * link.state$.subscribe(({ status }) => console.log('sync', status));
 * // later
 * link.detach();
 * ```
 */
export const attachSync = (
  manager: AccessManager,
  client: SyncClientLike,
  options?: AttachOptions,
): ClientLink => attachClient(manager, client, syncSpec, options);
