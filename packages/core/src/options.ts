import { InvalidOptionError } from './errors.js';
import type { AccessManagerOptions } from './types.js';

const invalid = (name: string, what: string, value: unknown): never => {
  // A number is printed; anything else is named by its type only: a JWT passed where a
  // function belongs must not land in a message, and `Object.create(null)` cannot be printed.
  throw new InvalidOptionError(
    `${name} must be ${what}, not ${typeof value === 'number' ? value : typeof value}.`,
  );
};

/**
 * A delay in milliseconds, or undefined. Anything but a number (a string from an env variable
 * not passed through `Number`), `NaN` (an unset `Number(process.env.X)`), a negative number, or
 * one below `min`, throws {@link InvalidOptionError} naming the option: a `NaN` deadline never
 * comes, so it would silently switch timing off. `Infinity` passes only where `infinite`.
 */
export function delay(value: number | undefined, name: string, infinite?: boolean, min = 0): void {
  if (
    value !== undefined &&
    !(typeof value === 'number' && value >= min && (infinite || value < Infinity))
  ) {
    invalid(name, `a number ≥ ${min}`, value);
  }
}

/**
 * A timer's delay: `Infinity` or anything past what `setTimeout` can hold (2^31−1 ms, which
 * timers turn into 1 ms) is none (undefined); `NaN` or a negative number throws.
 */
export function timerDelay(value: number | undefined, name: string): number | undefined {
  delay(value, name, true);
  return (value as number) < 2 ** 31 ? value : undefined;
}

/**
 * Checks the options at construction, so that a bad one fails at once with an
 * {@link InvalidOptionError} that names it, instead of switching off every refresh, warning and
 * expiry, or leaving a refresh waiting for ever.
 */
export function validateOptions(options: Omit<AccessManagerOptions, 'token'>): void {
  const { retry, identity } = options;
  delay(options.warnBeforeMs, 'warnBeforeMs');
  delay(options.refreshBeforeMs, 'refreshBeforeMs');
  // 0 for these three (`Number('')`) would abort every attempt at once, or retry a failing
  // server a thousand times a second: at least 1 ms.
  delay(options.fetchTimeoutMs, 'fetchTimeoutMs', true, 1);
  delay(retry?.minDelayMs, 'retry.minDelayMs', false, 1);
  delay(retry?.maxDelayMs, 'retry.maxDelayMs', false, 1);
  for (const name of ['fetchToken', 'random', 'wakeSignals', 'shareAcrossTabs'] as const) {
    const value = options[name];
    // `shareAcrossTabs: true` or `{ channel }`: the option before tab sharing was injected.
    if (value != null && value !== false && typeof value !== 'function') {
      invalid(
        name,
        name === 'shareAcrossTabs' ? "tabSharing() from '@access-manager/core'" : 'a function',
        value,
      );
    }
  }
  if (identity && identity !== 'fixed' && identity !== 'any')
    invalid('identity', "'fixed' or 'any'", identity);
}
