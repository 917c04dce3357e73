import type { ClientSpec } from './attachClient.js';

/** The events of a twilsock-based client (Conversations, Chat, Sync) that the adapters listen to. */
export type TwilsockClientEvent =
  | 'tokenAboutToExpire'
  | 'tokenExpired'
  | 'connectionError'
  | 'connectionStateChanged';

/**
 * What the adapters use of a twilsock-based SDK client (`@twilio/conversations` `Client`,
 * `twilio-chat` `Client`, `twilio-sync` `SyncClient`), so that any SDK version of that shape fits
 * and no SDK is imported.
 *
 * @example
 * ```ts
 * import { SyncClient } from 'twilio-sync';
 * const client: TwilsockClientLike = new SyncClient(jwt);
 * ```
 */
export interface TwilsockClientLike {
  /** `'disconnecting'` after the server closed the connection; see {@link twilsockSpec}. */
  readonly connectionState: string;
  updateToken(token: string): Promise<unknown>;
  /** Ends the client: a factory link calls it on sign-out, user switch and detach. */
  shutdown?(): unknown;
  on(event: TwilsockClientEvent, listener: (arg?: { errorCode?: number }) => void): unknown;
  off(event: TwilsockClientEvent, listener: (arg?: { errorCode?: number }) => void): unknown;
}

/**
 * The {@link ClientSpec} of a twilsock-based client: `tokenAboutToExpire` is a warning,
 * `tokenExpired` and a `connectionError` with `errorCode` 20104 say the token was refused;
 * pushes wait while the client is `disconnecting` (after the server's 410 / 20104 close it stays
 * so for 3 s and drops a token given meanwhile, then skips it as one it already holds); a push
 * that resolves once the client is disconnected did not reach the server; and a failed push is
 * retried with a new token, never the same one.
 * With `typeErrorIsDelivered` (Conversations, Chat), the `TypeError` that `updateToken` throws
 * before a successful initialization counts as delivered: the client takes the token all the same.
 *
 * @example
 * ```ts
 * const syncSpec = twilsockSpec('sync', 'data_sync');
 * const link = attachClient(manager, syncClient, syncSpec, { token });
 * ```
 */
export const twilsockSpec = (
  name: string,
  grant: string,
  options: { typeErrorIsDelivered?: boolean } = {},
): ClientSpec<TwilsockClientLike> => ({
  name,
  grant,
  updateToken: (client, jwt) => client.updateToken(jwt),
  shutdown: (client) => client.shutdown?.(),
  listen: (client, signal) => {
    const handlers: Array<[TwilsockClientEvent, (arg?: { errorCode?: number }) => void]> = [
      ['tokenAboutToExpire', () => signal('willExpire')],
      ['tokenExpired', () => signal('expired')],
      ['connectionError', (error) => error?.errorCode === 20104 && signal('expired')],
    ];
    for (const [event, handler] of handlers) client.on(event, handler);
    return () => {
      for (const [event, handler] of handlers) client.off(event, handler);
    };
  },
  isReady: (client) => client.connectionState !== 'disconnecting',
  // A pending update that the client resolves after it lost its connection was never sent.
  confirm: (client) => !/^(disconnect|denied|error)/.test(client.connectionState),
  // twilsock stores a token before it sends it and skips one it already holds: after a failed
  // or timed-out push, only a new token reaches the server.
  retrySameToken: false,
  ...(options.typeErrorIsDelivered
    ? { isDelivered: (error: unknown) => error instanceof TypeError }
    : {}),
  watch: (client, changed) => {
    client.on('connectionStateChanged', changed);
    return () => client.off('connectionStateChanged', changed);
  },
});
