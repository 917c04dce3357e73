import type { Clock } from './clock.js';

/** Deadlines are re-checked against the wall clock at least this often, to catch sleep. */
const RECHECK_MS = 30_000;

/**
 * The manager's one timer: it fires at the next deadline, or within 30 s, whichever is first,
 * so that a device that slept past a deadline acts on it soon after it wakes.
 */
export class DeadlineTimer {
  readonly #clock: Clock;
  #handle: unknown;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Calls `callback` at `at` (local ms; Infinity: never); `idle` as in {@link Clock.setTimeout}. */
  set(at: number, now: number, idle: boolean, callback: () => void): void {
    this.clear();
    if (at < Infinity) {
      this.#handle = this.#clock.setTimeout(
        callback,
        Math.max(0, Math.min(at - now, RECHECK_MS)),
        idle,
      );
    }
  }

  clear(): void {
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
