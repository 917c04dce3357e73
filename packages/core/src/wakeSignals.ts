/**
 * Subscribes to the platform's "the device may have slept or come back" signals and returns the
 * function that unsubscribes. Injected, never branched on: pass your own for React Native
 * (`AppState`), Electron (`powerMonitor`) or tests.
 *
 * @example
 * ```ts
 * import { AppState } from 'react-native';
 * const wakeSignals: WakeSignals = (onWake) => {
 *   const sub = AppState.addEventListener('change', (s) => s === 'active' && onWake());
 *   return () => sub.remove();
 * };
 * ```
 */
export type WakeSignals = (onWake: () => void) => () => void;

interface Target {
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
  document?: Target & { visibilityState?: string };
}

/**
 * The browser's wake signals: `visibilitychange` (to visible), `online`, `focus` and `pageshow`.
 * Where there is no `window` (Node, workers without those events) it listens to nothing.
 */
export const browserWakeSignals: WakeSignals = (onWake) => {
  const win = globalThis as Target;
  const doc = win.document;
  const onVisible = () => doc?.visibilityState !== 'hidden' && onWake();
  const listeners: Array<[Target | undefined, string, () => void]> = [
    [win, 'online', onWake],
    [win, 'focus', onWake],
    [win, 'pageshow', onWake],
    [doc, 'visibilitychange', onVisible],
  ];
  for (const [target, type, listener] of listeners) target?.addEventListener?.(type, listener);
  return () => {
    for (const [target, type, listener] of listeners) target?.removeEventListener?.(type, listener);
  };
};

/**
 * Subscribes `onWake` to `wakeSignals` (default: {@link browserWakeSignals}; `false`: none) and
 * returns the cleanup, a no-op when it gave none (plain JavaScript may return nothing).
 */
export const listenWake = (
  wakeSignals: WakeSignals | false | undefined,
  onWake: () => void,
): (() => void) => {
  const unwake = (wakeSignals ?? browserWakeSignals) || undefined;
  const cleanup = unwake?.(onWake);
  return typeof cleanup === 'function' ? cleanup : () => {};
};
