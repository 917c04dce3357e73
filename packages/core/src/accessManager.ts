import type { Observable } from 'rxjs';
import type { AccessToken } from './accessToken.js';
import { decideAdoption } from './adoption.js';
import { Broadcast, Mailbox } from './broadcast.js';
import { type Clock, systemClock } from './clock.js';
import { initialSkew } from './clockSkew.js';
import { computeDeadlines, type Deadlines } from './deadlines.js';
import { DeadlineTimer } from './deadlineTimer.js';
import {
  AbortedError,
  type AccessManagerError,
  ClosedError,
  DETERMINISTIC_CODES,
  FetchFailedError,
  StaleTokenError,
} from './errors.js';
import type { FetchResult } from './fetchAttempt.js';
import { type GetTokenOptions, waitForToken } from './getToken.js';
import { GrantRegistry } from './grantRegistry.js';
import { ListenerFacade } from './listenerFacade.js';
import { type Logger, silentLogger } from './logger.js';
import { deriveState } from './managerState.js';
import { validateOptions } from './options.js';
import { RefreshFlight } from './refreshFlight.js';
import type { SharedToken, TabSharing, TabSharingHost } from './tabSharing.js';
import { type CheckedToken, checkToken } from './tokenPolicy.js';
import type {
  AccessManagerEvent,
  AccessManagerOptions,
  AccessManagerState,
  RefreshReason,
} from './types.js';
import { browserWakeSignals } from './wakeSignals.js';

const noop = (): void => {};

/**
 * Owns one Twilio access token for every client SDK of the app: validates each token before it
 * replaces the one held, warns and refreshes on time from the token's own lifetime, fetches
 * through one single-flight call with timeout and backoff, and survives sleep, clock skew and a
 * token server that is down. Data flows one way: token → validate → adopt → publish.
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
export class AccessManager extends ListenerFacade {
  readonly #options: Omit<AccessManagerOptions, 'token'>;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #unwake: () => void;
  readonly #timer: DeadlineTimer;
  readonly #grants = new GrantRegistry();
  readonly #tokens: Broadcast<AccessToken>;
  readonly #events: Broadcast<AccessManagerEvent>;
  readonly #states: Broadcast<AccessManagerState>;
  readonly #mailbox: Mailbox;

  #token: AccessToken | null = null;
  #deadlines: Deadlines | null = null;
  /** The first token adopted (since `reset()`), whose identity, account and services are fixed. */
  #anchor: AccessToken | null = null;
  #skew = initialSkew;
  /** Tokens adopted so far: orders fetches and adoptions without trusting the wall clock. */
  #adoptions = 0;
  #warned = false;
  #expired = false;
  #flight: RefreshFlight | null = null;
  /** The fatal error that stopped fetching, until `refresh()` or an adopted token. */
  #failure: AccessManagerError | null = null;
  #lastError: AccessManagerError | null = null;
  #resets = 0;
  #closed = false;
  /** The newest snapshot derived, and the last one published on `state$`. */
  #state: AccessManagerState | null = null;
  #published: AccessManagerState | null = null;
  /** Events raised during construction wait here for a microtask, so that `events$` right after `new` hears them. */
  #queue: AccessManagerEvent[] | null = [];
  /** The channel to the managers of other tabs (`shareAcrossTabs`), until `reset()` or `close()`. */
  #sharing: TabSharing | null;

  /** The current token at once (when there is one), then every token adopted; completes on `close()`. */
  readonly token$: Observable<AccessToken>;
  /** The current state at once, then every change; completes on `close()`. */
  readonly state$: Observable<AccessManagerState>;
  /** Every lifecycle event as it happens (no replay); completes on `close()`. */
  readonly events$: Observable<AccessManagerEvent>;

  /**
   * Starts with a token, twilio-common style (`new AccessManager(jwt)`), or with options: a
   * token, a `fetchToken`, or both.
   */
  constructor(init?: string | AccessManagerOptions) {
    const { token, ...options } = typeof init === 'string' ? { token: init } : (init ?? {});
    validateOptions(options);
    const clock = options.clock ?? systemClock;
    const mailbox = new Mailbox();
    super(clock, mailbox);
    this.#mailbox = mailbox;
    this.#options = options;
    this.#clock = clock;
    this.#logger = options.logger ?? silentLogger;
    this.#timer = new DeadlineTimer(clock);
    this.#tokens = new Broadcast(mailbox);
    this.#events = new Broadcast(mailbox);
    this.#states = new Broadcast(mailbox);
    this.token$ = this.#tokens.observe(() => this.#token);
    this.state$ = this.#states.observe(() => this.getState());
    this.events$ = this.#events.observe();
    this.#sharing = options.shareAcrossTabs?.(this.#sharingHost()) ?? null;
    let reason: RefreshReason = 'initial';
    if (token !== undefined) {
      try {
        this.#adopt(this.#check(token));
      } catch (error) {
        this.#report(error as AccessManagerError, true);
        if ((error as AccessManagerError).code === 'token_expired') reason = 'expired';
      }
    }
    // Without a token, ask the other tabs for theirs; the first fetch waits briefly for an answer.
    const waitMs = this.#token ? 0 : (this.#sharing?.ask() ?? 0);
    if (!this.#token && options.fetchToken) this.#startFlight(reason, false, waitMs);
    const wakeSignals = options.wakeSignals ?? browserWakeSignals;
    this.#unwake = wakeSignals ? wakeSignals(() => this.#wake()) : noop;
    queueMicrotask(() => {
      const queued = this.#queue ?? [];
      this.#queue = null;
      for (const event of queued) this.#events.next(event);
    });
    this.#reconcile();
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

  /** True when the token held has expired; false while none is held (as in twilio-common). */
  get isExpired(): boolean {
    return !!this.#deadlines && this.#clock.now() >= this.#deadlines.expireAt;
  }

  /**
   * The state now: the same object while nothing in it changed. Pure: reading it never emits,
   * schedules or changes anything (React calls it during render); `state$` publishes each change.
   */
  getState(): AccessManagerState {
    this.#state = deriveState(this.#state, {
      now: this.#clock.now(),
      closed: this.#closed,
      token: this.#token,
      deadlines: this.#deadlines,
      flight: this.#flight,
      failure: this.#failure,
      plans: !!this.#options.fetchToken && !this.#failure && !this.#closed,
      clockOffsetMs: this.#skew.offsetMs,
      lastError: this.#lastError,
      resets: this.#resets,
    });
    return this.#state;
  }

  /**
   * Validates a token and adopts it. Rejects with a typed error, and keeps the token held, when
   * it is malformed, expired, not yet valid, too long-lived, for another identity, account or
   * service instance, lacks a required grant, or expires sooner than a held token that is due.
   * The same token again is a no-op.
   */
  async updateToken(token: string): Promise<this> {
    if (this.#closed) throw new ClosedError();
    this.supersede();
    if (this.#token && token === this.#token.jwt) return this;
    try {
      const checked = this.#check(token);
      const why = this.#whyNot(checked.token, false);
      if (why) throw new StaleTokenError(`Token ${checked.token.id} ${why}.`);
      this.#adopt(checked);
      return this;
    } catch (error) {
      this.#report(error as AccessManagerError);
      if ((error as AccessManagerError).code === 'token_expired' && this.#options.fetchToken) {
        this.refresh({ reason: 'expired' }).catch(noop);
      }
      this.#publish();
      throw error;
    }
  }

  /**
   * Fetches a new token now, through the one fetch in flight if there is one. `force`: the held
   * token is no good (an SDK refused it): the refresh ends only with another token that expires
   * no sooner, and a fetch under way that began before the token held now is replaced (a refresh
   * waiting to retry is joined: backoff and `Retry-After` still hold). Resolves with the token
   * adopted; keeps retrying with backoff through failures, and rejects only on a fatal error or
   * `close()`.
   */
  refresh(options: { reason?: RefreshReason; force?: boolean } = {}): Promise<AccessToken> {
    if (this.#closed) return Promise.reject(new ClosedError());
    if (!this.#options.fetchToken) {
      return Promise.reject(new FetchFailedError('No fetchToken.', { retryable: false }));
    }
    const flight = this.#flight;
    const force = !!options.force;
    if (!flight) {
      this.#failure = null; // asked for again: a fatal error no longer stands
      return this.#startFlight(options.reason ?? 'manual', force).promise;
    }
    if (force) {
      flight.refuse(this.#token);
      if (flight.running && flight.adoptions < this.#adoptions) {
        flight.abort(new StaleTokenError('Replaced by a forced refresh.'));
        this.#attempt(flight);
      }
    }
    return flight.promise;
  }

  /**
   * The JWT, valid for at least `minValidityMs` more: the one held, or a fresh one. The default
   * is 60 s (enough to create an SDK client), or half the lifetime of a token that lives less.
   * Without `fetchToken`, waits for `updateToken`. Rejects with `timeout` after `timeoutMs`, with
   * `aborted` when `signal` aborts, and with `closed` on `close()`.
   */
  getToken(options: GetTokenOptions = {}): Promise<string> {
    return waitForToken(
      {
        clock: this.#clock,
        closed: () => this.#closed,
        held: () =>
          this.#token && this.#deadlines
            ? { token: this.#token, expireAt: this.#deadlines.expireAt }
            : null,
        // After a fatal failure, getToken rejects with it: only refresh(), reset() or a pushed
        // token start fetching again (a 401 must not become a fetch per caller).
        refresh: this.#options.fetchToken
          ? (refresh) => (this.#failure ? Promise.reject(this.#failure) : this.refresh(refresh))
          : undefined,
        next$: this.#tokens.observe(),
      },
      options,
    );
  }

  /**
   * What an attached SDK client said of the token it holds (`willExpire`: its warning; `expired`:
   * it refused it). With `fetchToken`, a refresh (forced when the token was refused); without
   * (push-only), a `tokenWillExpire` or `tokenExpired` event with `source: 'sdk'`, so that the
   * app hears it and pushes a new token. Resolves when the refresh does (push-only: at once).
   */
  reportSdkSignal(kind: 'willExpire' | 'expired'): Promise<unknown> {
    const token = this.#token;
    if (this.#closed) return Promise.reject(new ClosedError());
    if (this.#options.fetchToken) {
      return this.refresh({ reason: 'sdk', force: kind === 'expired' });
    }
    if (token) {
      const expiresInMs = Math.max(0, (this.#deadlines?.expireAt ?? 0) - this.#clock.now());
      this.#emit(
        kind === 'expired'
          ? { type: 'tokenExpired', token, source: 'sdk' }
          : { type: 'tokenWillExpire', token, expiresInMs, source: 'sdk' },
      );
    }
    return Promise.resolve();
  }

  /**
   * Declares that an attached SDK needs a grant (`'chat'`, `'data_sync'`, `'voice'`, `'video'`).
   * Throws {@link MissingGrantError} when the token held lacks it; from then on a token without it
   * is refused. Returns the function that releases the requirement.
   */
  requireGrant(grant: string): () => void {
    return this.#grants.require(grant, this.#token);
  }

  /**
   * Forgets the token, the identity, account and services it fixed, and any fetch under way or
   * fatal error, so that the next token may be another user's (sign-out, user switch). Fetches
   * nothing by itself: call `refresh()` or `updateToken()` for the next user. The clock estimate
   * and listeners stay.
   */
  reset(): void {
    if (this.#closed) return;
    this.#resets += 1;
    this.#forget(new AbortedError('The AccessManager was reset.'));
    this.#logger.info('Reset: no token held.');
    this.#reconcile();
  }

  /**
   * Stops for good: aborts a fetch in flight, clears every timer, removes wake listeners and
   * listeners, forgets the token, completes every stream. Later calls reject with `closed`.
   * Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#forget(new ClosedError());
    this.#timer.clear();
    this.#unwake();
    this.#publish();
    this.closeListeners();
    this.#queue = null;
    this.#tokens.complete();
    this.#events.complete();
    this.#states.complete();
  }

  /** Same as `close()`, for `using manager = new AccessManager(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #forget(error: AccessManagerError): void {
    const flight = this.#flight;
    this.#flight = null;
    flight?.abort(error);
    flight?.reject(error);
    this.#token = this.#deadlines = this.#anchor = this.#failure = this.#lastError = null;
    // The channel's name stood for the user that is gone: a reset manager shares no more.
    this.#sharing?.close();
    this.#sharing = null;
  }

  /** `fetched`: the token came from `fetchToken` (with `serverTime`, if the server stated one). */
  #check(
    jwt: unknown,
    fetched?: FetchResult,
    minted = fetched ? fetched.serverTime === undefined : !this.#options.fetchToken,
    anchor = this.#options.identity === 'any' ? null : this.#anchor,
  ): CheckedToken {
    return checkToken(jwt, {
      now: this.#clock.now(),
      skew: this.#skew,
      serverTime: fetched?.serverTime,
      minted,
      anchor,
      requiredGrants: this.#grants.keys(),
      remember: (skew) => {
        this.#skew = skew;
      },
      note: (line) => this.#logger.warn(line),
    });
  }

  /** Why a valid token is not adopted, in words; undefined when it is. */
  #whyNot(token: AccessToken, refused: boolean): string | undefined {
    const held = this.#token;
    const reason = decideAdoption(token, { held, due: this.#due(), refused });
    if (!reason) return undefined;
    const why = reason === 'same_token' ? 'is the token held' : `expires sooner than ${held}`;
    this.#logger.info(`Not adopted: ${token} ${why}.`);
    this.#emit({ type: 'tokenNotAdopted', token, reason });
    return why;
  }

  /** Whether the held token needs replacing: none, or past its refresh point. */
  #due(): boolean {
    return !this.#deadlines || this.#clock.now() >= this.#deadlines.refreshAt;
  }

  /**
   * Sets the deadlines of the token held, on the local clock, from the clock estimate.
   * `follower`: the token came from another tab, which will fetch the next one first.
   */
  #plan(token: AccessToken, follower?: (deadlines: Deadlines) => Deadlines): void {
    const options = this.#options;
    const now = this.#clock.now();
    const deadlines = computeDeadlines(token, {
      now,
      clockOffsetMs: this.#skew.offsetMs,
      warnBeforeMs: options.warnBeforeMs ?? 180_000,
      refreshBeforeMs: options.refreshBeforeMs,
      random: options.random ?? Math.random,
    });
    this.#deadlines = follower ? follower(deadlines) : deadlines;
    // An event already given stands only while its deadline is still behind us.
    this.#warned &&= now >= deadlines.warnAt;
    this.#expired &&= now >= deadlines.expireAt;
  }

  #adopt({ token, skew }: CheckedToken, follower?: (deadlines: Deadlines) => Deadlines): void {
    this.#token = token;
    this.#skew = skew;
    this.#anchor ??= token;
    this.#warned = this.#expired = false;
    this.#plan(token, follower);
    this.#adoptions++;
    this.#failure = this.#lastError = null;
    this.#logger.info(`Adopted ${token}.`);
    // A refresh that waits to retry has what it was for, and so has a forced one given a token
    // that expires no sooner than the refused one, from any source: its callers get this token.
    const flight = this.#flight;
    if (flight && (!flight.running || token.expiresAt.getTime() >= flight.refusedExpiresAt)) {
      this.#flight = null;
      flight.abort(new StaleTokenError('Answered by a token adopted meanwhile.'));
      flight.resolve(token);
    }
    // One delivery for the three streams, queued behind any under way, so that every stream
    // hears adoptions in their order even when a subscriber adopts another token meanwhile. The
    // snapshot first, so that a subscriber of token$ that reads getState() sees this token.
    this.#mailbox.post(() => {
      this.#publish();
      this.#tokens.next(token);
      this.#emit({ type: 'tokenUpdated', token });
    });
    if (this.#token === token) this.#reconcile();
  }

  #report(error: AccessManagerError, initial?: boolean): void {
    this.#lastError = error;
    this.#logger.warn(`${error.name}: ${error.message}`);
    this.#emit({ type: 'error', error }, initial);
  }

  #emit(event: AccessManagerEvent, initial?: boolean): void {
    if (this.#closed) return; // whoever closed it, nothing is emitted after close()
    if (this.#queue) this.#queue.push(event);
    else this.#events.next(event);
    this.hear(event, initial);
  }

  /** `waitMs`: the first attempt waits this long (for another tab's token: at start-up, on waking). */
  #startFlight(reason: RefreshReason, refused: boolean, waitMs = 0): RefreshFlight {
    const options = this.#options;
    const flight = new RefreshFlight(reason, {
      fetchToken: options.fetchToken as NonNullable<AccessManagerOptions['fetchToken']>,
      clock: this.#clock,
      fetchTimeoutMs: options.fetchTimeoutMs,
      retry: options.retry,
      random: options.random,
    });
    if (refused) flight.refuse(this.#token);
    this.#flight = flight;
    if (waitMs) {
      flight.defer(this.#clock.now() + waitMs);
      this.#reconcile();
    } else this.#attempt(flight);
    return flight;
  }

  #attempt(flight: RefreshFlight): void {
    flight.start(
      this.#adoptions,
      (result) => this.#received(flight, result),
      (error) => this.#failed(flight, error),
    );
    this.#reconcile();
  }

  #received(flight: RefreshFlight, result: FetchResult): void {
    let checked: CheckedToken;
    try {
      checked = this.#check(result.jwt, result);
    } catch (error) {
      this.#failed(flight, error as AccessManagerError);
      return;
    }
    const why = this.#whyNot(checked.token, flight.refused);
    if (!why) {
      this.#flight = null;
      this.#adopt(checked);
      flight.resolve(checked.token);
      // The token fetched, and only it: not one a subscriber pushed during its adoption.
      if (this.#token) this.#sharing?.post({ jwt: checked.token.jwt, offsetMs: this.#offset() });
      return;
    }
    // Not adopted, but what it says of the server's clock holds: the held token is planned anew.
    if (this.#token && checked.skew.offsetMs !== this.#skew.offsetMs) {
      this.#skew = checked.skew;
      this.#plan(this.#token);
    }
    if (this.#token && !this.#due() && !flight.refused) {
      this.#settle(flight, this.#token); // nothing newer, but nothing needed yet either
    } else {
      this.#failed(flight, new StaleTokenError(`The token server sent a token that ${why}.`));
    }
  }

  /** The clock offset to share with another tab: only one that rests on a stated server time. */
  #offset(): number | undefined {
    return this.#skew.source === 'server' ? this.#skew.offsetMs : undefined;
  }

  /**
   * What the tab-sharing channel may do (see `TabSharingHost`): read the token held while it has
   * not expired, check another tab's token as any token, and adopt it. A token from another tab
   * has its server time on this tab's clock moved by the sender's stated offset; without one, it
   * is not taken as just minted (`minted: false`): this tab does not know when it was. It is held
   * to the identity and account of the token held even under `identity: 'any'`: a tab does not
   * change user because another tab did.
   */
  #sharingHost(): TabSharingHost {
    return {
      logger: this.#logger,
      held: () => {
        const token = this.#token;
        if (!token || !this.#deadlines || this.#clock.now() >= this.#deadlines.expireAt)
          return null;
        return { jwt: token.jwt, offsetMs: this.#offset() };
      },
      check: ({ jwt, offsetMs }: SharedToken) => {
        if (this.#closed) return null;
        const serverTime = offsetMs === undefined ? undefined : this.#clock.now() + offsetMs;
        const anchor = this.#options.identity === 'any' ? this.#token : this.#anchor;
        return this.#check(jwt, { jwt, serverTime }, false, anchor);
      },
      context: () => ({ held: this.#token, due: this.#due(), refused: !!this.#flight?.refused }),
      adopt: (checked, plan) => this.#adopt(checked, plan),
    };
  }

  #settle(flight: RefreshFlight, token: AccessToken): void {
    this.#flight = null;
    flight.resolve(token);
    this.#reconcile();
  }

  #failed(flight: RefreshFlight, error: AccessManagerError): void {
    // A token adopted while this attempt ran (pushed with updateToken) and not yet due answers
    // the refresh: no error to report, nothing to retry.
    const held = this.#token;
    if (held && flight.adoptions < this.#adoptions && !this.#due() && !flight.refused) {
      this.#settle(flight, held);
      return;
    }
    this.#report(error);
    // A fatal answer, or a token that would fail its checks again, ends the refresh.
    if (
      error.code === 'fetch_failed' ? !error.retryable : DETERMINISTIC_CODES.includes(error.code)
    ) {
      this.#failure = error;
      this.#flight = null;
      flight.reject(error);
    } else {
      const delay = flight.wait(error, this.#clock.now());
      this.#logger.info(`Next token fetch in ${Math.round(delay)} ms.`);
    }
    this.#reconcile();
  }

  #wake(): void {
    this.#flight?.wake(this.#clock.now());
    this.#reconcile();
  }

  /**
   * The one step after every input (a token, an answer, a timer, a wake): acts on each deadline
   * that has passed, sets the one timer for the next, and publishes the state.
   */
  #reconcile(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const token = this.#token;
    const deadlines = this.#deadlines;
    const plans = !!this.#options.fetchToken && !this.#failure;
    if (token && deadlines) {
      // The warning always comes first, also for a device that wakes after the expiry.
      if (!this.#warned && now >= deadlines.warnAt) {
        this.#warned = true;
        this.#emit({
          type: 'tokenWillExpire',
          token,
          expiresInMs: Math.max(0, deadlines.expireAt - now),
          source: 'manager',
        });
      }
      if (!this.#expired && now >= deadlines.expireAt && this.#token === token) {
        this.#expired = true;
        this.#emit({ type: 'tokenExpired', token, source: 'manager' });
      }
      // A listener may have adopted a token or closed the manager: its own step took over.
      if (this.#closed || this.#token !== token) return;
      if (now >= deadlines.refreshAt && !this.#flight && plans) {
        // Past the refresh point by a second or more, the tab was frozen or asleep: it asks the
        // other tabs first, as a starting one does, for the token it may have missed.
        const waitMs = now - deadlines.refreshAt >= 1_000 ? this.#sharing?.ask() : 0;
        this.#startFlight(this.#expired ? 'expired' : 'scheduled', false, waitMs);
        return;
      }
    }
    const flight = this.#flight;
    if (flight?.retryAt != null && now >= flight.retryAt) {
      this.#attempt(flight);
      return;
    }
    let next = flight?.retryAt ?? Infinity;
    if (deadlines) {
      if (!this.#warned) next = Math.min(next, deadlines.warnAt);
      if (!this.#expired) next = Math.min(next, deadlines.expireAt);
      if (!flight && plans) next = Math.min(next, deadlines.refreshAt);
    }
    // Only a timer that watches deadlines alone may let Node exit; a pending retry may not.
    this.#timer.set(next, now, !flight, () => this.#reconcile());
    this.#publish();
  }

  /** Emits the state on `state$` when it changed since last published. */
  #publish(): void {
    const state = this.getState();
    if (state === this.#published) return;
    this.#published = state;
    this.#states.next(state);
  }
}
