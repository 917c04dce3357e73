/**
 * Every clock read and every timer of the manager goes through a `Clock`. The default reads the
 * globals at call time, so standard fake timers (`vi.useFakeTimers()`, sinon) control it.
 *
 * @example
 * ```ts
 * const manager = new AccessManager({ fetchToken, clock: myTestClock });
 * ```
 */
export interface Clock {
  /** Milliseconds since the epoch, on the local clock. */
  now(): number;
  /**
   * `idle`: the timer only watches a deadline while nothing runs and nobody waits, so it need not
   * keep the process alive (Node: `unref`). Every other timer (a retry, a fetch's timeout) must.
   */
  setTimeout(callback: () => void, delayMs: number, idle?: boolean): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The platform clock. Idle timers are `unref`ed where the platform allows, so that a manager that
 * only waits for its next deadline never keeps Node alive; a pending retry or fetch does.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs, idle) => {
    const handle = setTimeout(callback, delayMs);
    if (idle) (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
