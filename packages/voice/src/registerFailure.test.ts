// The README's Voice example, `attachVoice(manager, (jwt) => new Device(jwt), { register: true })`,
// while Twilio signaling refuses or never answers register(): issue 16. A stand-in Device (an
// EventEmitter, as the real one is) under fake timers; the real Device is in attachVoice.test.ts.
import { EventEmitter } from 'node:events';
import { AccessManager } from '@access-manager/core';
import { makeToken } from '@access-manager/testing';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { attachVoice } from './index.js';

/** A stand-in for `@twilio/voice-sdk`'s Device whose register() answers when the test says. */
class StandInDevice extends EventEmitter {
  isBusy = false;
  state = 'unregistered';
  destroyed = 0;
  registered: (() => void) | undefined;
  constructor(public token: string) {
    super();
  }
  updateToken(jwt: string) {
    this.token = jwt;
  }
  register() {
    this.state = 'registering';
    return new Promise<void>((resolve) => {
      this.registered = () => {
        this.state = 'registered';
        this.emit('registered');
        resolve();
      };
    });
  }
  destroy() {
    this.destroyed++;
    this.state = 'destroyed';
    this.removeAllListeners();
  }
}

let manager: AccessManager;
let made: StandInDevice[];
beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12) });
  manager = new AccessManager({
    token: makeToken({ grants: { voice: {} } }),
    wakeSignals: false,
    random: () => 0.5,
  });
  made = [];
});
afterEach(() => {
  manager.close();
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});
const attach = () =>
  attachVoice(
    manager,
    (jwt) => {
      made.push(new StandInDevice(jwt));
      return made.at(-1) as StandInDevice;
    },
    { register: true, random: () => 0.5 },
  );

it('a Device error during register() is no uncaught error: the link reports it with the Twilio code, and a new Device registers after a backoff', async () => {
  const link = attach();
  await vi.advanceTimersByTimeAsync(0);
  expect(made).toHaveLength(1);
  expect(made[0]?.state).toBe('registering');
  // Signaling refuses the token: the Device emits `error`, which throws with no listener.
  expect(() =>
    made[0]?.emit('error', { code: 31204, message: 'AccessTokenInvalid' }),
  ).not.toThrow();
  await vi.advanceTimersByTimeAsync(0);
  expect(link.getState()).toMatchObject({
    status: 'retrying',
    lastError: { code: 'client_start_failed', twilioCode: 31204 },
  });
  expect(made[0]?.destroyed).toBe(1);
  await vi.advanceTimersByTimeAsync(500); // 0.5 x 1 s
  expect(made).toHaveLength(2);
  made[1]?.registered?.();
  await vi.advanceTimersByTimeAsync(0);
  expect(link.getState().status).toBe('synced');
  expect(link.getState().lastError).toBeUndefined();
  expect(link.client).toBe(made[1]);
  link.detach();
  expect(made.map((d) => d.destroyed)).toEqual([1, 1]);
});

it('a register() that never settles is a typed error after 30 s, not `creating` for ever', async () => {
  const link = attach();
  await vi.advanceTimersByTimeAsync(29_999);
  expect(link.getState().status).toBe('creating');
  await vi.advanceTimersByTimeAsync(1);
  expect(link.getState()).toMatchObject({
    status: 'retrying',
    lastError: { code: 'client_start_failed' },
  });
  expect(made[0]?.destroyed).toBe(1);
  link.detach();
  expect(made).toHaveLength(1); // nothing made after detach
});
