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
 * @param client a factory `(jwt) => client` (the link creates the client, makes a new one when the
 *   manager's identity changes, and shuts it down on detach), or a client the app created.
 * @param options `token`: with a client, the token it was created with, so that it is not pushed
 *   again; `minValidityMs`: with a factory, how long the creating token must still be valid.
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 * import { attachConversations } from '@access-manager/conversations';
 * import { Client } from '@twilio/conversations';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * // The link creates the client with a token valid long enough, and a new one for a new user.
 * const link = attachConversations(manager, (jwt) => new Client(jwt));
 * link.client$.subscribe((client) => render(client));
 * link.state$.subscribe(({ status }) => console.log('conversations', status));
 * // later: detaches and shuts the client down
 * link.detach();
 * ```
 */
export const attachConversations = <Client extends ConversationsClientLike>(
  manager: AccessManager,
  client: Client | ClientFactory<Client>,
  options?: AttachOptions,
): ClientLink<Client> =>
  attachClient(manager, client, conversationsSpec as ClientSpec<Client>, options);
