import type { Observable, Subscription } from 'rxjs';
import type { AccessManager } from './accessManager.js';
import { AccessToken } from './accessToken.js';
import { backoffDelay } from './backoff.js';
import { Broadcast } from './broadcast.js';
import { type Clock, systemClock } from './clock.js';
import { ClosedError, PushTimeoutError } from './errors.js';
import type { RetryOptions } from './types.js';

/** What an SDK client tells about its token: it will expire soon, or it was refused as expired. */
export type ClientSignal = 'willExpire' | 'expired';

/**
 * How one SDK takes tokens and reports their expiry. An adapter package is one of these, plus a
 * line that calls {@link attachClient}.
 *
 * @example
 * ```ts
 * const syncSpec: ClientSpec<SyncClient> = {
 *   name: 'sync',
 *   grant: 'data_sync',
 *   updateToken: (client, jwt) => client.updateToken(jwt),
 *   listen: (client, signal) => {
 *     const willExpire = () => signal('willExpire');
 *     const expired = () => signal('expired');
 *     client.on('tokenAboutToExpire', willExpire);
 *     client.on('tokenExpired', expired);
 *     return () => {
 *       client.off('tokenAboutToExpire', willExpire);
 *       client.off('tokenExpired', expired);
 *     };
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
  /** Listens to the client's expiry signals; returns the function that stops listening. */
  listen?(client: Client, signal: (kind: ClientSignal) => void): () => void;
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
  /** The token the client was created with, so that it is not pushed again. */
  token?: string;
  /** Each `updateToken` call counts as failed after this long; default 15 000. */
  pushTimeoutMs?: number;
  /** Backoff between failed pushes; default 1 000 to 30 000 ms, full jitter. */
  retry?: RetryOptions;
  /**
   * A warning from the client within this long after the link pushed it a token starts no fetch
   * (it is about the token before, or the manager has a refresh planned); and a client that
   * refuses its tokens as expired forces at most one fetch this often. Default 10 000.
   */
  signalCooldownMs?: number;
  /** A busy client gets the new token anyway once the token it holds has less than this left; default 60 000. */
  busyMinValidityMs?: number;
  clock?: Clock;
  random?: () => number;
}

export type ClientLinkStatus = 'synced' | 'updating' | 'retrying' | 'failed' | 'detached';

export interface ClientLinkState {
  /** `synced`: the client holds the manager's token; `updating`: a push is under way or waits for the client; `retrying`: a push failed and will be tried again; `failed`: the token to push expired before it could be delivered. */
  status: ClientLinkStatus;
  /** The token the client holds, as far as the link knows. */
  token?: AccessToken | undefined;
  lastPushedAt?: Date | undefined;
  /** How long the last successful `updateToken` took. */
  pushLatencyMs?: number | undefined;
  lastError?: Error | undefined;
}

/** The tie between a manager and one SDK client. */
export interface ClientLink {
  /** The link's state at once, then every change; completes on `detach()`. */
  readonly state$: Observable<ClientLinkState>;
  getState(): ClientLinkState;
  /** Removes every listener the link added, clears its timers, releases its grant. Idempotent. */
  detach(): void;
  [Symbol.dispose](): void;
}

const noop = (): void => {};

/** Twilio's three-minute warning, plus half a minute of clock error. */
const WARNING_HORIZON_MS = 210_000;

const parse = (jwt: string | undefined): AccessToken | undefined => {
  try {
    return new AccessToken(jwt);
  } catch {
    return undefined;
  }
};

/**
 * Keeps one SDK client supplied with the manager's token: pushes every adopted token the client
 * does not hold yet (never two pushes at once; a newer token supersedes one waiting), retries a
 * failed or timed-out push with backoff while the token is valid, and turns the client's expiry
 * signals into one shared refresh. Throws `missing_grant` when the manager's token lacks
 * `spec.grant`.
 *
 * @example
 * ```ts
 * const link = attachClient(manager, syncClient, syncSpec, { token: initialJwt });
 * link.state$.subscribe(({ status }) => console.log('sync', status));
 * // later
 * link.detach();
 * ```
 */
export function attachClient<Client>(
  manager: AccessManager,
  client: Client,
  spec: ClientSpec<Client>,
  options: AttachOptions = {},
): ClientLink {
  if (manager.getState().status === 'closed') throw new ClosedError();
  const release = manager.requireGrant(spec.grant);
  const clock = options.clock ?? systemClock;
  const states = new Broadcast<ClientLinkState>();
  let state: ClientLinkState = { status: 'updating' };
  let held = parse(options.token);
  let heldJwt = options.token;
  /** The token the client held before `held`: an SDK may still warn about it. */
  let previous: AccessToken | undefined;
  /** The token of the push in flight, or of the last push, if it failed. */
  let triedJwt: string | undefined;
  /** A token whose push failed and that must not be pushed again (`retrySameToken: false`). */
  let spentJwt: string | undefined;
  /** When the link last delivered a token to the client. */
  let receivedAt = Number.NEGATIVE_INFINITY;
  let forcedAt = Number.NEGATIVE_INFINITY;
  let forceTimer: unknown;
  let wanted: AccessToken | undefined;
  let pushing = false;
  let attempt = 0;
  /** Until when a failed push waits before it is tried again. */
  let retryAt = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let pushTimer: unknown;
  /** Fails the push in flight at once (the client lost its connection meanwhile). */
  let abandon: ((error: Error) => void) | undefined;
  let detached = false;

  const set = (next: Partial<ClientLinkState>) => {
    state = { ...state, ...next };
    states.next(state);
  };
  const wait = (delayMs: number) => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(deliver, Math.max(0, delayMs));
  };
  /** Local time left on a token, by the manager's estimate of the server clock. */
  const left = (token: AccessToken) =>
    token.expiresAt.getTime() - manager.getState().clockOffsetMs - clock.now();

  function deliver(): void {
    const token = wanted;
    if (detached || pushing || !token) return;
    if (token.jwt === heldJwt) {
      if (state.status !== 'synced') set({ status: 'synced', lastError: undefined });
      return;
    }
    if (left(token) <= 0) {
      set({ status: 'failed' }); // a newer token will come through token$
      return;
    }
    if (token.jwt === spentJwt) return; // a new token is on its way (see `settle`)
    if (spec.isReady?.(client) === false) {
      set({ status: 'updating' }); // `watch` calls deliver again
      return;
    }
    if (spec.isBusy?.(client) && held) {
      const spare = left(held) - (options.busyMinValidityMs ?? 60_000);
      if (spare > 0) {
        set({ status: 'updating' });
        wait(Math.min(spare, spec.busyPollMs ?? spare)); // or sooner, when `watch` says it is idle
        return;
      }
    }
    clock.clearTimeout(timer);
    pushing = true;
    triedJwt = token.jwt;
    set({ status: attempt ? 'retrying' : 'updating' });
    const started = clock.now();
    let settled = false;
    const pushTimeoutMs = options.pushTimeoutMs ?? 15_000;
    const settle = (resolved: boolean, reason?: unknown): void => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(pushTimer);
      pushing = false;
      abandon = undefined;
      if (detached) return;
      const unconfirmed = resolved && spec.confirm?.(client) === false;
      const delivered = resolved && !unconfirmed;
      const error = unconfirmed
        ? new Error(`${spec.name} resolved updateToken without taking the token.`)
        : reason;
      if (delivered || spec.isDelivered?.(error)) {
        attempt = 0;
        triedJwt = undefined;
        previous = held;
        held = token;
        heldJwt = token.jwt;
        const now = clock.now();
        receivedAt = now;
        set({
          status: 'synced',
          token,
          lastPushedAt: new Date(now),
          pushLatencyMs: now - started,
          lastError: undefined,
        });
        deliver(); // a newer token may have come meanwhile
      } else {
        attempt++;
        set({
          status: 'retrying',
          lastError: error instanceof Error ? error : new Error(String(error)),
        });
        const retry = options.retry;
        const delayMs = backoffDelay(
          attempt,
          retry?.minDelayMs ?? 1_000,
          retry?.maxDelayMs ?? 30_000,
          options.random,
        );
        retryAt = clock.now() + delayMs;
        if (spec.retrySameToken === false) {
          // The client may now hold this token without having used it, and would skip it: the
          // retry is a new token, asked for after the backoff (unless one came meanwhile).
          spentJwt = token.jwt;
          clock.clearTimeout(timer);
          timer = clock.setTimeout(() => {
            if (manager.getState().token?.jwt !== token.jwt) return deliver();
            manager.refresh({ reason: 'sdk', force: true }).catch(noop);
          }, delayMs);
        } else {
          wait(delayMs);
        }
      }
    };
    abandon = (error) => settle(false, error);
    // (Infinity, or anything past what setTimeout can hold, means no timeout.)
    pushTimer =
      pushTimeoutMs < 2_147_483_647
        ? clock.setTimeout(
            () =>
              settle(
                false,
                new PushTimeoutError(`${spec.name} updateToken took over ${pushTimeoutMs} ms.`),
              ),
            pushTimeoutMs,
          )
        : undefined;
    try {
      Promise.resolve(spec.updateToken(client, token.jwt)).then(
        () => settle(true),
        (error: unknown) => settle(false, error),
      );
    } catch (error) {
      settle(false, error);
    }
  }

  const onSignal = (kind: ClientSignal) => {
    if (detached) return;
    const current = manager.getState().token;
    const cooldown = options.signalCooldownMs ?? 10_000;
    const now = clock.now();
    // An 'expired' after the push of the manager's token failed is the client refusing that very
    // token (twilsock rejects the update, then says so): a newer one is needed. One that comes
    // while the push is in flight is taken to be about the token before.
    const refused = kind === 'expired' && !pushing && current?.jwt === triedJwt;
    if (current && current.jwt !== heldJwt && left(current) > 0 && !refused) {
      // The client is behind the manager: what it needs is the token already here.
      wanted = current;
      recheck();
    } else if (kind === 'willExpire') {
      // Right after a push, a warning is about the token before (four clients warning together
      // make one fetch), or about a short-lived token whose refresh the manager has planned. And
      // while the token held before is still valid (give or take the cooldown, for clock error),
      // a warning is about that one: a Voice Device keeps the old token's timer after
      // `updateToken`, and SDKs warn only in a token's last minutes.
      const aboutPrevious = previous !== undefined && left(previous) > -cooldown;
      // And a warning about a token in its last minutes by the manager's own reckoning, with a
      // refresh planned, is what the manager expects: its plan covers it (a short-lived token
      // makes an SDK warn the moment it gets it).
      const planned =
        current !== null &&
        left(current) <= WARNING_HORIZON_MS &&
        manager.getState().refreshAt !== null;
      if (now - receivedAt >= cooldown && !aboutPrevious && !planned) {
        manager.refresh({ reason: 'sdk' }).catch(noop);
      }
    } else {
      // The client's token, the manager's newest, was refused: a newer one is needed. At most
      // one forced fetch per cooldown, so that a client that refuses every token cannot spin.
      // A token adopted meanwhile answers the signal: it goes to the client, which says so again
      // if it refuses that one too.
      const due = forcedAt + cooldown - now;
      clock.clearTimeout(forceTimer);
      forceTimer = clock.setTimeout(
        () => {
          if (manager.getState().token?.jwt !== current?.jwt) return;
          forcedAt = clock.now();
          manager.refresh({ reason: 'sdk', force: true }).catch(noop);
        },
        Math.max(0, due),
      );
    }
  };

  /**
   * A change of the client, or a signal, tries again at once, but never cuts a failed push's
   * backoff short: a client that refuses a token and changes state with each refusal (twilsock
   * goes `denied`) must not turn the retries into a loop.
   */
  const recheck = () => {
    if (pushing && spec.confirm?.(client) === false) {
      abandon?.(new Error(`${spec.name} lost its connection during updateToken.`));
    }
    if (clock.now() >= retryAt) deliver();
  };

  const subscription: Subscription = manager.token$.subscribe({
    // The manager's newest, not the value delivered: a subscriber before this one may have
    // adopted a newer token while this one was being delivered.
    next: (token) => {
      wanted = manager.getState().token ?? token;
      // A new token is tried at once; the backoff count goes on until a push succeeds, so that
      // a client that fails every push (each one asking for a new token) cannot spin.
      retryAt = Number.NEGATIVE_INFINITY;
      deliver();
    },
    // A closed manager ends the link: no timer of its own outlives it.
    complete: () => detach(),
  });
  const unlisten = spec.listen?.(client, onSignal);
  const unwatch = spec.watch?.(client, recheck);

  const detach = () => {
    if (detached) return;
    detached = true;
    clock.clearTimeout(timer);
    clock.clearTimeout(pushTimer); // a push in flight is abandoned
    clock.clearTimeout(forceTimer);
    subscription.unsubscribe();
    unlisten?.();
    unwatch?.();
    release();
    set({ status: 'detached' });
    states.complete();
  };

  return {
    state$: states.observe(() => state),
    getState: () => state,
    detach,
    [Symbol.dispose]: detach,
  };
}
