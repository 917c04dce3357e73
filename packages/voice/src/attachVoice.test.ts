import { EventEmitter } from 'node:events';
import { AccessManager, type AttachOptions } from '@access-manager/core';
import {
  ACCESS_TOKEN_EXPIRED,
  ACCESS_TOKEN_INVALID,
  type ChunderFakeOptions,
  createVoiceDevice,
  eventually,
  JWT_TOKEN_EXPIRED,
  makeToken,
  openedByLink,
  startChunderFake,
  waitForEvent,
  watchHandles,
} from '@access-manager/testing';
import type { Device } from '@twilio/voice-sdk';
import { describe, expect, it, type TestContext } from 'vitest';
import { attachVoice } from './index.js';

/*
 * attachVoice with the real @twilio/voice-sdk Device against the chunder fake. No test adds an
 * `error` listener of its own: the adapter's keeps an auth error from being thrown.
 */

const token = () =>
  makeToken({ identity: 'bob', grants: { voice: { incoming: { allow: true } } } });
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DEVICE_EVENTS = ['tokenWillExpire', 'error', 'incoming', 'destroyed'];

interface StartOptions {
  /** The `ttl` (seconds) the fake reports for the initial token; default its real one. */
  initialTtl?: number;
  attach?: AttachOptions;
}

async function start(ctx: TestContext, options: StartOptions = {}) {
  const initial = token();
  const ttl: ChunderFakeOptions['ttl'] = (jwt) =>
    jwt === initial && options.initialTtl !== undefined ? options.initialTtl : 3_600;
  const fake = await startChunderFake({ ttl });
  // tokenWillExpire comes ttl * 1000 - 800 ms after each `connected`.
  const device = await createVoiceDevice(fake, initial, { tokenRefreshMs: 800 });
  const fetched: string[] = [];
  const manager = new AccessManager({
    token: initial,
    wakeSignals: false,
    fetchToken: async () => {
      fetched.push(token());
      return fetched.at(-1)!;
    },
  });
  const link = attachVoice(manager, device, options.attach);
  ctx.onTestFinished(async () => {
    link.detach();
    manager.close();
    await fake.close();
  });
  await device.register();
  return { fake, device, manager, link, fetched, initial };
}

/** Makes `device.isBusy` answer what the test says (calls need WebRTC, which Node lacks). */
function fakeBusy(device: Device) {
  const state = { busy: false };
  Object.defineProperty(device, 'isBusy', { get: () => state.busy });
  return state;
}

describe.concurrent('attachVoice with the real Device', () => {
  it("factory form: creates and registers the Device with the manager's token, and destroys it on detach", async (ctx) => {
    const fake = await startChunderFake();
    ctx.onTestFinished(() => fake.close());
    const manager = new AccessManager({ token: token(), wakeSignals: false });
    ctx.onTestFinished(() => manager.close());
    const made: Device[] = [];
    const link = attachVoice(
      manager,
      async (jwt) => {
        const device = await createVoiceDevice(fake, jwt);
        made.push(device);
        return device;
      },
      { register: true },
    );
    await fake.waitForListen(manager.token as string);
    await eventually(() => made[0]?.state === 'registered' && link.client === made[0]);
    expect(link.getState().status).toBe('synced');
    link.detach();
    await eventually(() => made[0]?.state === 'destroyed');
    expect(made).toHaveLength(1);
  });

  it('declares the voice grant: attaching to a manager whose token lacks it throws missing_grant', async (ctx) => {
    const fake = await startChunderFake();
    ctx.onTestFinished(() => fake.close());
    const device = await createVoiceDevice(fake, token());
    const manager = new AccessManager({
      token: makeToken({ grants: { chat: {} } }),
      wakeSignals: false,
    });
    ctx.onTestFinished(() => manager.close());
    expect(() => attachVoice(manager, device)).toThrow(
      expect.objectContaining({ code: 'missing_grant' }),
    );
    expect(device.listenerCount('error')).toBe(0); // nothing was left attached
  });

  it('pushes each adopted token as a listen carrying it, and not the one the Device holds', async (ctx) => {
    const { fake, manager, link, initial } = await start(ctx);
    expect(link.getState().status).toBe('synced');
    const next = token();
    await manager.updateToken(next);
    expect(await fake.waitForListen(next)).toMatchObject({ connection: 1 });
    expect(link.getState()).toMatchObject({ status: 'synced', token: { jwt: next } });
    expect(fake.listens.map((r) => r.token)).toEqual([initial, next]);
  });

  it("turns the Device's tokenWillExpire into one fetch and pushes the fetched token", async (ctx) => {
    const { fake, device, fetched } = await start(ctx, { initialTtl: 1 }); // warns after 200 ms
    await waitForEvent(device, 'tokenWillExpire', { timeoutMs: 1_000 });
    await eventually(() => fetched.length === 1);
    expect(await fake.waitForListen(fetched[0])).toMatchObject({ connection: 1 });
    await delay(300);
    expect(fetched).toHaveLength(1);
  });

  it("ignores the stale tokenWillExpire that the Device's old timer fires after a push", async (ctx) => {
    // In an app the push comes minutes before the old timer fires; here 0.5 s, so the cooldown
    // after a push (10 s by default) is shortened to 0.1 s to keep it out of the way.
    const { fake, device, manager, fetched } = await start(ctx, {
      initialTtl: 1.4, // warns 600 ms after `connected`
      attach: { signalCooldownMs: 100 },
    });
    const warned = waitForEvent(device, 'tokenWillExpire', { timeoutMs: 1_500 });
    const next = token(); // the manager's own refresh, before the Device warns
    await manager.updateToken(next);
    await fake.waitForListen(next);
    await warned; // the first token's timer, though the Device holds `next`
    await delay(100);
    expect(fetched).toEqual([]);
  });

  it('turns error 20104 and 31205 into a forced fetch and pushes the fresh token, with no app error listener', async (ctx) => {
    const { fake, device, fetched } = await start(ctx, { attach: { signalCooldownMs: 100 } });
    expect(device.listenerCount('error')).toBe(1); // the adapter's own
    fake.sendError(ACCESS_TOKEN_EXPIRED);
    await eventually(() => fetched.length === 1);
    await fake.waitForListen(fetched[0]);
    await delay(150);
    fake.sendError(JWT_TOKEN_EXPIRED);
    await eventually(() => fetched.length === 2);
    await fake.waitForListen(fetched[1]);
    expect(device.state).toBe('registered');
  });

  it('holds a new token during a call, and pushes it when an incoming call ends', async (ctx) => {
    const { fake, device, manager, link } = await start(ctx);
    const busy = fakeBusy(device);
    const call = new EventEmitter();
    device.emit('incoming', call);
    busy.busy = true; // accepted
    const next = token();
    await manager.updateToken(next);
    await delay(100);
    expect(fake.listens.map((r) => r.token)).not.toContain(next);
    expect(link.getState().status).toBe('updating');
    busy.busy = false;
    call.emit('disconnect', call);
    await fake.waitForListen(next, 500);
    expect(link.getState().status).toBe('synced');
    expect(call.eventNames()).toEqual([]);
  });

  it('pushes a held token within 5 s after an outgoing call ends, which the Device does not announce', async (ctx) => {
    const { fake, device, manager } = await start(ctx);
    const busy = fakeBusy(device);
    busy.busy = true;
    const next = token();
    await manager.updateToken(next);
    await delay(100);
    busy.busy = false;
    const endedAt = Date.now();
    await fake.waitForListen(next, 5_500);
    expect(Date.now() - endedAt).toBeLessThan(5_100);
  }, 8_000);

  it('does not push to a destroyed Device', async (ctx) => {
    const { device, manager, link } = await start(ctx);
    device.destroy();
    await manager.updateToken(token());
    await delay(50);
    expect(link.getState()).toMatchObject({ status: 'updating', lastError: undefined });
  });
});

// Not concurrent: it counts the handles of the whole process.
describe('attachVoice detach', () => {
  it('removes every listener it added and leaves no timer, even with a token held for a call', async () => {
    const fake = await startChunderFake();
    const initial = token();
    const device = await createVoiceDevice(fake, initial);
    device.on('error', () => {}); // the app's own; the adapter's goes with detach
    const counts = () => DEVICE_EVENTS.map((event) => device.listenerCount(event));
    const before = counts();
    const manager = new AccessManager({ token: initial, wakeSignals: false });
    const handles = watchHandles();
    const link = attachVoice(manager, device);
    expect(counts()).not.toEqual(before);
    await device.register();
    const call = new EventEmitter();
    device.emit('incoming', call);
    const busy = fakeBusy(device);
    busy.busy = true;
    await manager.updateToken(token());
    expect(openedByLink(handles.open())).not.toEqual([]); // the hold's re-check
    let completed = false;
    link.state$.subscribe({
      complete: () => {
        completed = true;
      },
    });
    link.detach();
    link.detach();
    expect(counts()).toEqual(before);
    expect(call.eventNames()).toEqual([]);
    expect(openedByLink(await handles.settle(100))).toEqual([]);
    expect(completed).toBe(true);
    manager.close();
    await fake.close();
  });
});

describe('attachVoice, factory form, with a Device whose register() fails', () => {
  it('destroys the Device it made, so that no signaling connection is left behind', async () => {
    const manager = new AccessManager({ token: token(), wakeSignals: false });
    const destroyed: string[] = [];
    // A stand-in for a Device (the real one needs the fake to refuse): only what the link uses.
    const standIn = (jwt: string) =>
      Object.assign(new EventEmitter(), {
        isBusy: false,
        state: 'unregistered',
        token: jwt,
        updateToken: () => {},
        register: () => Promise.reject(new Error('registration refused')),
        destroy: () => {
          destroyed.push(jwt);
        },
      });
    const link = attachVoice(manager, standIn, {
      register: true,
      retry: { minDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    await eventually(() => link.getState().status === 'retrying');
    expect(link.getState().lastError).toMatchObject({ code: 'client_start_failed' });
    expect(destroyed).toEqual([manager.token]);
    expect(link.client).toBeUndefined();
    link.detach();
    expect(destroyed).toHaveLength(1); // once
    manager.close();
  });
});

describe('attachVoice after a refused token', () => {
  it('registers again a Device that was registered when 20104 came and that the SDK left unregistered', async () => {
    let fetches = 0;
    const manager = new AccessManager({
      token: token(),
      wakeSignals: false,
      fetchToken: async () => {
        fetches++;
        return token();
      },
    });
    const registers: string[] = [];
    // A stand-in for the Device as Twilio's issue tracker describes it (twilio-voice.js): after
    // 20104 it is unregistered and does not register again by itself. The local fake keeps it
    // registered, so the real Device cannot show this.
    const device = Object.assign(new EventEmitter(), {
      isBusy: false,
      state: 'registered',
      token: manager.token as string,
      updateToken(jwt: string) {
        device.token = jwt;
      },
      register: async () => {
        registers.push(device.token);
        device.state = 'registered';
      },
    });
    const link = attachVoice(manager, device);
    device.state = 'unregistered';
    device.emit('error', { code: 20104 });
    await eventually(() => registers.length === 1);
    expect(fetches).toBe(1);
    expect(registers).toEqual([manager.token]); // with the fresh token
    link.detach();
    manager.close();
  });
});

// Not concurrent: it counts the handles of the whole process. Issue 16: the README's example.
describe('attachVoice, factory form, while signaling refuses or never answers register', () => {
  it('the real Device: no uncaught error, the link reports each failure, and recovers when the fake answers again', async () => {
    const fake = await startChunderFake();
    fake.registerAnswer = ACCESS_TOKEN_INVALID;
    const manager = new AccessManager({ token: token(), wakeSignals: false });
    const handles = watchHandles();
    const made: Device[] = [];
    const link = attachVoice(
      manager,
      async (jwt) => {
        made.push(await createVoiceDevice(fake, jwt));
        return made.at(-1) as Device;
      },
      { register: true, startTimeoutMs: 400, retry: { minDelayMs: 100, maxDelayMs: 100 } },
    );
    const errors: unknown[] = [];
    link.state$.subscribe(({ lastError }) => {
      if (lastError && errors.at(-1) !== lastError) errors.push(lastError);
    });
    // Refused: the Device's error 20101 (signaling's 31204) fails register() at once.
    await eventually(() => link.getState().status === 'retrying');
    expect(link.getState().lastError).toMatchObject({
      code: 'client_start_failed',
      twilioCode: 20101,
    });
    expect(made[0]?.state).toBe('destroyed');
    // Never answered: the link gives up after startTimeoutMs.
    fake.registerAnswer = 'silent';
    const tried = made.length;
    await eventually(() => made.length > tried && made.at(-1)?.state === 'registering');
    await eventually(
      () => /not ready within 400 ms/.test(link.getState().lastError?.message ?? ''),
      2_000,
    );
    expect(made.at(-2)?.state).toBe('destroyed');
    // Answered again: the next Device registers and the link is synced.
    fake.registerAnswer = 'ready';
    await eventually(() => link.getState().status === 'synced', 3_000);
    expect(link.client?.state).toBe('registered');
    expect(link.getState().lastError).toBeUndefined();
    expect(made.slice(0, -1).every((d) => d.state === 'destroyed')).toBe(true);
    expect(errors.map((e) => (e as { code: string }).code)).toContain('client_start_failed');
    link.detach();
    expect(made.every((d) => d.state === 'destroyed')).toBe(true);
    expect(openedByLink(await handles.settle(200))).toEqual([]);
    manager.close();
    await fake.close();
  }, 10_000);
});

// Issue 17's open finding: an async factory whose network call hangs.
describe('attachVoice, factory form, while the factory does not answer in time', () => {
  it('the real Device: one given after startTimeoutMs is destroyed at once and never registered; the next one is, and the link is synced', async () => {
    const fake = await startChunderFake();
    const manager = new AccessManager({ token: token(), wakeSignals: false });
    const made: Device[] = [];
    const registered: Device[] = [];
    let giveLate: (() => void) | undefined;
    const link = attachVoice(
      manager,
      async (jwt) => {
        const device = await createVoiceDevice(fake, jwt);
        made.push(device);
        const register = device.register.bind(device);
        device.register = () => {
          registered.push(device);
          return register();
        };
        // The first call hangs (as on a network call that never answers) until the test ends it.
        if (made.length > 1) return device;
        return new Promise<Device>((resolve) => {
          giveLate = () => resolve(device);
        });
      },
      { register: true, startTimeoutMs: 300, retry: { minDelayMs: 100, maxDelayMs: 100 } },
    );
    const errors: string[] = [];
    link.state$.subscribe(({ lastError }) => {
      if (lastError && errors.at(-1) !== lastError.message) errors.push(lastError.message);
    });
    await eventually(() => link.getState().status === 'synced', 3_000);
    expect(errors).toEqual(['voice was not ready within 300 ms.']);
    expect(link.client).toBe(made[1]);
    giveLate?.();
    await eventually(() => made[0]?.state === 'destroyed');
    expect(registered).toEqual([made[1]]);
    expect(link.client).toBe(made[1]);
    expect(link.getState()).toMatchObject({ status: 'synced', lastError: undefined });
    link.detach();
    expect(made.every((d) => d.state === 'destroyed')).toBe(true);
    manager.close();
    await fake.close();
  }, 10_000);
});
