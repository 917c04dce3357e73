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
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The platform clock. Timers are `unref`ed where the platform allows, so they never keep Node alive alone. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
