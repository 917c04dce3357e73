import type { Observable, Subscription } from 'rxjs';
import type { AccessManager } from './accessManager.js';
import { AccessToken } from './accessToken.js';
import { backoffDelay } from './backoff.js';
import { Broadcast } from './broadcast.js';
import { type ClientSignal, decideSignal } from './clientSignal.js';

export type { ClientSignal } from './clientSignal.js';

import { type Clock, systemClock } from './clock.js';
import {
  type AccessManagerError,
  ClosedError,
  IdentityMismatchError,
  PushTimeoutError,
} from './errors.js';
import type { RetryOptions } from './types.js';

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
  /** Each `updateToken` call counts as failed after this long; default 15 000. */
  pushTimeoutMs?: number;
  /** Backoff between failed pushes; default 1 000 to 30 000 ms, full jitter. */
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
 * `creating`: a factory link waits for a token or for its factory; `synced`: the client holds the
 * manager's token; `updating`: a push is under way or waits for the client; `retrying`: a push
 * failed and will be tried again; `failed`: the token to push expired before it could be
 * delivered, or the client cannot follow the manager (another identity); `detached`.
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
  /** The link's state at once, then each change; completes on `detach()`. */
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

const noop = (): void => {};

const parse = (jwt: string | undefined): AccessToken | undefined => {
  try {
    return new AccessToken(jwt);
  } catch {
    return undefined;
  }
};

/**
 * Keeps one SDK client supplied with the manager's token. Given a factory, the link creates the
 * client itself with a token valid long enough (so it knows what the client holds from birth),
 * and makes a new one when the manager's identity changes; given a client, it keeps that one.
 * It pushes every adopted token the client does not hold yet (never two pushes at once; a newer
 * token supersedes one waiting), retries a failed or timed-out push with backoff while the token
 * is valid, and turns the client's expiry signals into one shared refresh ({@link decideSignal}).
 * Throws `missing_grant` when the manager's token lacks `spec.grant`; attaching is atomic.
 *
 * @example
 * ```ts
 * const link = attachClient(manager, (jwt) => new SyncClient(jwt), syncSpec);
 * link.client$.subscribe((client) => render(client));
 * // later
 * link.detach(); // and the client is shut down
 * ```
 */
export function attachClient<Client>(
  manager: AccessManager,
  clientOrFactory: Client | ClientFactory<Client>,
  spec: ClientSpec<Client>,
  options: AttachOptions = {},
): ClientLink<Client> {
  if (manager.getState().status === 'closed') throw new ClosedError();
  const factory =
    typeof clientOrFactory === 'function' ? (clientOrFactory as ClientFactory<Client>) : undefined;
  const clock = options.clock ?? systemClock;
  const cooldown = options.signalCooldownMs ?? 10_000;
  const states = new Broadcast<ClientLinkState>();
  const clients = new Broadcast<Client>();
  let client = factory ? undefined : (clientOrFactory as Client);
  let state: ClientLinkState = { status: factory ? 'creating' : 'updating' };
  let held = factory ? undefined : parse(options.token);
  let heldJwt = held && options.token;
  /** The token the client held before `held`: an SDK may still warn about it. */
  let previous: AccessToken | undefined;
  /** The token of the push in flight, or of the last push, if it failed. */
  let triedJwt: string | undefined;
  /** A token whose push failed and that must not be pushed again (`retrySameToken: false`). */
  let spentJwt: string | undefined;
  /** When a push last changed the client's token. */
  let changedAt = Number.NEGATIVE_INFINITY;
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
  /** Stops listening to the client (its `listen` and `watch`). */
  let unbind = noop;
  let creating = false;
  let detached = false;

  /** Publishes a change; a state equal to the one before is not published again. */
  const set = (next: Partial<ClientLinkState>) => {
    const merged = { ...state, ...next };
    if (
      (Object.keys(merged) as Array<keyof ClientLinkState>).every((k) => merged[k] === state[k])
    ) {
      return;
    }
    state = merged;
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
    if (detached || pushing || !token || client === undefined) return;
    if (token.jwt === heldJwt) {
      set({ status: 'synced', lastError: undefined });
      return;
    }
    if (left(token) <= 0) {
      set({ status: 'failed' }); // a newer token will come through token$
      return;
    }
    if (token.jwt === spentJwt) return; // a new token is on its way (see `settle`)
    const target = client;
    if (spec.isReady?.(target) === false) {
      set({ status: 'updating' }); // `watch` calls deliver again
      return;
    }
    if (spec.isBusy?.(target) && held) {
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
      if (detached || client !== target) return;
      const unconfirmed = resolved && spec.confirm?.(target) === false;
      const error = unconfirmed
        ? new Error(`${spec.name} resolved updateToken without taking the token.`)
        : reason;
      if ((resolved && !unconfirmed) || spec.isDelivered?.(error)) {
        attempt = 0;
        triedJwt = undefined;
        const now = clock.now();
        // A push changed the client's token only if the link knew it held another one: a client
        // attached without `{ token }` may well have held this one already.
        if (held) changedAt = now;
        previous = held;
        held = token;
        heldJwt = token.jwt;
        set({
          status: 'synced',
          token,
          lastPushedAt: new Date(now),
          pushLatencyMs: now - started,
          lastError: undefined,
        });
        spec.delivered?.(target);
        deliver(); // a newer token may have come meanwhile
        return;
      }
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
        // retry is a new token, asked for after the backoff (unless one came meanwhile). The
        // manager keeps fetching until it gets another one (a forced refresh ends only so).
        spentJwt = token.jwt;
        clock.clearTimeout(timer);
        timer = clock.setTimeout(() => {
          if (manager.getState().token?.jwt !== token.jwt) return deliver();
          manager.refresh({ reason: 'sdk', force: true }).catch(noop);
        }, delayMs);
      } else {
        wait(delayMs);
      }
    };
    // Only a client that had its connection when the push began can lose it during the push (one
    // already `denied` sends the token on a new socket; its late `tokenExpired` is about the old).
    abandon = spec.confirm?.(target) === false ? undefined : (error) => settle(false, error);
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
      Promise.resolve(spec.updateToken(target, token.jwt)).then(
        () => settle(true),
        (error: unknown) => settle(false, error),
      );
    } catch (error) {
      settle(false, error); // an SDK that throws at once (Voice after destroy()) never escapes
    }
  }

  const onSignal = (kind: ClientSignal) => {
    if (detached) return;
    const managerState = manager.getState();
    const current = managerState.token;
    const action = decideSignal({
      kind,
      managerLeftMs: current ? left(current) : null,
      clientHoldsManagerToken: current?.jwt === heldJwt,
      // The client refusing the token just pushed to it: the push failed, nothing in flight.
      managerTokenRefused: kind === 'expired' && !pushing && current?.jwt === triedJwt,
      clientLeftMs: held ? left(held) : null,
      previousLeftMs: previous ? left(previous) : null,
      sinceChangeMs: clock.now() - changedAt,
      refreshPlanned: managerState.refreshAt !== null,
      cooldownMs: cooldown,
    });
    if (action === 'push') {
      wanted = current ?? undefined;
      recheck();
    } else if (action === 'refresh') {
      manager.reportSdkSignal('willExpire').catch(noop);
    } else if (action === 'force') {
      // At most one forced fetch per cooldown, so that a client that refuses every token cannot
      // spin. A token adopted meanwhile answers the signal: it goes to the client, which says so
      // again if it refuses that one too.
      clock.clearTimeout(forceTimer);
      forceTimer = clock.setTimeout(
        () => {
          if (manager.getState().token?.jwt !== current?.jwt) return;
          forcedAt = clock.now();
          manager.reportSdkSignal('expired').catch(noop);
        },
        Math.max(0, forcedAt + cooldown - clock.now()),
      );
    }
  };

  /**
   * A change of the client, or a signal, tries again at once, but never cuts a failed push's
   * backoff short: a client that refuses a token and changes state with each refusal (twilsock
   * goes `denied`) must not turn the retries into a loop.
   */
  const recheck = () => {
    if (client === undefined) return;
    if (pushing && spec.confirm?.(client) === false) {
      abandon?.(new Error(`${spec.name} lost its connection during updateToken.`));
    }
    if (clock.now() >= retryAt) deliver();
  };

  /** Listens to a client; on any throw, undoes what was done and rethrows (attach is atomic). */
  const bind = (target: Client) => {
    let unlisten: (() => void) | undefined;
    try {
      unlisten = spec.listen?.(target, onSignal);
      const unwatch = spec.watch?.(target, recheck);
      unbind = () => {
        unlisten?.();
        unwatch?.();
      };
    } catch (error) {
      unlisten?.();
      throw error;
    }
  };

  /** Factory form: ends the client (sign-out, another identity, detach). */
  const retire = () => {
    const old = client;
    if (old === undefined) return;
    unbind();
    unbind = noop;
    client = undefined;
    held = previous = undefined;
    heldJwt = triedJwt = spentJwt = undefined;
    clock.clearTimeout(timer);
    clock.clearTimeout(pushTimer);
    pushing = false;
    try {
      Promise.resolve(spec.shutdown?.(old)).catch(noop);
    } catch {
      // A client that throws on shutdown is gone all the same.
    }
  };

  /** Factory form: a client with a token valid long enough, for the manager's identity now. */
  const create = () => {
    if (creating || detached || client !== undefined || !factory) return;
    creating = true;
    set({ status: 'creating' });
    const minValidity = options.minValidityMs;
    manager
      .getToken(minValidity === undefined ? {} : { minValidityMs: minValidity })
      .then(async (jwt) => {
        const made = await factory(jwt);
        creating = false;
        if (detached) {
          Promise.resolve(spec.shutdown?.(made)).catch(noop);
          return;
        }
        client = made;
        held = parse(jwt);
        heldJwt = jwt;
        attempt = 0;
        retryAt = Number.NEGATIVE_INFINITY;
        bind(made);
        clients.next(made);
        set({ status: 'synced', token: held, lastError: undefined });
        wanted = manager.getState().token ?? undefined;
        deliver();
      })
      .catch((error: AccessManagerError) => {
        creating = false;
        if (error?.code === 'closed') detach();
        else if (!detached) {
          set({ status: 'failed', lastError: error });
          // A factory that failed, or a token that did not come: try again with the next token.
        }
      });
  };

  const onToken = (token: AccessToken) => {
    // The manager's newest, not the value delivered: deliveries are queued, so they agree.
    const newest = manager.getState().token ?? token;
    const identity = held?.identity;
    if (identity !== undefined && newest.identity !== identity) {
      // Twilio clients cannot change identity through updateToken (51215, 51232).
      if (factory) retire();
      else {
        set({
          status: 'failed',
          lastError: new IdentityMismatchError(
            `The ${spec.name} client is for another identity: create a new one.`,
          ),
        });
        return;
      }
    }
    if (factory && client === undefined) {
      create();
      return;
    }
    wanted = newest;
    // A new token is tried at once; the backoff count goes on until a push succeeds, so that
    // a client that fails every push (each one asking for a new token) cannot spin.
    retryAt = Number.NEGATIVE_INFINITY;
    deliver();
  };

  const release = manager.requireGrant(spec.grant);
  let subscription: Subscription | undefined;
  let resets: Subscription | undefined;
  try {
    if (client !== undefined) bind(client);
    subscription = manager.token$.subscribe({
      next: onToken,
      // A closed manager ends the link: no timer of its own outlives it.
      complete: () => detach(),
    });
    // Sign-out: `reset()` leaves the manager without a token; a factory link ends its client.
    resets = manager.state$.subscribe((s) => {
      if (!s.token && factory && client !== undefined) {
        retire();
        set({ status: 'creating', token: undefined });
      }
    });
  } catch (error) {
    unbind();
    subscription?.unsubscribe();
    release();
    throw error;
  }
  if (factory && client === undefined && !creating) create();

  function detach(): void {
    if (detached) return;
    detached = true;
    clock.clearTimeout(timer);
    clock.clearTimeout(pushTimer); // a push in flight is abandoned
    clock.clearTimeout(forceTimer);
    subscription?.unsubscribe();
    resets?.unsubscribe();
    if (factory) retire();
    else unbind();
    release();
    set({ status: 'detached' });
    states.complete();
    clients.complete();
  }

  return {
    get client() {
      return client;
    },
    client$: clients.observe(() => client ?? null),
    state$: states.observe(() => state),
    getState: () => state,
    detach,
    [Symbol.dispose]: detach,
  };
}
