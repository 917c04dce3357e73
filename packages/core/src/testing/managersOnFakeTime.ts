// Test support, not published: managers made on fake timers, each closed after its test.
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { AccessManager } from '../accessManager.js';

/**
 * Puts each test of the file (or `describe`) on fake timers starting at `now`, and returns the
 * way to make managers there. After each test every manager made is closed, and no timer may be
 * left: teardown is part of what every test checks.
 */
export function managersOnFakeTime(now: number) {
  let managers: AccessManager[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now });
  });
  afterEach(() => {
    for (const manager of managers) manager.close();
    managers = [];
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });
  return (...args: ConstructorParameters<typeof AccessManager>): AccessManager => {
    const manager = new AccessManager(...args);
    managers.push(manager);
    return manager;
  };
}
