// Test support, not published: a clock that counts the timers set through it.

/**
 * The system clock (faked or not by the test), counting the timers set through it that have
 * neither fired nor been cleared (`live`): none may be left once what used it was retired.
 */
export function countingClock() {
  const live = new Set<unknown>();
  return {
    live,
    now: () => Date.now(),
    setTimeout: (callback: () => void, delayMs: number) => {
      const handle = setTimeout(() => {
        live.delete(handle);
        callback();
      }, delayMs);
      live.add(handle);
      return handle;
    },
    clearTimeout: (handle: unknown) => {
      live.delete(handle);
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}
