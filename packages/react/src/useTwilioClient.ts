import type { AccessManager, ClientLinkState } from '@access-manager/core';
import { useEffect, useRef, useState } from 'react';
import { useAccessManager } from './accessManagerProvider.js';

/** Anything with an rxjs-style `subscribe(next)`, as the core's streams. */
interface Subscribable<T> {
  subscribe(next: (value: T) => void): { unsubscribe(): void };
}

/** The part of a link's state that `useTwilioClient` shows; the core's `ClientLinkState` fits. */
export interface TwilioClientLinkState {
  status: TwilioClientStatus;
  lastError?: Error | undefined;
}

/**
 * What `useTwilioClient` uses of a client link: the core's `ClientLink<Client>` fits, as an
 * adapter's factory form returns it (`attachConversations(manager, (jwt) => new Client(jwt))`).
 */
export interface TwilioClientLink<Client> {
  /** The client once the factory made it; undefined before. */
  readonly client: Client | undefined;
  /** The current client, then each new one. */
  readonly client$: Subscribable<Client>;
  /** The current state, then each change. */
  readonly state$: Subscribable<TwilioClientLinkState>;
  getState(): TwilioClientLinkState;
  /** Stops the link and shuts down a client its factory made. Idempotent. */
  detach(): void;
}

/**
 * An adapter's factory form (`attachConversations`, `attachSync`, `attachVoice`...): any function
 * that takes the manager, a factory and options, and returns a client link. (`never`: any such
 * function fits, whatever its own factory and options types.)
 */
export type AttachClientFactory = (
  manager: AccessManager,
  factory: never,
  options?: never,
) => TwilioClientLink<unknown>;

/**
 * The client an adapter's factory form makes (`ConversationsClientLike` for
 * `attachConversations`): what its factory parameter returns, awaited. The adapters take a client
 * or a factory in that parameter; only the factory counts here.
 */
export type ClientOf<Attach extends AttachClientFactory> =
  Extract<Parameters<Attach>[1], (jwt: string) => unknown> extends (jwt: string) => infer Client
    ? Awaited<Client>
    : never;

/** `creating` until the link has made its client (and on the server); then the link's status. */
export type TwilioClientStatus = ClientLinkState['status'] | 'creating';

/** What `useTwilioClient` returns; a new object only when one of its fields changes. */
export interface TwilioClient<Client> {
  /** The SDK client, once made; undefined before and on the server. */
  client?: Client | undefined;
  status: TwilioClientStatus;
  /** The link's last error. */
  error?: Error | undefined;
}

/**
 * One link, with the manager and adapter it was made for, and whether a component uses it: kept
 * in a ref across Strict Mode's simulated unmount and remount. (A tuple: its slots minify.)
 */
type Held = [
  manager: AccessManager | null,
  attach: unknown,
  link: TwilioClientLink<unknown>,
  mounted?: boolean,
];

const CREATING: TwilioClient<never> = { status: 'creating' };

/**
 * Creates an SDK client through an adapter's factory form once the manager has a token, keeps it
 * supplied with every new token, and detaches the link (which shuts the client down) when the
 * component unmounts. Exactly one client under Strict Mode: the teardown waits a microtask, and
 * the remount that Strict Mode runs at once keeps the link. The client is made once per mounted
 * component and manager: `factory` and `options` are read when the link is made (give the
 * component a new `key` for a new client). What `attach` throws (`missing_grant` when the token
 * lacks the SDK's grant, `closed`) reaches the nearest error boundary. Makes nothing on the
 * server.
 *
 * @example
 * ```tsx
 * import { attachConversations } from '@access-manager/conversations';
 * import { Client } from '@twilio/conversations';
 *
 * function Chat() {
 *   const { client, status, error } = useTwilioClient(attachConversations, (jwt) => new Client(jwt));
 *   if (error) return <p>Chat unavailable ({error.message})</p>;
 *   return client ? <Conversations client={client} /> : <p>Connecting ({status})...</p>;
 * }
 * ```
 */
export function useTwilioClient<
  Attach extends AttachClientFactory,
  Client extends ClientOf<Attach>,
>(
  attach: Attach,
  // Client comes from the factory (the SDK's own class), checked against what the adapter takes;
  // inferring it from the adapter would give its constraint when the adapter is generic.
  factory: (jwt: string) => Client | PromiseLike<Client>,
  options?: Parameters<Attach>[2],
): TwilioClient<Client> {
  const manager = useAccessManager();
  const [view, setView] = useState<TwilioClient<Client>>(CREATING);
  const held = useRef<Held>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: factory and options are read once, when the link is made (an inline arrow is new each render)
  useEffect(() => {
    let mounted = held.current;
    if (mounted?.[0] !== manager || mounted[1] !== attach) {
      mounted?.[2].detach(); // made for another manager or adapter
      // What attach throws (a missing grant, a closed manager) reaches the error boundary.
      mounted = [manager, attach, attach(manager, factory as never, options as never)];
      held.current = mounted;
    }
    const entry = mounted;
    const link = entry[2];
    const show = () => {
      const { status, lastError: error } = link.getState();
      const client = link.client as Client | undefined; // what the factory made
      setView((shown) =>
        shown.client === client && shown.status === status && shown.error === error
          ? shown
          : { client, status, error },
      );
    };
    const subscriptions = [link.state$.subscribe(show), link.client$.subscribe(show)];
    entry[3] = true;
    return () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      entry[3] = false;
      // Strict Mode runs this cleanup and the effect again synchronously: a microtask later, a
      // link whose component mounted again is still in use; any other is torn down, and
      // forgotten (its manager slot cleared), so that a later mount makes a new one.
      queueMicrotask(() => {
        if (entry[3]) return;
        link.detach();
        entry[0] = null;
      });
    };
  }, [manager, attach]);
  return view;
}
