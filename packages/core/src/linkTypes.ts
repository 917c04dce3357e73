import type { Observable } from 'rxjs';
import type { AccessToken } from './accessToken.js';
import type { ClientSignal } from './clientSignal.js';
import type { Clock } from './clock.js';
import type { RetryOptions } from './types.js';

/**
 * How one SDK takes tokens and reports their expiry. An adapter package is one of these, plus a
 * line that calls `attachClient`.
 *
 * @example
 * ```ts
 * const syncSpec: ClientSpec<SyncClient> = {
 *   name: 'sync',
 *   grant: 'data_sync',
 *   updateToken: (client, jwt) => client.updateToken(jwt),
 *   shutdown: (client) => client.shutdown(),
 *   listen: (client, signal) => {
 *     const willExpire = () => signal('willExpire');
 *     client.on('tokenAboutToExpire', willExpire);
 *     return () => client.off('tokenAboutToExpire', willExpire);
 *   },
 * };
 * ```
 */
export interface ClientSpec<Client> {
  /** For messages: `'conversations'`, `'voice'`... */
  name: string;
  /** The grant the client needs: `'chat'`, `'data_sync'`, `'voice'`, `'video'`. */
  grant: string;
  /** Hands a token to the client. A returned promise is awaited (with a timeout). */
  updateToken(client: Client, jwt: string): unknown;
  /** Ends a client that a factory link created (sign-out, user switch, detach). */
  shutdown?(client: Client): unknown;
  /** Listens to the client's expiry signals; returns the function that stops listening. */
  listen?(client: Client, signal: (kind: ClientSignal) => void): () => void;
  /**
   * Factory form: readies a new client, after `listen` (Voice: `register()`, with its `error`
   * listener in place). A rejection, or no answer within `startTimeoutMs` of the factory's call,
   * ends that client: the link reports a `client_start_failed` error and makes a new one after a
   * backoff.
   */
  start?(client: Client): PromiseLike<unknown>;
  /** Called after the client took a token (Voice registers a Device again after a refusal). */
  delivered?(client: Client): void;
  /** True when an error from `updateToken` still means the client took the token. */
  isDelivered?(error: unknown): boolean;
  /** False while the client cannot take a token at all (for example while it disconnects). */
  isReady?(client: Client): boolean;
  /**
   * True while a new token should wait if it can (Voice during a call): the token is held until
   * the client is no longer busy, or until the token it holds has `busyMinValidityMs` left.
   */
  isBusy?(client: Client): boolean;
  /** Calls back whenever `isReady` or `isBusy` may have changed; returns the function that stops. */
  watch?(client: Client, changed: () => void): () => void;
  /**
   * While a token is held for a busy client, `isBusy` is asked again this often, for a client
   * whose `watch` cannot see every end of busy (a Voice Device emits nothing when an outgoing
   * call ends). Default: only when `watch` calls back, or when the held token nears expiry.
   */
  busyPollMs?: number;
  /**
   * After `updateToken` resolves, whether the client really took the token (a twilsock client
   * that was disconnected meanwhile resolves a pending update it never sent). False counts as a
   * failed push.
   */
  confirm?(client: Client): boolean;
  /**
   * Whether a failed push may be retried with the same token; default true. False for clients
   * that keep a token they were given even when the push failed, and then skip it as one they
   * hold (twilsock): a failed push then asks the manager for a new token instead.
   */
  retrySameToken?: boolean;
}

export interface AttachOptions {
  /** The token the client was created with, so that it is not pushed again (client form). */
  token?: string;
  /** Factory form: the token a new client is created with is valid at least this long; default 60 000 (or half a shorter token's lifetime). */
  minValidityMs?: number;
  /** Each `updateToken` call counts as failed after this long; default 15 000 (`Infinity`: no limit). */
  pushTimeoutMs?: number;
  /**
   * Factory form: making a client and readying it (the factory, then `spec.start`, Voice's
   * `register()`) count as failed after this long from the factory's call, both together; default
   * 30 000 (`Infinity`: no limit, the link waits for ever). One limit, not one each: to the app
   * both are the link's `creating`, and its question is how long until it hears that no client
   * could be had. A factory that never settles (its network call hangs) is then a failed start:
   * `retrying` with a `ClientStartError`, and the factory is called again after the backoff; a
   * client it resolves with later is shut down, and a late rejection is ignored.
   */
  startTimeoutMs?: number;
  /** Backoff between failed pushes, and between failed creations; default 1 000 to 30 000 ms, full jitter. */
  retry?: RetryOptions;
  /**
   * A warning from the client within this long after a push changed its token is about the token
   * before; and a client that refuses its tokens as expired forces at most one fetch this often.
   * Default 10 000.
   */
  signalCooldownMs?: number;
  /** A busy client gets the new token anyway once the token it holds has less than this left; default 60 000. */
  busyMinValidityMs?: number;
  clock?: Clock;
  random?: () => number;
}

/**
 * `creating`: a factory link waits for a token or for its factory, and any link waits for the next
 * user after a sign-out (`reset()`); `synced`: the client holds the manager's token; `updating`: a
 * push is under way or waits for the client; `retrying`: a push or a creation failed and will be
 * tried again; `failed`: the token to push expired before it could be delivered, the token for a
 * new client could not be had, or the client cannot follow the manager (another identity);
 * `detached`.
 */
export type ClientLinkStatus =
  | 'creating'
  | 'synced'
  | 'updating'
  | 'retrying'
  | 'failed'
  | 'detached';

export interface ClientLinkState {
  status: ClientLinkStatus;
  /** The token the client holds, as far as the link knows. */
  token?: AccessToken | undefined;
  lastPushedAt?: Date | undefined;
  /** How long the last successful `updateToken` took. */
  pushLatencyMs?: number | undefined;
  lastError?: Error | undefined;
}

/** The tie between a manager and one SDK client. */
export interface ClientLink<Client = unknown> {
  /** The client once created (factory form) or as given; undefined before. */
  readonly client: Client | undefined;
  /** The current client at once, then each new one (after a user switch); completes on `detach()`. */
  readonly client$: Observable<Client>;
  /** The link's state at once, then each change; completes on `detach()` (at once for a later subscriber). */
  readonly state$: Observable<ClientLinkState>;
  getState(): ClientLinkState;
  /**
   * Removes every listener the link added, clears its timers, releases its grant; a factory
   * link also shuts its client down. Idempotent.
   */
  detach(): void;
  [Symbol.dispose](): void;
}

/** Makes an SDK client with a token: `(jwt) => new Client(jwt)`. */
export type ClientFactory<Client> = (jwt: string) => Client | PromiseLike<Client>;

// Inside a link (not exported by the package): see `clientGeneration`.

/**
 * One SDK client in the life of a link, and everything that is about that client: its pushes
 * (never two at once; a newer token supersedes one waiting; a failed or timed-out push retried with
 * backoff while the token is valid), its timers, its signal and `watch` subscriptions, and the
 * getToken a new client waits for. Retired as a whole, once: listeners removed, timers cleared,
 * an owned client shut down, and every callback of it inert from then on. It belongs to the user
 * it began with: after a `reset()` (the manager's `resets` moved on) or with another identity held,
 * nothing it hears reaches the manager and nothing is pushed to it.
 */
export interface ClientGeneration<Client> {
  /** Aborts the getToken that a new client waits for, on retirement. */
  readonly abort: AbortController;
  client?: Client | undefined;
  /** The identity of the client's user; undefined until known. */
  identity?: string | undefined;
  /** The token the client holds, as far as the link knows. */
  held?: AccessToken | undefined;
  /** Whether the client takes pushes: once bound (client form), or once started (factory form). */
  live?: boolean;
  retired?: boolean;
  /** The push in flight (it outlives retirement: a generation after this one on the client waits). */
  inFlight?: Promise<unknown> | undefined;
  /** Takes the client and listens to it; on a throw, undoes what was done and rethrows. */
  bind(client: Client, jwt: string | undefined): void;
  /**
   * Factory form: arms the time limit of making the client and readying it (`startTimeoutMs`,
   * from the factory's call): `expire` gets a `ClientStartError` unless the generation is live
   * (`begin`) or retired by then.
   */
  deadline(expire: (error: Error) => void): void;
  /** From now the client takes pushes (and the time limit of its creation is off). */
  begin(): void;
  /** Waits for a push that the generation before left in flight on this same client. */
  follow(pending: Promise<unknown> | undefined): void;
  /** The manager's newest token: pushed at once unless the client holds it. */
  offer(token: AccessToken | null): void;
  /** Ends the client's part in the link, once. */
  retire(): void;
  /** Ends a client this generation made (also one that came after retirement). */
  shutdown(client: Client): void;
  /** Whether the manager moved on from this client's user: retired, a sign-out, another identity. */
  stale(): boolean;
}
