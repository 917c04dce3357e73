import type { AccessToken } from './accessToken.js';
import { backoffDelay } from './backoff.js';
import type { Clock } from './clock.js';
import type { AccessManagerError, FetchFailedError } from './errors.js';
import { type FetchResult, fetchAttempt } from './fetchAttempt.js';
import type { FetchToken, RefreshReason, RetryOptions } from './types.js';

/** A wake signal cuts a retry's backoff short at most this often, so a flapping signal cannot spin. */
const WAKE_COOLDOWN_MS = 5_000;

const noop = (): void => {};

export interface FlightOptions {
  fetchToken: FetchToken;
  clock: Clock;
  fetchTimeoutMs?: number | undefined;
  retry?: RetryOptions | undefined;
  random?: (() => number) | undefined;
}

/**
 * One refresh (TanStack Query's retryer): attempts of `fetchToken`, one at a time, until the
 * manager takes an answer or gives up; backoff between them, never sooner than `Retry-After` (up
 * to the longest backoff); an attempt replaced by a newer one (its answer is then ignored, so the
 * last attempt's answer is the newest); abort; and a wait cut short when the device wakes. What an answer means is
 * the manager's to decide: the flight reports each one and does what it is told.
 */
export class RefreshFlight {
  // `declare`: assigned in the constructor, so no field is emitted for them.
  declare readonly promise: Promise<AccessToken>;
  declare resolve: (token: AccessToken) => void;
  declare reject: (error: AccessManagerError) => void;
  declare readonly reason: RefreshReason;
  /** The held token was refused (a forced refresh): the answer must be a better one. */
  refused = false;
  /**
   * A forced refresh ends with any token, from any source, that expires no sooner than the one
   * refused (-Infinity: none was held); Infinity while nothing was refused.
   */
  refusedExpiresAt = Infinity;
  /** 1 for the first attempt, and so on. */
  attempt = 0;
  /** How many tokens the manager had adopted when the running (or last) attempt began. */
  adoptions = 0;
  /** When the next attempt is due; null while one runs. */
  retryAt: number | null = null;
  #notBefore = 0;
  #wokeAt = -Infinity;
  #controller: AbortController | undefined;
  readonly #options: FlightOptions;

  constructor(reason: RefreshReason, options: FlightOptions) {
    this.reason = reason;
    this.#options = options;
    this.promise = new Promise<AccessToken>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(noop); // a refresh nobody awaits must not become an unhandled rejection
  }

  /** The token held was refused (an SDK said so): this refresh must bring one no worse. */
  refuse(held: AccessToken | null): void {
    this.refused = true;
    this.refusedExpiresAt = Math.min(this.refusedExpiresAt, held?.expiresAt.getTime() ?? -Infinity);
  }

  /** Whether a `fetchToken` call is under way. */
  get running(): boolean {
    return this.retryAt === null;
  }

  /**
   * Starts an attempt (replacing one under way, whose answer is then ignored) and reports its
   * outcome, unless a newer attempt or `abort` came first.
   */
  start(
    adoptions: number,
    onAnswer: (result: FetchResult) => void,
    onError: (error: AccessManagerError) => void,
  ): void {
    const { fetchToken, clock, fetchTimeoutMs } = this.#options;
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.retryAt = null;
    this.adoptions = adoptions;
    const current = () => this.#controller === controller;
    fetchAttempt(
      fetchToken,
      { reason: this.reason, attempt: ++this.attempt },
      controller,
      fetchTimeoutMs ?? 10_000,
      clock,
    ).then(
      (result) => current() && onAnswer(result),
      (error: AccessManagerError) => current() && onError(error),
    );
  }

  /**
   * Plans the next attempt after backoff, never sooner than the server's `Retry-After`, which is
   * capped at `maxDelayMs`: a server that asks for an hour must not let the token expire; and
   * never sooner than `notBefore` (the server's next second, see `Refresher`). A wake signal
   * cuts the backoff short, not these. Returns the delay.
   */
  wait(error: AccessManagerError, now: number, notBefore = -Infinity): number {
    const { retry, random } = this.#options;
    const maxDelayMs = retry?.maxDelayMs ?? 30_000;
    const retryAfter = Math.min((error as FetchFailedError).retryAfterMs ?? 0, maxDelayMs);
    const delay = Math.max(
      backoffDelay(this.attempt, retry?.minDelayMs ?? 1_000, maxDelayMs, random),
      retryAfter,
    );
    this.#controller = undefined;
    this.#notBefore = Math.max(now + retryAfter, notBefore);
    this.retryAt = Math.max(now + delay, notBefore);
    return this.retryAt - now;
  }

  /** Plans the first attempt for `at` (a start-up wait), which a wake signal does not cut short. */
  defer(at: number): void {
    this.retryAt = this.#notBefore = at;
  }

  /** The device woke: a retry waiting for its backoff runs now (not before `Retry-After`). */
  wake(now: number): void {
    if (this.retryAt !== null && now - this.#wokeAt >= WAKE_COOLDOWN_MS) {
      this.#wokeAt = now;
      this.retryAt = Math.min(this.retryAt, Math.max(now, this.#notBefore));
    }
  }

  /** Aborts the attempt under way, if any; its answer will be ignored. */
  abort(reason: AccessManagerError): void {
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.abort(reason);
  }
}
