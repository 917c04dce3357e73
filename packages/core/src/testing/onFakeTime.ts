// Test support, not published: each test on fake timers, with the steps that undo it.
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { AccessManager } from '../accessManager.js';
import type { AccessManagerOptions } from '../types.js';

/**
 * Puts each test of the file (or `describe`) on fake timers starting at `now`. After each test
 * the `cleanup` steps run (a test `unshift`s a link's `detach()` so that it runs before its
 * manager's `close()`), and no timer may be left: teardown is part of what every test checks.
 * `managed` makes a manager closed after the test; options given as an object get `defaults`
 * first (a twilio-common style string is passed as it is).
 */
export function onFakeTime(now: number, defaults: AccessManagerOptions = {}) {
  const cleanup: Array<() => void> = [];
  beforeEach(() => {
    vi.useFakeTimers({ now });
  });
  afterEach(() => {
    try {
      for (const step of cleanup.splice(0)) step();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      // A failed check leaves no later test on fake timers (nor its steps for the next test).
      cleanup.length = 0;
      vi.useRealTimers();
    }
  });
  const managed = (options: string | AccessManagerOptions = {}): AccessManager => {
    const manager = new AccessManager(
      typeof options === 'string' ? options : { ...defaults, ...options },
    );
    cleanup.push(() => manager.close());
    return manager;
  };
  return { cleanup, managed };
}
