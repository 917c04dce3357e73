// Test support, not published: managers made on fake timers, each closed after its test.
import type { AccessManager } from '../accessManager.js';
import { onFakeTime } from './onFakeTime.js';

/**
 * Puts each test of the file (or `describe`) on fake timers starting at `now`, and returns the
 * way to make managers there. After each test every manager made is closed, and no timer may be
 * left: teardown is part of what every test checks (see {@link onFakeTime}).
 */
export function managersOnFakeTime(
  now: number,
): (...args: ConstructorParameters<typeof AccessManager>) => AccessManager {
  const { managed } = onFakeTime(now);
  return (init) => managed(init);
}
