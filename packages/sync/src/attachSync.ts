import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientLink,
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
