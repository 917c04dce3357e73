// Ninth hostile review of issue 17's changes to the core: 0e9f24a (the timer follows every
// deadline still ahead, given or not; the refresh reason from TokenHold.expiredNow; a custom
// shareAcrossTabs handed SharingFacts only), 4c6c6de again through it (push-only dedupe within
// 10 s in TokenHold.tell; events given stand on re-plan) and f6d7e6b (the state derived from
// TokenHold and Refresher; isExpired from tokenStatus). Each test is a finding that FAILS on the
// code under review (72804af), ranked: the first hurts a user most. Each describe names the commit
// that brought it, or says it is older. Public API only, fake timers.
//
// Tried and found as claimed (no test here): f6d7e6b's getState()/isExpired on a closed manager,
// after reset(), for a refused token, in a listener; 0e9f24a's timer with a deadline exactly at
// now, a token past its warnAt when adopted, a sleep past every deadline, a 401 after expiry
// (no loop: the timer fires at most once per deadline and every 30 s); the idle manager with a
// 1-hour token and fetchToken wakes the event loop 123 times an hour before and after 0e9f24a;
// MBT_RUNS=3000 MBT_SEED=40..43 src/accessManager.model.test.ts pass.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import type { Clock } from './clock.js';
import { eventLog as heard } from './testing/eventLog.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerOptions, AccessManagerState } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const grants = { chat: {} };

const make = managersOnFakeTime(T0);
const managed = (options: AccessManagerOptions = {}) =>
  make({ wakeSignals: false, random: () => 0.5, ...options });

/** Every state `state$` publishes, the last one last. */
const published = (manager: ReturnType<typeof managed>): AccessManagerState[] => {
  const states: AccessManagerState[] = [];
  manager.state$.subscribe((state) => states.push(state));
  return states;
};

/** The (faked) system clock, counting the timers the manager sets through it. */
const countingTimers = () => {
  const counted = { set: 0 };
  const clock: Clock = {
    now: () => Date.now(),
    setTimeout: (callback, delayMs) => {
      counted.set++;
      return setTimeout(callback, delayMs);
    },
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  return { clock, counted };
};

describe('1. push-only, an SDK that refuses the token again after the device clock stepped back (4c6c6de)', () => {
  it('asks the app again when the SDK refuses the token a minute later, though the clock went back', async () => {
    // The world of the earlier reviews: a device clock 10 minutes ahead, which NTP then corrects
    // (the wall clock steps back 10 minutes). A push-only app: an SDK refuses the token held
    // (tokenExpired, source 'sdk'), the app's answer fails (its token endpoint was down), and the
    // clock is corrected. The SDK refuses the token again a minute later, and again a minute after
    // that: 4c6c6de promises (README: "said again when an SDK says it again later (the app's
    // answer may have failed)") that the app is asked again. It is not: TokenHold.tell reads
    // `now - toldAt` = -9 minutes as "within the 10 s cooldown", so for the whole size of the
    // correction every refusal is swallowed and the SDKs stay disconnected with a dead token
    // (10 minutes here; hours for a device clock hours off). The same holds for a second
    // 'willExpire' (the app's first answer to the warning failed). What is left of 15cef0d's
    // regression after 4c6c6de's fix: this test passes at b7a3890 (15cef0d's parent: every SDK
    // refusal was told) and fails at f69655f (4c6c6de's parent: a second refusal was never told)
    // and at 72804af (told again only when the wall clock says 10 s passed).
    // Where: tokenHold.ts tell() (`if (now - this.#toldAt[type] < cooldownMs) return false`).
    // Fix: a told-at in the future means the clock went back: news again
    // (`const gap = now - this.#toldAt[type]; if (gap >= 0 && gap < cooldownMs) return false;`),
    // or measure the cooldown on a monotonic clock.
    const manager = managed({ token: makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants }) });
    const events = heard(manager);
    await vi.advanceTimersByTimeAsync(1_000_000);
    await manager.reportSdkSignal('expired'); // the app is told; its answer fails
    expect(events.filter((e) => e.startsWith('tokenExpired'))).toEqual(['tokenExpired:sdk']);
    vi.setSystemTime(Date.now() - 600_000); // NTP corrects the device clock, 10 minutes ahead
    await vi.advanceTimersByTimeAsync(60_000);
    await manager.reportSdkSignal('expired'); // the SDK refuses it again a minute later
    await vi.advanceTimersByTimeAsync(60_000);
    await manager.reportSdkSignal('expired'); // and again
    expect(events.filter((e) => e.startsWith('tokenExpired'))).toEqual([
      'tokenExpired:sdk',
      'tokenExpired:sdk',
      'tokenExpired:sdk',
    ]);
  });
});

describe('2. state$ after the device clock stepped back past a token’s expiry (older than 0e9f24a)', () => {
  it('publishes what getState() says once the clock was corrected, within the 30 s re-check', async () => {
    // A push-only token expires on a device clock 10 minutes ahead (tokenWillExpire, tokenExpired,
    // state$ 'expired'); then NTP corrects the clock: on the local clock the token has 4 more
    // minutes, and getState() says 'valid'. But with every event given and every deadline past
    // when the expiry was handled, TokenHold.next() had nothing left and no timer runs, not even
    // the 30 s re-check that "catches a sleeping laptop": state$ (a UI rendering from it, or
    // React's useSyncExternalStore, which does not re-read until state$ emits) keeps 'expired'
    // while getState() says 'valid' then 'expiring' (the manager's model test checks after every
    // step that state$'s last state is getState(), but never moves the clock back). The same on
    // 0e9f24a's parent: 0e9f24a schedules the deadlines still ahead, but only when a reconcile
    // runs, and after a step back nothing runs one.
    // Where: accessManager.ts #reconcile / tokenHold.ts next(): no timer once every deadline is
    // past, so a clock that steps back is never seen.
    // Fix: keep the 30 s re-check while a token is held (idle, unref'd), or compare the clock
    // with the last reconcile's in the wake signals; publish when tokenStatus changes.
    const manager = managed({ token: makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants }) });
    const states = published(manager);
    await vi.advanceTimersByTimeAsync(3_660_000); // a minute past its expiry on the local clock
    expect(states.at(-1)?.tokenStatus).toBe('expired');
    vi.setSystemTime(Date.now() - 600_000); // NTP corrects the device clock, 10 minutes ahead
    await vi.advanceTimersByTimeAsync(60_000);
    expect(manager.getState().tokenStatus).toBe('valid');
    expect(states.at(-1)?.tokenStatus).toBe(manager.getState().tokenStatus);
  });
});

describe('3. wake-ups of an idle push-only manager whose token an SDK refused (regression of 0e9f24a)', () => {
  it('sets no timer in the hour before the refused token’s expiry, when nothing it publishes can change', async () => {
    // Push-only, an SDK refuses the token (an hour left); the app was told (tokenExpired, source
    // 'sdk') and the state says 'expired' (refused) whatever the clock does until another token
    // comes. Since 0e9f24a TokenHold.next() schedules the token's warnAt and expireAt "still
    // ahead" though both events were given (passed() marks them given for a refused push-only
    // token): the manager wakes the event loop every 30 s for the hour (119 timers, measured
    // here; 0 on the parent), each to publish nothing (tokenStatus is 'expired' from the
    // refusal, not from the deadlines). On a phone or a background tab: battery and throttled
    // timers for nothing. (Idle, so Node still exits.)
    // Where: tokenHold.ts next() (`due(at, given)`: a given deadline ahead is scheduled even when
    // crossing it cannot change the state).
    // Fix: while refusedNow(), the events' deadlines are Infinity in next() (the state is
    // 'expired' until another token), as before 0e9f24a.
    const { clock, counted } = countingTimers();
    const manager = managed({
      clock,
      token: makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants }),
    });
    const events = heard(manager);
    await manager.reportSdkSignal('expired');
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['tokenUpdated', 'tokenExpired:sdk']);
    const before = counted.set;
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(manager.getState().tokenStatus).toBe('expired');
    expect(counted.set - before).toBe(0);
  });
});
