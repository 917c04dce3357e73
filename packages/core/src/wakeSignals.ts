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

interface EventTargetLike {
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
  visibilityState?: string;
}

/**
 * The browser's wake signals: `visibilitychange` (to visible), `online`, `focus` and `pageshow`.
 * Where there is no `window` (Node, workers without those events) it listens to nothing.
 */
export const browserWakeSignals: WakeSignals = (onWake) => {
  const target = globalThis as EventTargetLike & { document?: EventTargetLike };
  const doc = target.document;
  const onVisible = () => doc?.visibilityState !== 'hidden' && onWake();
  const windowEvents = ['online', 'focus', 'pageshow'];
  for (const type of windowEvents) target.addEventListener?.(type, onWake);
  doc?.addEventListener?.('visibilitychange', onVisible);
  return () => {
    for (const type of windowEvents) target.removeEventListener?.(type, onWake);
    doc?.removeEventListener?.('visibilitychange', onVisible);
  };
};
