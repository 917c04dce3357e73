// A factory link whose factory never settles (issue 17's open finding): an app's async factory
// waiting on a network call that hangs. Making and readying a client count as failed after
// `startTimeoutMs`; the late answer of a factory that timed out is retired with its generation.
// Public API only, fake timers; each test says whether it fails on the code before (d845dd0).
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { attachClient } from './attachClient.js';
import { ClientStartError } from './clientStartError.js';
import { countingClock } from './testing/countingClock.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import { StandInClient, standInSpec } from './testing/standInClient.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const flush = () => vi.advanceTimersByTimeAsync(0);
const tokenFor = (identity: string, iatOffsetS = 0) =>
  makeToken({
    identity,
    iat: Math.floor(Date.now() / 1000) + iatOffsetS,
    grants: { chat: { service_sid: 'IS1' } },
  });
const managed = managersOnFakeTime(T0);

/** A factory whose every call waits for the test to answer: `calls[i].resolve()`, `.reject()`. */
function hangingFactory() {
  const calls: Array<{
    jwt: string;
    resolve: () => StandInClient;
    reject: (error: unknown) => void;
  }> = [];
  const factory = (jwt: string) =>
    new Promise<StandInClient>((resolve, reject) => {
      calls.push({
        jwt,
        resolve: () => {
          const client = new StandInClient(jwt);
          resolve(client);
          return client;
        },
        reject,
      });
    });
  return { factory, calls };
}

/**
 * A link over a hanging factory, with what its `client$` and `state$` said. Its backoff is 1 s
 * before the second call, then 2 s, 4 s... (`retry` 2 s doubling, full jitter drawn at 0.5).
 */
function attachHanging(options: Parameters<typeof attachClient>[3] = {}, withSpec = standInSpec) {
  const manager = managed({ token: tokenFor('alice'), wakeSignals: false, random: () => 0.5 });
  const { factory, calls } = hangingFactory();
  const clock = countingClock();
  const link = attachClient(manager, factory, withSpec, {
    random: () => 0.5,
    retry: { minDelayMs: 2_000 },
    clock,
    ...options,
  });
  const emitted: StandInClient[] = [];
  link.client$.subscribe((client) => emitted.push(client));
  const statuses: string[] = [];
  link.state$.subscribe((state) => statuses.push(state.status));
  return { manager, link, calls, emitted, statuses, timers: clock.live };
}

describe('a factory that never settles', () => {
  it('counts as failed after startTimeoutMs (default 30 s): retrying with a ClientStartError, then the factory again after the backoff (fails on d845dd0: creating for ever)', async () => {
    const { manager, link, calls, emitted } = attachHanging();
    await flush();
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(link.getState()).toEqual({ status: 'creating' });
    await vi.advanceTimersByTimeAsync(1);
    const { status, lastError } = link.getState();
    expect(status).toBe('retrying');
    expect(lastError).toBeInstanceOf(ClientStartError);
    expect(lastError).toMatchObject({ code: 'client_start_failed', retryable: true });
    expect(lastError?.message).toBe('stand-in was not ready within 30000 ms.');
    // The backoff (1 s), then the factory again, as after a rejection.
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    expect(link.getState().status).toBe('creating');
    const second = calls[1]?.resolve();
    await flush();
    expect(link.getState()).toMatchObject({ status: 'synced', lastError: undefined });
    expect(link.getState().token?.jwt).toBe(manager.token);
    expect(link.client).toBe(second);
    expect(emitted).toEqual([second]);
  });

  it('fails again after each wait, with a backoff that grows between the tries (fails on d845dd0)', async () => {
    const { link, calls } = attachHanging({ startTimeoutMs: 5_000 });
    const calledAt: number[] = [];
    await flush();
    for (let ms = 0; ms <= 20_000; ms += 500) {
      if (calls.length > calledAt.length) calledAt.push(Date.now() - T0);
      await vi.advanceTimersByTimeAsync(500);
    }
    // 5 s each, then 1 s, 2 s and 4 s of backoff.
    expect(calledAt).toEqual([0, 6_000, 13_000]);
    expect(link.getState()).toMatchObject({
      status: 'retrying',
      lastError: { code: 'client_start_failed', message: 'stand-in was not ready within 5000 ms.' },
    });
  });

  it('the time limit covers making and starting the client together (fails on d845dd0: start had 30 s of its own after a factory of 20 s)', async () => {
    const started: StandInClient[] = [];
    const { link, calls } = attachHanging(
      {},
      {
        ...standInSpec,
        start: (client) => {
          started.push(client);
          return new Promise<void>(() => {});
        },
      },
    );
    await vi.advanceTimersByTimeAsync(20_000);
    const first = calls[0]?.resolve();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(started).toEqual([first]);
    expect(first?.signal).toBeDefined(); // listened to before start, as Voice needs
    expect(link.getState().status).toBe('creating');
    await vi.advanceTimersByTimeAsync(1);
    expect(link.getState()).toMatchObject({
      status: 'retrying',
      lastError: { code: 'client_start_failed' },
    });
    expect(first?.shutdowns).toBe(1);
    expect(first?.signal).toBeUndefined();
  });
});

describe('the late answer of a factory that timed out', () => {
  it('a client it resolves with once the next one is synced is shut down at once: never listened to, never handed a token, never on client$, and the current client is untouched (fails on d845dd0)', async () => {
    const { manager, link, calls, emitted, statuses } = attachHanging();
    await vi.advanceTimersByTimeAsync(31_000);
    expect(calls).toHaveLength(2);
    const second = calls[1]?.resolve();
    await flush();
    expect(link.getState().status).toBe('synced');
    const synced = link.getState();
    const heard = statuses.length;
    const late = calls[0]?.resolve(); // the first factory answers at last
    await flush();
    expect(late?.shutdowns).toBe(1);
    expect(late?.signal).toBeUndefined();
    expect(late?.pushes).toEqual([]);
    expect(emitted).toEqual([second]);
    expect(link.client).toBe(second);
    expect(link.getState()).toBe(synced);
    expect(statuses).toHaveLength(heard);
    expect(second?.shutdowns).toBe(0);
    expect(second?.signal).toBeDefined();
    // The current client still gets the next token.
    const next = tokenFor('alice', 1);
    await manager.updateToken(next);
    await flush();
    expect(second?.pushes).toEqual([next]);
    expect(late?.pushes).toEqual([]);
    expect(link.getState()).toMatchObject({ status: 'synced', lastError: undefined });
  });

  it('a client it resolves with during the backoff, or while the next factory waits, is shut down and changes nothing (fails on d845dd0)', async () => {
    const { link, calls, emitted } = attachHanging();
    await vi.advanceTimersByTimeAsync(30_000);
    const failure = link.getState();
    expect(failure.status).toBe('retrying');
    const duringBackoff = calls[0]?.resolve();
    await flush();
    expect(duringBackoff?.shutdowns).toBe(1);
    expect(link.getState()).toBe(failure);
    // The second call (at 31 s) times out at 61 s; the third comes at 63 s.
    await vi.advanceTimersByTimeAsync(33_000);
    expect(calls).toHaveLength(3);
    const waiting = link.getState();
    expect(waiting.status).toBe('creating');
    const whileNextWaits = calls[1]?.resolve();
    await flush();
    expect(whileNextWaits?.shutdowns).toBe(1);
    expect(whileNextWaits?.signal).toBeUndefined();
    expect(link.getState()).toBe(waiting);
    expect(emitted).toEqual([]);
    expect(link.client).toBeUndefined();
    const third = calls[2]?.resolve();
    await flush();
    expect(link.client).toBe(third);
    expect(emitted).toEqual([third]);
  });

  it('a late rejection is ignored: no error reported for it, during the backoff or once the next client is synced (fails on d845dd0)', async () => {
    const { link, calls, statuses } = attachHanging();
    await vi.advanceTimersByTimeAsync(30_000);
    const failure = link.getState();
    calls[0]?.reject(new Error('signaling unreachable'));
    await flush();
    expect(link.getState()).toBe(failure);
    await vi.advanceTimersByTimeAsync(1_000);
    calls[1]?.resolve();
    await flush();
    const synced = link.getState();
    expect(synced).toMatchObject({ status: 'synced', lastError: undefined });
    expect(statuses).toEqual(['creating', 'retrying', 'creating', 'synced']);
    // Both answer again (a promise settles once: no effect), and time passes: nothing more.
    calls[0]?.reject(new Error('signaling unreachable'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    expect(link.getState()).toBe(synced);
  });
});

describe.each(['detach', 'reset', 'close'] as const)('%s() during the wait', (action) => {
  it.each([
    'resolve',
    'reject',
  ] as const)('the factory that timed out and the one still waiting answer (%s) afterwards: shut down, no error, no timer of the link left (fails on d845dd0: no second wait)', async (answer) => {
    const { manager, link, calls, emitted, timers } = attachHanging();
    await vi.advanceTimersByTimeAsync(30_000);
    const timedOut = link.getState().lastError;
    expect(timedOut).toBeInstanceOf(ClientStartError);
    await vi.advanceTimersByTimeAsync(11_000); // the second factory, called at 31 s, waits
    expect(calls).toHaveLength(2);
    // (`creating` again, with the error that sent it back to its factory.)
    expect(link.getState()).toMatchObject({ status: 'creating', lastError: timedOut });
    if (action === 'detach') link.detach();
    else if (action === 'reset') manager.reset();
    else manager.close();
    await flush();
    const after = link.getState();
    // A sign-out clears the error; a detached link keeps the last one it reported.
    expect(after.status).toBe(action === 'reset' ? 'creating' : 'detached');
    expect(after.lastError).toBe(action === 'reset' ? undefined : timedOut);
    expect(timers.size).toBe(0);
    // Past the second factory's time limit: nothing failed, nothing made again.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(link.getState()).toBe(after);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      if (answer === 'resolve') {
        const late = call.resolve();
        await flush();
        expect(late.shutdowns).toBe(1);
        expect(late.signal).toBeUndefined();
        expect(late.pushes).toEqual([]);
      } else {
        call.reject(new Error('signaling unreachable'));
        await flush();
      }
    }
    expect(link.getState()).toBe(after);
    expect(emitted).toEqual([]);
    expect(link.client).toBeUndefined();
    expect(timers.size).toBe(0);
  });
});

describe('startTimeoutMs: Infinity', () => {
  it('waits for the factory for ever, as before (passes on d845dd0: a guard)', async () => {
    const { link, calls, emitted, timers } = attachHanging({
      startTimeoutMs: Number.POSITIVE_INFINITY,
    });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
    expect(timers.size).toBe(0);
    expect(link.getState()).toEqual({ status: 'creating' });
    const client = calls[0]?.resolve();
    await flush();
    expect(link.getState().status).toBe('synced');
    expect(emitted).toEqual([client]);
  });

  it('the option stays validated: NaN, 0 or a negative time is invalid_option (passes on d845dd0: a guard)', () => {
    const manager = managed({ token: tokenFor('alice'), wakeSignals: false });
    for (const startTimeoutMs of [Number.NaN, 0, -1]) {
      expect(() =>
        attachClient(manager, (jwt) => new StandInClient(jwt), standInSpec, { startTimeoutMs }),
      ).toThrow(
        expect.objectContaining({
          code: 'invalid_option',
          message: expect.stringContaining('startTimeoutMs'),
        }),
      );
    }
  });
});
