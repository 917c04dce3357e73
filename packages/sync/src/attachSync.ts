import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientFactory,
  type ClientLink,
  type ClientSpec,
  type TwilsockClientEvent,
  type TwilsockClientLike,
  twilsockSpec,
} from '@access-manager/core';

/**
 * The events of a `twilio-sync` client that {@link attachSync} listens to.
 *
 * @example
 * ```ts
 * const events: SyncClientEvent[] = ['tokenAboutToExpire', 'tokenExpired'];
 * ```
 */
export type SyncClientEvent = TwilsockClientEvent;

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
export type SyncClientLike = TwilsockClientLike;

const syncSpec = twilsockSpec('sync', 'data_sync');

/**
 * Keeps a `twilio-sync` client supplied with the manager's token: pushes each new token with
 * `updateToken` (one at a time, newest first, with a timeout and retries), turns
 * `tokenAboutToExpire`, `tokenExpired` and a `connectionError` 20104 into one shared refresh,
 * and holds a token while the client is `disconnecting`. Declares the `data_sync` grant: throws
 * `missing_grant` when the manager's token lacks it.
 *
 * @param client a factory `(jwt) => client` (the link creates the client, makes a new one when the
 *   manager's identity changes, and shuts it down on detach), or a client the app created.
 * @param options `token`: with a client, the token it was created with, so that it is not pushed
 *   again; `minValidityMs`: with a factory, how long the creating token must still be valid.
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { attachSync } from '@access-manager/sync';
 * import { SyncClient } from 'twilio-sync';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * // The link creates the client with a token valid long enough, and a new one for a new user.
 * const link = attachSync(manager, (jwt) => new SyncClient(jwt));
 * link.client$.subscribe((client) => render(client));
 * link.state$.subscribe(({ status }) => console.log('sync', status));
 * // later: detaches and shuts the client down
 * link.detach();
 * ```
 */
export const attachSync = <Client extends SyncClientLike>(
  manager: AccessManager,
  client: Client | ClientFactory<Client>,
  options?: AttachOptions,
): ClientLink<Client> => attachClient(manager, client, syncSpec as ClientSpec<Client>, options);
