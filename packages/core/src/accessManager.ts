import type { Observable, Subscription } from 'rxjs';
import type { AccessToken } from './accessToken.js';
import { backoffDelay } from './backoff.js';
import { Broadcast } from './broadcast.js';
import { type Clock, systemClock } from './clock.js';
import { computeDeadlines, type Deadlines } from './deadlines.js';
import {
  type AccessManagerError,
  ClosedError,
  FetchFailedError,
  MissingGrantError,
  StaleTokenError,
  TokenExpiredError,
} from './errors.js';
import { fetchAttempt } from './fetchAttempt.js';
import { type Logger, silentLogger } from './logger.js';
import { type CheckedToken, checkToken } from './tokenPolicy.js';
import type {
  AccessManagerEvent,
  AccessManagerEventName,
  AccessManagerOptions,
  AccessManagerState,
  AccessManagerStatus,
  FetchToken,
  RefreshReason,
} from './types.js';
import { browserWakeSignals } from './wakeSignals.js';

/** Deadlines are re-checked against the wall clock at least this often, to catch sleep. */
const RECHECK_MS = 30_000;

/** One refresh: attempts of `fetchToken` until one yields a token, or a fatal error. */
interface Flight {
  promise: Promise<AccessToken>;
  resolve: (token: AccessToken) => void;
  reject: (error: AccessManagerError) => void;
  reason: RefreshReason;
  attempt: number;
  /** How many tokens the manager had adopted when the running (or last) attempt began. */
  adoptions: number;
  /** The running attempt's; undefined while waiting to retry. */
  controller?: AbortController | undefined;
  /** When the next attempt is due; null while one runs. */
  retryAt: number | null;
}

type ManagerListener = (manager: AccessManager) => void;
type ErrorListener = (error: AccessManagerError) => void;
type Listener = [AccessManagerEventName, ManagerListener | ErrorListener, Subscription];

const noop = (): void => {};

/**
 * Owns one Twilio access token for every client SDK of the app: validates each token before it
 * replaces the one held, warns and refreshes on time from the token's own lifetime, fetches
 * through one single-flight call with timeout and backoff, and survives sleep, clock skew and a
 * token server that is down.
 *
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom } from '@access-manager/core';
 *
 * const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
 * manager.token$.subscribe((token) => conversationsClient.updateToken(token.jwt));
 * manager.on('error', (error) => console.warn(error.code, error.message));
 * // later
 * manager.close();
 * ```
 */
export class AccessManager {
  readonly #options: AccessManagerOptions;
  readonly #fetchToken: FetchToken | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #unwake: () => void;

  #token: AccessToken | null = null;
  #deadlines: Deadlines | null = null;
  /** Tokens adopted so far: orders fetches and adoptions without trusting the wall clock. */
  #adoptions = 0;
  #warned = false;
  #expired = false;
  #clockOffsetMs = 0;
  #identity: string | undefined;
  #accountSid: string | undefined;
  readonly #requiredGrants = new Map<string, number>();
  #flight: Flight | null = null;
  #generation = 0;
  #lastError: AccessManagerError | null = null;
  #fatal = false;
  #timer: unknown;
  #closed = false;
  /** Events raised during construction wait here for a microtask, so that `on()` right after `new` hears them. */
  #queue: AccessManagerEvent[] | null = [];
  #listeners: Listener[] = [];
  readonly #tokens = new Broadcast<AccessToken>();
  readonly #events = new Broadcast<AccessManagerEvent>();
  readonly #states = new Broadcast<AccessManagerState>();
  #state: AccessManagerState | undefined;
  #stateKey: unknown[] | undefined;
  #token$: Observable<AccessToken> | undefined;
  #state$: Observable<AccessManagerState> | undefined;
  #events$: Observable<AccessManagerEvent> | undefined;

  /**
   * Starts with a token, twilio-common style (`new AccessManager(jwt)`), or with options: a
   * token, a `fetchToken`, or both.
   */
  constructor(init?: string | AccessManagerOptions) {
    const options = typeof init === 'string' ? { token: init } : (init ?? {});
    this.#options = options;
    this.#fetchToken = options.fetchToken;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    let reason: RefreshReason = 'initial';
    if (options.token !== undefined) {
      try {
        this.#adopt(this.#check(options.token, false));
      } catch (error) {
        this.#report(error as AccessManagerError);
        if ((error as AccessManagerError).code === 'token_expired') reason = 'expired';
      }
    }
    if (!this.#token && this.#fetchToken) this.#startFlight(reason);
    const wakeSignals = options.wakeSignals ?? browserWakeSignals;
    this.#unwake = wakeSignals ? wakeSignals(() => this.#tick()) : noop;
    queueMicrotask(() => {
      const queued = this.#queue ?? [];
      this.#queue = null;
      for (const event of queued) this.#events.next(event);
    });
    this.#tick();
  }

  /** The current token at once (when there is one), then every token adopted; completes on `close()`. */
  get token$(): Observable<AccessToken> {
    this.#token$ ??= this.#tokens.observe(() => this.#token);
    return this.#token$;
  }

  /** The current state at once, then every change; completes on `close()`. */
  get state$(): Observable<AccessManagerState> {
    this.#state$ ??= this.#states.observe(() => this.getState());
    return this.#state$;
  }

  /** Every lifecycle event as it happens (no replay); completes on `close()`. */
  get events$(): Observable<AccessManagerEvent> {
    this.#events$ ??= this.#events.observe();
    return this.#events$;
  }

  /** The raw JWT held now, or null. */
  get token(): string | null {
    return this.#token?.jwt ?? null;
  }

  /** The identity of the token held now, or null. */
  get identity(): string | null {
    return this.#token?.identity ?? null;
  }

  /** When the token held now expires (its `exp`), or null. */
  get expires(): Date | null {
    return this.#token?.expiresAt ?? null;
  }

  /** True when no token is held or the one held has expired. */
  get isExpired(): boolean {
    return !this.#deadlines || this.#clock.now() >= this.#deadlines.expireAt;
  }

  /** The state now, computed against the clock at the moment of the call. */
  getState(): AccessManagerState {
    return this.#publish();
  }

  /** Adds a listener. `error` listeners get the error; the others get the manager. */
  on(name: 'tokenUpdated' | 'tokenWillExpire' | 'tokenExpired', listener: ManagerListener): this;
  on(name: 'error', listener: ErrorListener): this;
  on(name: AccessManagerEventName, listener: ManagerListener | ErrorListener): this {
    return this.#listen(name, listener, false);
  }

  /** Adds a listener that is removed after its first call. */
  once(name: 'tokenUpdated' | 'tokenWillExpire' | 'tokenExpired', listener: ManagerListener): this;
  once(name: 'error', listener: ErrorListener): this;
  once(name: AccessManagerEventName, listener: ManagerListener | ErrorListener): this {
    return this.#listen(name, listener, true);
  }

  /** Removes a listener added with `on` or `once`. */
  off(name: 'tokenUpdated' | 'tokenWillExpire' | 'tokenExpired', listener: ManagerListener): this;
  off(name: 'error', listener: ErrorListener): this;
  off(name: AccessManagerEventName, listener: ManagerListener | ErrorListener): this {
    const entry = this.#listeners.find(([n, l]) => n === name && l === listener);
    if (entry) this.#unlisten(entry);
    return this;
  }

  /**
   * Validates a token and adopts it. Rejects with a typed error, and keeps the token held, when
   * it is malformed, expired, not yet valid, too long-lived, for another identity or account,
   * lacks a required grant, or is older than the one held. The same token again is a no-op.
   */
  async updateToken(token: string): Promise<this> {
    if (this.#closed) throw new ClosedError();
    if (token === this.#token?.jwt) return this;
    try {
      this.#adopt(this.#check(token, false));
      return this;
    } catch (error) {
      this.#report(error as AccessManagerError);
      if ((error as AccessManagerError).code === 'token_expired' && this.#fetchToken) {
        this.refresh({ reason: 'expired' }).catch(noop);
      }
      this.#publish();
      throw error;
    }
  }

  /**
   * Fetches a new token now, through the one fetch in flight if there is one. With `force`, a
   * fetch under way that began before the token held now was adopted is replaced by a new
   * attempt (a refresh waiting to retry is joined: backoff and `Retry-After` still hold). Resolves with the token adopted; keeps retrying with backoff through
   * failures, and rejects only on a fatal error or `close()`.
   */
  refresh(options: { reason?: RefreshReason; force?: boolean } = {}): Promise<AccessToken> {
    if (this.#closed) return Promise.reject(new ClosedError());
    if (!this.#fetchToken) {
      return Promise.reject(new FetchFailedError('No fetchToken.', { retryable: false }));
    }
    const flight = this.#flight;
    if (!flight) {
      this.#fatal = false; // asked for again: a fatal error no longer stands
      return this.#startFlight(options.reason ?? 'manual').promise;
    }
    // A fetch under way that began before the token held now may bring back no newer one. A
    // refresh that waits to retry is joined: forcing must not bypass backoff or Retry-After.
    if (options.force && flight.controller && flight.adoptions < this.#adoptions) {
      flight.controller.abort(new StaleTokenError('Replaced by a forced refresh.'));
      this.#attempt(flight);
    }
    return flight.promise;
  }

  /**
   * The JWT, valid for at least `minValidityMs` more (default 0): the one held, or a fresh one.
   * Without `fetchToken`, waits for `updateToken`. Rejects when `signal` aborts or on `close()`.
   */
  async getToken(options: { minValidityMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const { minValidityMs = 0, signal } = options;
    for (let fetched = false; ; fetched = true) {
      if (this.#closed) throw new ClosedError();
      signal?.throwIfAborted();
      const token = this.#token;
      if (token && (this.#deadlines?.expireAt ?? 0) - this.#clock.now() > minValidityMs) {
        return token.jwt;
      }
      if (fetched && this.#fetchToken) {
        throw new TokenExpiredError(`No token is valid ${minValidityMs} ms more.`);
      }
      await new Promise<unknown>((resolve, reject) => {
        let subscription: Subscription | undefined;
        const settle = (then: (value: unknown) => void) => (value: unknown) => {
          subscription?.unsubscribe();
          signal?.removeEventListener('abort', onAbort);
          then(value);
        };
        const onAbort = () => settle(reject)(signal?.reason);
        signal?.addEventListener('abort', onAbort);
        if (this.#fetchToken) {
          const reason = token ? 'expired' : 'initial';
          this.refresh({ reason, force: true }).then(settle(resolve), settle(reject));
        } else {
          subscription = this.#tokens.observe().subscribe({
            next: settle(resolve),
            complete: () => settle(reject)(new ClosedError()),
          });
        }
      });
    }
  }

  /**
   * Declares that an attached SDK needs a grant (`'chat'`, `'data_sync'`, `'voice'`, `'video'`).
   * Throws {@link MissingGrantError} when the token held lacks it; from then on a token without it
   * is rejected. Returns the function that releases the requirement.
   */
  requireGrant(grant: string): () => void {
    if (this.#token && !this.#token.hasGrant(grant)) {
      throw new MissingGrantError(`Token ${this.#token.id} has no "${grant}" grant.`);
    }
    const grants = this.#requiredGrants;
    grants.set(grant, (grants.get(grant) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (grants.get(grant) ?? 1) - 1;
      if (count) grants.set(grant, count);
      else grants.delete(grant);
    };
  }

  /**
   * Stops for good: aborts a fetch in flight, clears every timer, removes wake listeners and
   * listeners, completes every stream. Later calls reject with `closed`. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    const flight = this.#flight;
    this.#flight = null;
    const error = new ClosedError();
    flight?.controller?.abort(error);
    flight?.reject(error);
    this.#clock.clearTimeout(this.#timer);
    this.#unwake();
    this.#publish();
    for (const entry of this.#listeners) entry[2].unsubscribe();
    this.#listeners = [];
    this.#queue = null;
    this.#tokens.complete();
    this.#events.complete();
    this.#states.complete();
  }

  /** Same as `close()`, for `using manager = new AccessManager(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Checks a candidate. `staleCheck`: whether a token issued before the one held is refused;
   * never against a held token that has expired (a token from the local future must not lock
   * every later one out).
   */
  #check(jwt: unknown, fetched: boolean, staleCheck = true): CheckedToken {
    const fixed = this.#options.identity !== 'any';
    return checkToken(jwt, {
      now: this.#clock.now(),
      clockOffsetMs: this.#clockOffsetMs,
      fetched,
      current: staleCheck && !this.isExpired ? this.#token : null,
      identity: fixed ? this.#identity : undefined,
      accountSid: fixed ? this.#accountSid : undefined,
      requiredGrants: this.#requiredGrants.keys(),
    });
  }

  #adopt({ token, clockOffsetMs }: CheckedToken): void {
    const now = this.#clock.now();
    const options = this.#options;
    this.#token = token;
    this.#clockOffsetMs = clockOffsetMs;
    this.#identity ??= token.identity;
    this.#accountSid ??= token.accountSid;
    this.#deadlines = computeDeadlines(token, {
      now,
      clockOffsetMs,
      warnBeforeMs: options.warnBeforeMs ?? 180_000,
      refreshBeforeMs: options.refreshBeforeMs,
      random: options.random ?? Math.random,
    });
    this.#adoptions++;
    this.#warned = this.#expired = this.#fatal = false;
    this.#lastError = null;
    this.#logger.info(`Adopted ${token}.`);
    // A refresh that waits to retry has what it was for: its callers get this token.
    const flight = this.#flight;
    if (flight?.retryAt != null) {
      this.#flight = null;
      flight.resolve(token);
    }
    this.#tokens.next(token);
    this.#emit({ type: 'tokenUpdated', token });
    if (this.#token === token) this.#tick();
  }

  #report(error: AccessManagerError): void {
    this.#lastError = error;
    this.#logger.warn(`${error.name}: ${error.message}`);
    this.#emit({ type: 'error', error });
  }

  #emit(event: AccessManagerEvent): void {
    if (this.#queue) this.#queue.push(event);
    else this.#events.next(event);
  }

  #listen(name: AccessManagerEventName, listener: Listener[1], once: boolean): this {
    const entry = [name, listener] as unknown as Listener;
    this.#listeners.push(entry);
    entry[2] = this.events$.subscribe((event) => {
      if (event.type !== name) return;
      if (once) this.#unlisten(entry);
      (listener as (arg: unknown) => void)(event.type === 'error' ? event.error : this);
    });
    return this;
  }

  #unlisten(entry: Listener): void {
    entry[2].unsubscribe();
    this.#listeners = this.#listeners.filter((e) => e !== entry);
  }

  #startFlight(reason: RefreshReason): Flight {
    const flight = { reason, attempt: 0, adoptions: 0, retryAt: null } as unknown as Flight;
    flight.promise = new Promise<AccessToken>((resolve, reject) => {
      flight.resolve = resolve;
      flight.reject = reject;
    });
    flight.promise.catch(noop); // a refresh nobody awaits must not become an unhandled rejection
    this.#flight = flight;
    this.#attempt(flight);
    return flight;
  }

  #attempt(flight: Flight): void {
    const generation = ++this.#generation;
    const controller = new AbortController();
    const options = this.#options;
    flight.controller = controller;
    flight.retryAt = null;
    flight.adoptions = this.#adoptions;
    fetchAttempt(
      this.#fetchToken as FetchToken,
      { reason: flight.reason, attempt: ++flight.attempt },
      controller,
      options.fetchTimeoutMs ?? 10_000,
      this.#clock,
    ).then(
      (jwt) => generation === this.#generation && this.#received(flight, jwt),
      (error: AccessManagerError) => generation === this.#generation && this.#failed(flight, error),
    );
    this.#tick();
  }

  #received(flight: Flight, jwt: string): void {
    const held = this.#token;
    // When the held token is due, a fetched token older than it is still welcome.
    const due = this.#due();
    let checked: CheckedToken;
    try {
      if (jwt === held?.jwt) throw new StaleTokenError('The token server sent the token held now.');
      checked = this.#check(jwt, true, !due);
    } catch (error) {
      // Nothing newer, but nothing needed yet either: the callers get the token held.
      if (held && !due && (error as AccessManagerError).code === 'stale_token') {
        this.#settle(flight, held);
      } else {
        this.#failed(flight, error as AccessManagerError);
      }
      return;
    }
    this.#flight = null;
    this.#adopt(checked);
    flight.resolve(checked.token);
  }

  /** Whether the held token needs replacing: none, or past its refresh point. */
  #due(): boolean {
    return !this.#deadlines || this.#clock.now() >= this.#deadlines.refreshAt;
  }

  #settle(flight: Flight, token: AccessToken): void {
    this.#flight = null;
    flight.resolve(token);
    this.#tick();
  }

  #failed(flight: Flight, error: AccessManagerError): void {
    const options = this.#options;
    flight.controller = undefined;
    // A token adopted while this attempt ran (pushed with updateToken) and not yet due answers
    // the refresh: no error to report, nothing to retry.
    const held = this.#token;
    if (held && flight.adoptions < this.#adoptions && !this.#due()) {
      this.#settle(flight, held);
      return;
    }
    this.#report(error);
    if (error.code === 'fetch_failed' && !error.retryable) {
      this.#fatal = true;
      this.#flight = null;
      flight.reject(error);
    } else {
      const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
      // Never sooner than the server's Retry-After, never later than maxDelayMs.
      const delay = Math.max(
        backoffDelay(
          flight.attempt,
          options.retry?.minDelayMs ?? 1_000,
          maxDelayMs,
          options.random,
        ),
        Math.min((error as FetchFailedError).retryAfterMs ?? 0, maxDelayMs),
      );
      flight.retryAt = this.#clock.now() + delay;
      this.#logger.info(`Next token fetch in ${Math.round(delay)} ms.`);
    }
    this.#tick();
  }

  /** Acts on every deadline that has passed, then sets the one timer for the next. */
  #tick(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const token = this.#token;
    const deadlines = this.#deadlines;
    const canFetch = this.#fetchToken && !this.#fatal;
    if (token && deadlines) {
      if (!this.#expired && now >= deadlines.expireAt) {
        this.#expired = this.#warned = true;
        this.#emit({ type: 'tokenExpired', token });
      } else if (!this.#warned && now >= deadlines.warnAt) {
        this.#warned = true;
        this.#emit({ type: 'tokenWillExpire', token, expiresInMs: deadlines.expireAt - now });
      }
      // A listener may have adopted a token or closed the manager: its own tick took over.
      if (this.#closed || this.#token !== token) return;
      if (now >= deadlines.refreshAt && !this.#flight && canFetch) {
        this.#startFlight(this.#expired ? 'expired' : 'scheduled');
        return;
      }
    }
    const flight = this.#flight;
    if (flight?.retryAt != null && now >= flight.retryAt) {
      this.#attempt(flight);
      return;
    }
    this.#publish();
    let next = flight?.retryAt ?? Infinity;
    if (deadlines) {
      if (!this.#warned) next = Math.min(next, deadlines.warnAt);
      if (!this.#expired) next = Math.min(next, deadlines.expireAt);
      if (!flight && canFetch) next = Math.min(next, deadlines.refreshAt);
    }
    this.#clock.clearTimeout(this.#timer);
    this.#timer =
      next < Infinity
        ? this.#clock.setTimeout(() => this.#tick(), Math.max(0, Math.min(next - now, RECHECK_MS)))
        : undefined;
  }

  /** Computes the state against the clock, and emits it on `state$` when it changed. */
  #publish(): AccessManagerState {
    const now = this.#clock.now();
    const token = this.#token;
    const deadlines = this.#deadlines;
    const flight = this.#flight;
    const status: AccessManagerStatus = this.#closed
      ? 'closed'
      : this.#fatal
        ? 'failed'
        : deadlines && now >= deadlines.expireAt
          ? 'expired'
          : flight
            ? 'refreshing'
            : !deadlines
              ? 'empty'
              : now >= deadlines.warnAt
                ? 'expiring'
                : 'valid';
    const refreshAt = flight
      ? flight.retryAt
      : deadlines && this.#fetchToken && !this.#fatal && !this.#closed
        ? deadlines.refreshAt
        : null;
    const key = [
      status,
      token,
      refreshAt,
      this.#clockOffsetMs,
      flight?.attempt ?? 0,
      this.#lastError,
    ];
    const previous = this.#state;
    if (previous && this.#stateKey?.every((value, i) => value === key[i])) return previous;
    const state: AccessManagerState = {
      status,
      token,
      refreshAt: refreshAt === null ? null : new Date(refreshAt),
      clockOffsetMs: this.#clockOffsetMs,
      attempt: flight?.attempt ?? 0,
      lastError: this.#lastError,
    };
    this.#stateKey = key;
    this.#state = state;
    this.#states.next(state);
    return state;
  }
}
