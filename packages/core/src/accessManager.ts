import type { AccessToken } from './accessToken.js';
import { type Clock, systemClock } from './clock.js';
import { DeadlineTimer } from './deadlineTimer.js';
import { AbortedError, type AccessManagerError, ClosedError, FetchFailedError } from './errors.js';
import { EventDelivery } from './eventDelivery.js';
import { type GetTokenOptions, type TokenSource, waitForToken } from './getToken.js';
import { GrantRegistry } from './grantRegistry.js';
import { silentLogger } from './logger.js';
import { deriveState } from './managerState.js';
import { type NotAdoptedHost, whyNotAdopted } from './notAdopted.js';
import { validateOptions } from './options.js';
import { adoptPushed, type PushHost } from './pushedToken.js';
import { Refresher, type RefreshHost } from './refresher.js';
import { reportSdkSignal, type SignalHost } from './sdkSignal.js';
import { sharedOffset } from './sharingHost.js';
import type { TabSharing } from './tabSharing.js';
import { type Plan, TokenHold } from './tokenHold.js';
import type { CheckedToken } from './tokenPolicy.js';
import type { AccessManagerOptions, AccessManagerState, RefreshReason } from './types.js';
import { listenWake } from './wakeSignals.js';

/** The manager as its parts see it: one object for the refresher, getToken, SDK signals and pushed tokens. */
type Host = RefreshHost & TokenSource & SignalHost & PushHost & NotAdoptedHost;

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
export class AccessManager extends EventDelivery {
  readonly #clock: Clock;
  readonly #unwake: () => void;
  readonly #timer: DeadlineTimer;
  readonly #grants = new GrantRegistry();
  /** The refresh under way and the fatal failure (`refresher.ts`); null without `fetchToken`. */
  readonly #refresher: Refresher | null;
  readonly #host: Host;

  /** The token held and every fact about it (`tokenHold.ts`). */
  readonly #hold: TokenHold;
  /** The newest snapshot derived. */
  #state: AccessManagerState | null = null;
  /** The channel to the managers of other tabs (`shareAcrossTabs`), until `reset()` or `close()`. */
  #sharing: TabSharing | null = null;

  /**
   * Starts with a token, twilio-common style (`new AccessManager(jwt)`), or with options: a
   * token, a `fetchToken`, or both. Throws {@link InvalidOptionError} for an option it cannot
   * work with (a `NaN` timing, `shareAcrossTabs: true`...), naming it.
   */
  constructor(init?: string | AccessManagerOptions) {
    const { token, ...options } = typeof init === 'string' ? { token: init } : (init ?? {});
    validateOptions(options);
    const clock = options.clock ?? systemClock;
    super(clock, options.logger ?? silentLogger);
    this.#clock = clock;
    this.#timer = new DeadlineTimer(clock);
    const hold = new TokenHold(clock, options, this.#grants, this.logger);
    this.#hold = hold;
    const { fetchToken } = options;
    this.#host = {
      hold,
      clock,
      logger: this.logger,
      states$: this.nextStates(),
      closed: () => this.closed,
      resets: () => this.resets,
      held: () => hold.held(),
      failure: () => this.#refresher?.failure ?? null,
      whyNot: (token, refused) => whyNotAdopted(this.#host, token, refused),
      adopt: (checked) => this.#adopt(checked),
      report: (error) => this.report(error),
      emit: (event) => this.emit(event),
      publish: () => this.publish(),
      reconcile: () => this.#reconcile(),
      refresh: fetchToken && ((refresh) => this.refresh(refresh)),
      // The token fetched, and only it: not one a subscriber pushed during its adoption.
      fetched: ({ jwt }) =>
        hold.token && this.#sharing?.post({ jwt, offsetMs: sharedOffset(hold.skew) }),
      tellRetry: (at) => this.#sharing?.retrying(at),
    };
    this.#refresher = fetchToken
      ? new Refresher({ ...options, fetchToken, clock }, this.#host, this.logger)
      : null;
    // Before anything starts: a wakeSignals or shareAcrossTabs that throws leaves no manager
    // fetching behind, and nothing it had set up.
    this.#unwake = listenWake(options.wakeSignals, () => this.#wake());
    try {
      // What SharingFacts names, and nothing more of the manager.
      this.#sharing =
        options.shareAcrossTabs?.({
          hold,
          logger: this.logger,
          identityAny: options.identity === 'any',
          closed: this.#host.closed,
          refused: () => !!this.#refresher?.flight?.refused,
          adopt: (checked, plan) => this.#adopt(checked, plan),
          estimate: (skew, plan) => {
            if (hold.estimate(skew, plan)) this.#reconcile();
          },
          retrying: (at) => this.#refresher?.heard(at),
        }) ?? null;
    } catch (error) {
      this.#unwake();
      throw error;
    }
    let reason: RefreshReason = 'initial';
    if (token !== undefined) {
      try {
        this.#adopt(this.#hold.check(token));
      } catch (error) {
        this.report(error as AccessManagerError, true);
        if ((error as AccessManagerError).code === 'token_expired') reason = 'expired';
      }
    }
    // Without a token, ask the other tabs for theirs; the first fetch waits briefly for an answer.
    const waitMs = this.#hold.token ? 0 : (this.#sharing?.ask() ?? 0);
    if (!this.#hold.token) this.#refresher?.start(reason, false, waitMs);
    this.#reconcile();
  }

  /**
   * The state now: the same object while nothing in it changed. Pure: reading it never emits,
   * schedules or changes anything (React calls it during render); `state$` publishes each change.
   */
  getState(): AccessManagerState {
    const { closed, lastError, resets } = this;
    const now = this.#clock.now();
    const facts = { now, closed, hold: this.#hold, refresher: this.#refresher, lastError, resets };
    this.#state = deriveState(this.#state, facts);
    return this.#state;
  }

  /**
   * Validates a token and adopts it. Rejects with a typed error, and keeps the token held, when
   * it is malformed (not a string too), expired, not yet valid, too long-lived, for another
   * identity, account or service instance, lacks a required grant, or expires sooner than a held
   * token that is due. The same token again is a no-op.
   */
  async updateToken(token: string): Promise<this> {
    if (this.closed) throw new ClosedError();
    this.supersede();
    adoptPushed(this.#host, token);
    return this;
  }

  /**
   * Fetches a new token now, through the one fetch in flight if there is one. `force`: the held
   * token is no good (an SDK refused it): the refresh ends only with a token that expires no
   * sooner, fetched, pushed or from another tab, and a fetch under way that began before the
   * token held now is replaced (a refresh waiting to retry is joined: backoff and `Retry-After`
   * still hold). Resolves with the token adopted; keeps retrying with backoff through failures,
   * and rejects only on a fatal error or `close()`.
   */
  refresh(options: { reason?: RefreshReason; force?: boolean } = {}): Promise<AccessToken> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (!this.#refresher) {
      return Promise.reject(new FetchFailedError('No fetchToken.', { retryable: false }));
    }
    // `refresh(null)` (a JavaScript caller) is `refresh()`, never a TypeError thrown at once.
    const { reason, force } = options ?? {};
    return this.#refresher.refresh(reason ?? 'manual', !!force);
  }

  /**
   * The JWT, valid for at least `minValidityMs` more: the one held, or a fresh one. The default
   * is 60 s (enough to create an SDK client), or half the lifetime of a token that lives less.
   * Without `fetchToken`, waits for `updateToken`. Rejects with `timeout` after `timeoutMs`
   * (`Infinity`: none), with `aborted` when `signal` aborts, with `closed` on `close()`, and,
   * after a fatal failure (a 401), with that error and no fetch, until `refresh()`, `reset()` or
   * a pushed token.
   */
  getToken(options: GetTokenOptions = {}): Promise<string> {
    // `getToken(null)` (a JavaScript caller) is `getToken()`.
    return waitForToken(this.#host, options ?? {});
  }

  /**
   * What an attached SDK client said of the token it holds (`willExpire`: its warning; `expired`:
   * it refused it). With `fetchToken`, a refresh (forced when the token was refused); without
   * (push-only), a `tokenWillExpire` or `tokenExpired` event with `source: 'sdk'`, so that the
   * app hears it and pushes a new token. Resolves when the refresh does (push-only: at once).
   */
  reportSdkSignal(kind: 'willExpire' | 'expired'): Promise<unknown> {
    return reportSdkSignal(this.#host, kind);
  }

  /**
   * Declares that an attached SDK needs a grant (`'chat'`, `'data_sync'`, `'voice'`, `'video'`).
   * Throws {@link MissingGrantError} when the token held lacks it; from then on a token without it
   * is refused. Returns the function that releases the requirement.
   */
  requireGrant(grant: string): () => void {
    return this.#grants.require(grant, this.#hold.token);
  }

  /**
   * Forgets the token, the identity, account and services it fixed, and any fetch under way or
   * fatal error, so that the next token may be another user's (sign-out, user switch). Fetches
   * nothing by itself: call `refresh()` or `updateToken()` for the next user. The clock estimate
   * and listeners stay.
   */
  reset(): void {
    if (this.closed) return;
    this.resets += 1;
    this.#forget(new AbortedError('The AccessManager was reset.'));
    this.logger.info('Reset: no token held.');
    this.#reconcile();
  }

  /**
   * Stops for good: aborts a fetch in flight, clears every timer, removes wake listeners and
   * listeners, forgets the token, completes every stream. Later calls reject with `closed`.
   * Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#forget(new ClosedError());
    this.#timer.clear();
    this.completeStreams();
    // Last: a cleanup that throws leaves nothing undone.
    this.#unwake();
  }

  /** Same as `close()`, for `using manager = new AccessManager(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #forget(error: AccessManagerError): void {
    this.#refresher?.forget(error);
    this.#hold.forget();
    this.lastError = null;
    // The channel's name stood for the user that is gone: a reset manager shares no more.
    this.#sharing?.close();
    this.#sharing = null;
  }

  #adopt(checked: CheckedToken, follower?: Plan): void {
    const { token } = checked;
    const replacesRefused = this.#hold.refusedNow();
    this.#hold.hold(checked, follower);
    this.lastError = null;
    this.logger.info(`Adopted ${token}.`);
    this.#refresher?.adopted(token, replacesRefused);
    this.deliverAdoption(token);
    if (this.#hold.token === token) this.#reconcile();
  }

  #wake(): void {
    this.#refresher?.wake(this.#clock.now());
    this.#reconcile();
  }

  /**
   * The one step after every input (a token, an answer, a timer, a wake): gives the deadline
   * events due, starts the refresh at its point, sets the one timer for the next deadline, and
   * publishes the state.
   */
  #reconcile(): void {
    if (this.closed) return;
    const now = this.#clock.now();
    const hold = this.#hold;
    const token = hold.token;
    const refresher = this.#refresher;
    // One at a time: a subscriber that refreshes on the warning publishes its state in between.
    for (let event = hold.passed(now); event; event = hold.passed(now)) {
      this.emit(event);
      // A listener may have adopted a token or closed the manager: its own step took over.
      if (this.closed || hold.token !== token) return;
    }
    const flight = refresher?.flight;
    const plans = !!refresher && !refresher.failure && !flight;
    if (plans && hold.deadlines && now >= hold.deadlines.refreshAt) {
      // Past the refresh point by a second or more, the tab was frozen or asleep: it asks the
      // other tabs first, as a starting one does, for the token it may have missed.
      const waitMs = now - hold.deadlines.refreshAt >= 1_000 ? this.#sharing?.ask() : 0;
      refresher.start(hold.expiredNow(now) ? 'expired' : 'scheduled', false, waitMs);
    } else if (flight?.retryAt != null && now >= flight.retryAt) {
      refresher?.attempt(flight);
    } else {
      const next = Math.min(flight?.retryAt ?? Infinity, hold.next(now, plans));
      // Only a timer that watches deadlines alone may let Node exit; a pending retry may not.
      this.#timer.set(next, now, !flight, () => this.#reconcile());
      this.publish();
    }
  }
}
