import {
  type AccessManager,
  type AttachOptions,
  attachClient,
  type ClientLink,
  type ClientSpec,
} from '@access-manager/core';

/**
 * The events of a twilsock-based client that {@link attachConversations} listens to.
 *
 * @example
 * ```ts
 * const events: ConversationsClientEvent[] = ['tokenAboutToExpire', 'tokenExpired'];
 * ```
 */
export type ConversationsClientEvent =
  | 'tokenAboutToExpire'
  | 'tokenExpired'
  | 'connectionError'
  | 'connectionStateChanged';

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
export interface ConversationsClientLike {
  /** `'disconnecting'` after the server closed the connection; see {@link attachConversations}. */
  readonly connectionState: string;
  updateToken(token: string): Promise<unknown>;
  on(event: ConversationsClientEvent, listener: (arg?: { errorCode?: number }) => void): unknown;
  off(event: ConversationsClientEvent, listener: (arg?: { errorCode?: number }) => void): unknown;
}

const conversationsSpec: ClientSpec<ConversationsClientLike> = {
  name: 'conversations',
  grant: 'chat',
  updateToken: (client, jwt) => client.updateToken(jwt),
  listen: (client, signal) => {
    const handlers: Array<[ConversationsClientEvent, (arg?: { errorCode?: number }) => void]> = [
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
  // Before its initialization has succeeded, `updateToken` rejects with a TypeError (its media
  // client does not exist yet), although the token is taken and the client then initializes.
  isDelivered: (error) => error instanceof TypeError,
  watch: (client, changed) => {
    client.on('connectionStateChanged', changed);
    return () => client.off('connectionStateChanged', changed);
  },
};

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
