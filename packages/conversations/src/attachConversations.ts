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
 * The events of a `@twilio/conversations` client that {@link attachConversations} listens to.
 *
 * @example
 * ```ts
 * const events: ConversationsClientEvent[] = ['tokenAboutToExpire', 'tokenExpired'];
 * ```
 */
export type ConversationsClientEvent = TwilsockClientEvent;

/**
 * What {@link attachConversations} uses of a `@twilio/conversations` `Client`, so that any version of that shape
 * fits and the SDK is never imported here.
 *
 * @example
 * ```ts
 * import { Client } from '@twilio/conversations';
 * const client: ConversationsClientLike = new Client(jwt);
 * ```
 */
export type ConversationsClientLike = TwilsockClientLike;

const conversationsSpec = twilsockSpec('conversations', 'chat', { typeErrorIsDelivered: true });

/**
 * Keeps a `@twilio/conversations` client supplied with the manager's token: pushes each new token with
 * `updateToken` (one at a time, newest first, with a timeout and retries), turns
 * `tokenAboutToExpire`, `tokenExpired` and a `connectionError` 20104 into one shared refresh,
 * holds a token while the client is `disconnecting`, and takes the `TypeError` of `updateToken`
 * after a failed initialization as delivered. Declares the `chat` grant: throws
 * `missing_grant` when the manager's token lacks it.
 *
 * @param options `token`: the token the client was created with, so that it is not pushed again.
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { attachConversations } from '@access-manager/conversations';
 * import { Client } from '@twilio/conversations';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * const token = await manager.getToken();
 * const link = attachConversations(manager, new Client(token), { token });
 * link.state$.subscribe(({ status }) => console.log('conversations', status));
 * // later
 * link.detach();
 * ```
 */
export const attachConversations = (
  manager: AccessManager,
  client: ConversationsClientLike,
  options?: AttachOptions,
): ClientLink => attachClient(manager, client, conversationsSpec, options);
