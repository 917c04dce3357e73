import type { AccessToken } from './accessToken.js';
import {
  AbortedError,
  type AccessManagerError,
  ClosedError,
  DETERMINISTIC_CODES,
  StaleTokenError,
} from './errors.js';
import type { FetchResult } from './fetchAttempt.js';
import type { Logger } from './logger.js';
import { current, type ManagerHost } from './managerHost.js';
import { type FlightOptions, RefreshFlight } from './refreshFlight.js';
import type { CheckedToken } from './tokenPolicy.js';
import type { RefreshReason } from './types.js';

/** What the refresh orchestration reads of the manager, and asks of it. */
export interface RefreshHost
  extends Pick<ManagerHost, 'hold' | 'closed' | 'resets' | 'whyNot' | 'adopt' | 'report'> {
  /**
   * Tab sharing posts this token with the clock estimate: a fetched token adopted, or the token
   * held when a token not adopted moved the estimate.
   */
  fetched(token: AccessToken): void;
  /** This tab's refresh retries at `at` (local clock): tab sharing tells the other tabs. */
  tellRetry(at: number): void;
  reconcile(): void;
}

/**
 * The refresh orchestration: the one {@link RefreshFlight} under way (fetch, backoff, wait), the
 * fatal failure that stops fetching, and what each answer means (TanStack Query's `Query` around
 * its `Retryer`). A fetched token that fails its checks, or is no better than the one held, is an
 * error to retry unless it would fail again; a token adopted meanwhile may answer the refresh.
 */
export class Refresher {
  #flight: RefreshFlight | null = null;
  #failure: AccessManagerError | null = null;
  readonly #options: FlightOptions;
  readonly #host: RefreshHost;

  readonly #logger: Logger;
  /** When another tab said it retries (`heard`), while this tab waits for its outcome. */
  #peerAt = -Infinity;

  constructor(options: FlightOptions, host: RefreshHost, logger: Logger) {
    this.#options = options;
    this.#host = host;
    this.#logger = logger;
  }

  /** The refresh under way, if any. */
  get flight(): RefreshFlight | null {
    return this.#flight;
  }

  /** The fatal error that stopped fetching, until `refresh()`, `reset()` or an adopted token. */
  get failure(): AccessManagerError | null {
    return this.#failure;
  }

  /** `refresh()`: joins the flight under way (forced: see `AccessManager.refresh`), or starts one. */
  refresh(reason: RefreshReason, force: boolean): Promise<AccessToken> {
    const flight = this.#flight;
    if (!flight) {
      this.#failure = null; // asked for again: a fatal error no longer stands
      return this.start(reason, force).promise;
    }
    if (force) {
      flight.refuse(this.#host.hold.token);
      if (flight.running && flight.adoptions < this.#host.hold.adoptions) {
        flight.abort(new StaleTokenError('Replaced by a forced refresh.'));
        this.attempt(flight);
      }
    }
    return flight.promise;
  }

  /** `waitMs`: the first attempt waits this long (for another tab's token: at start-up, on waking). */
  start(reason: RefreshReason, refused: boolean, waitMs = 0): RefreshFlight {
    const flight = new RefreshFlight(reason, this.#options);
    if (refused) flight.refuse(this.#host.hold.token);
    this.#flight = flight;
    // Another tab retries: this one waits for its outcome, and asks itself only after the bound.
    waitMs = Math.max(waitMs, this.#peerUntil() - this.#options.clock.now());
    if (waitMs > 0) {
      flight.defer(this.#options.clock.now() + waitMs);
      this.#host.reconcile();
    } else this.attempt(flight);
    return flight;
  }

  attempt(flight: RefreshFlight): void {
    flight.start(
      this.#host.hold.adoptions,
      (result) => this.#received(flight, result),
      (error) => this.#failed(flight, error),
    );
    this.#host.reconcile();
  }

  /**
   * A token was adopted. A refresh that waits to retry has what it was for, and so has a forced
   * one given a token that expires no sooner than the refused one, from any source: its callers
   * get this token, and a fetch under way is aborted. So has any refresh, when the token
   * replaced was one an SDK refused (`replacesRefused`): any other token is better than it.
   */
  adopted(token: AccessToken, replacesRefused = false): void {
    const flight = this.#flight;
    this.#failure = null;
    this.#peerAt = -Infinity;
    if (
      flight &&
      (!flight.running || replacesRefused || token.expiresAt.getTime() >= flight.refusedExpiresAt)
    ) {
      this.#flight = null;
      flight.abort(new StaleTokenError('Answered by a token adopted meanwhile.'));
      flight.resolve(token);
    }
  }

  /**
   * Another tab's refresh failed (or waits for the server's next second) and retries at `at`.
   * Unless this tab's own retry comes sooner (it leads then), this tab waits for that retry's
   * outcome, which comes as a token posted; if none comes by `at` plus a fetch's time limit and
   * a second (the other tab closed, froze or failed again unheard), it asks the server itself.
   * So retries do not multiply with tabs, and no tab depends on another for good.
   */
  heard(at: number): void {
    const flight = this.#flight;
    if (flight?.running || (flight && flight.retryAt !== null && flight.retryAt < at)) return;
    this.#peerAt = at;
    if (flight) flight.defer(this.#peerUntil());
    this.#host.reconcile();
  }

  #peerUntil(): number {
    return this.#peerAt + (this.#options.fetchTimeoutMs ?? 10_000) + 1_000;
  }

  /** The device woke: a retry waiting for its backoff runs now (not before `Retry-After`). */
  wake(now: number): void {
    this.#flight?.wake(now);
  }

  /** Aborts the refresh under way and forgets a fatal failure (`reset()`, `close()`). */
  forget(error: AccessManagerError): void {
    const flight = this.#flight;
    this.#flight = this.#failure = null;
    this.#peerAt = -Infinity;
    flight?.abort(error);
    flight?.reject(error);
  }

  #received(flight: RefreshFlight, result: FetchResult): void {
    const host = this.#host;
    let checked: CheckedToken;
    try {
      checked = host.hold.check(result.jwt, result);
    } catch (error) {
      // The token an SDK refused, minted again (byte-identical): as below, the next second.
      const held = host.hold.token;
      const { code } = error as AccessManagerError;
      if (code === 'token_refused' && held && held.jwt === result.jwt) {
        if (this.#nextSecond(flight, held)) return;
      }
      // Refused as expired, nothing dating it, and kept as the suspect (see `judgeSkew`): only a
      // token minted in a later second can confirm that the device clock is off, so the retry
      // waits for the server's next second.
      const suspect = host.hold.skew.suspect;
      const notBefore =
        suspect?.token.jwt === result.jwt ? this.#options.clock.now() + 1_000 : -Infinity;
      this.#failed(flight, error as AccessManagerError, notBefore);
      return;
    }
    const live = current(host);
    const why = host.whyNot(checked.token, flight.refused);
    // A subscriber that heard tokenNotAdopted signed the user out, or closed: that ended this
    // refresh (its callers heard so); nothing more to say of it.
    if (why && !live()) return;
    if (!why) {
      this.#flight = null;
      host.adopt(checked);
      // A subscriber that heard it signed the user out, or closed the manager: the callers get
      // no token of theirs.
      if (!live()) {
        flight.reject(
          host.closed() ? new ClosedError() : new AbortedError('The AccessManager was reset.'),
        );
        return;
      }
      flight.resolve(checked.token);
      host.fetched(checked.token);
      return;
    }
    const held = host.hold.token;
    const refusedNow = host.hold.refusedNow();
    if (host.hold.estimate(checked.skew) && held && !refusedNow) host.fetched(held);
    if (held && !host.hold.due() && !flight.refused && !refusedNow) {
      this.#settle(flight, held); // nothing newer, but nothing needed yet either
    } else if (!(held && checked.token.jwt === held.jwt && this.#nextSecond(flight, held))) {
      this.#failed(flight, new StaleTokenError(`The token server sent a token that ${why}.`));
    }
  }

  /**
   * The token refused, minted again within the same second of the server's clock (a server that
   * mints byte-identical tokens): no error; the forced refresh asks again once that second has
   * turned. False when that is not the case (not forced, or the second turned already).
   */
  #nextSecond(flight: RefreshFlight, held: AccessToken): boolean {
    const host = this.#host;
    const now = this.#options.clock.now();
    const issued = held.issuedAt?.getTime() ?? Number.NaN;
    const next = (Math.floor(issued / 1_000) + 1) * 1_000 - host.hold.skew.offsetMs;
    // (An unforced refresh while the held token is refused is as good as forced.)
    if (!(flight.refused || host.hold.refusedNow()) || !(next > now)) return false;
    this.#logger.info(`Next token fetch in ${Math.round(next - now)} ms.`);
    flight.defer(next);
    host.tellRetry(next);
    host.reconcile();
    return true;
  }

  #settle(flight: RefreshFlight, token: AccessToken): void {
    this.#flight = null;
    flight.resolve(token);
    this.#host.reconcile();
  }

  /** `notBefore`: the retry comes no sooner (local clock). */
  #failed(flight: RefreshFlight, error: AccessManagerError, notBefore = -Infinity): void {
    const host = this.#host;
    // A token adopted while this attempt ran (pushed with updateToken) and not yet due answers
    // the refresh: no error to report, nothing to retry.
    const held = host.hold.token;
    if (
      held &&
      flight.adoptions < host.hold.adoptions &&
      !host.hold.due() &&
      !flight.refused &&
      !host.hold.refusedNow()
    ) {
      this.#settle(flight, held);
      return;
    }
    // A fatal answer, or a token that would fail its checks again, ends the refresh.
    if (
      error.code === 'fetch_failed' ? !error.retryable : DETERMINISTIC_CODES.includes(error.code)
    ) {
      this.#failure = error;
      this.#flight = null;
      flight.reject(error);
    } else {
      const now = this.#options.clock.now();
      const delay = flight.wait(error, now, notBefore);
      const peerUntil = this.#peerUntil();
      if (flight.retryAt !== null && this.#peerAt <= flight.retryAt && peerUntil > now) {
        // Another tab retries sooner: this one waits for its outcome.
        flight.defer(Math.max(flight.retryAt, peerUntil));
      } else if (flight.retryAt !== null) host.tellRetry(flight.retryAt);
      this.#logger.info(`Next token fetch in ${Math.round(delay)} ms.`);
    }
    // Reported once decided: a reset() or a token pushed from an error subscriber comes after
    // the failure, and what it does stands (it is not overwritten by the failure it reacted to).
    host.report(error);
    host.reconcile();
  }
}
