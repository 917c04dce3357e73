import type { Device } from '@twilio/voice-sdk';
import { describe, expect, it, type TestContext } from 'vitest';
import {
  ACCESS_TOKEN_EXPIRED,
  ACCESS_TOKEN_INVALID,
  type ChunderFake,
  type ChunderFakeOptions,
  JWT_TOKEN_EXPIRED,
  startChunderFake,
} from './fakes/chunderServer.js';
import {
  createVoiceDevice,
  type SdkClientOptions,
  waitForEvent,
  watchHandles,
} from './sdkClients.js';
import { makeToken } from './tokenFactory.js';

/*
 * The real Voice SDK Device against the chunder fake. FAKES.md records what is proven here.
 */

const token = () =>
  makeToken({ identity: 'bob', grants: { voice: { incoming: { allow: true } } } });
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await delay(5);
  }
}

interface Session {
  fake: ChunderFake;
  device: Device;
  errors: Array<{ code: number; name: string; originalError?: { code?: number } }>;
}

async function start(
  ctx: TestContext,
  initial: string,
  fakeOptions: ChunderFakeOptions = {},
  deviceOptions: SdkClientOptions = {},
): Promise<Session> {
  const fake = await startChunderFake(fakeOptions);
  ctx.onTestFinished(() => fake.close());
  const device = await createVoiceDevice(fake, initial, deviceOptions);
  const errors: Session['errors'] = [];
  // Always listen: without a listener the Device's 'error' is thrown (EventEmitter).
  device.on('error', (error) => errors.push(error as unknown as Session['errors'][number]));
  return { fake, device, errors };
}

describe.concurrent('Voice Device against the chunder fake', () => {
  it('connects on register() with a listen carrying the token, then registers', async (ctx) => {
    const initial = token();
    const { fake, device } = await start(ctx, initial);
    expect(fake.connectionCount).toBe(0); // nothing before register()
    await device.register();
    expect(fake.listens).toEqual([{ token: initial, connection: 1, at: expect.any(Number) }]);
    expect(fake.messageTypes).toEqual(['listen', 'register']);
    expect(device.state).toBe('registered');
    expect(device.identity).toBe('bob');
  });

  it('keeps a token given before register() and sends only the latest', async (ctx) => {
    const { fake, device } = await start(ctx, token());
    const latest = token();
    expect(device.updateToken(latest)).toBeUndefined(); // synchronous
    await delay(20);
    expect(fake.listens).toEqual([]);
    await device.register();
    expect(fake.listens.map((r) => r.token)).toEqual([latest]);
  });

  it('sends updateToken as a new listen carrying the new token on the same socket', async (ctx) => {
    const { fake, device, errors } = await start(ctx, token());
    await device.register();
    const next = token();
    device.updateToken(next);
    expect(await fake.waitForListen(next)).toMatchObject({ token: next, connection: 1 });
    expect(fake.connectionCount).toBe(1);
    expect(fake.messageTypes).toEqual(['listen', 'register', 'listen']);
    await delay(20);
    expect(device.state).toBe('registered');
    expect(errors).toEqual([]);
  });

  it('emits tokenWillExpire ttl * 1000 - tokenRefreshMs after connected', async (ctx) => {
    const { fake, device } = await start(ctx, token(), { ttl: 1 }, { tokenRefreshMs: 800 });
    const warned = waitForEvent(device, 'tokenWillExpire', { timeoutMs: 2_000 });
    await device.register();
    const connectedAt = fake.listens[0]?.at ?? 0;
    const [emitter] = await warned;
    expect(emitter).toBe(device);
    const afterMs = Date.now() - connectedAt;
    expect(afterMs).toBeGreaterThanOrEqual(190);
    expect(afterMs).toBeLessThan(600);
  });

  it('keeps the first tokenWillExpire timer after updateToken: it fires at the old deadline and cancels the new one', async (ctx) => {
    const first = token();
    const second = token();
    // first: warns 200 ms after its connected; second: 500 ms after its own.
    const ttl = (t: string) => (t === second ? 1.3 : 1);
    const { fake, device } = await start(ctx, first, { ttl }, { tokenRefreshMs: 800 });
    const warnings: number[] = [];
    device.on('tokenWillExpire', () => warnings.push(Date.now()));
    await device.register();
    const firstAt = fake.listens[0]?.at ?? 0;
    await delay(50);
    device.updateToken(second);
    await fake.waitForListen(second);
    await delay(800); // past both deadlines
    expect(warnings).toHaveLength(1);
    expect((warnings[0] ?? 0) - firstAt).toBeLessThan(450);
  });

  it('emits error 20104 AccessTokenExpired for a signaling error 20104 or 31205, and stays registered', async (ctx) => {
    const { fake, device, errors } = await start(ctx, token());
    await device.register();
    fake.sendError(ACCESS_TOKEN_EXPIRED);
    fake.sendError(JWT_TOKEN_EXPIRED);
    await eventually(() => errors.length === 2);
    expect(errors.map((e) => [e.code, e.name, e.originalError?.code])).toEqual([
      [20104, 'AccessTokenExpired', 20104],
      [20104, 'AccessTokenExpired', 31205],
    ]);
    expect(device.state).toBe('registered');
    expect(fake.openConnections).toBe(1);
  });

  it('refuseExpiredTokens: a listen with an expired token gets error 20104 instead of connected, and a connection gets 20104 when its token expires', async (ctx) => {
    const now = Math.floor(Date.now() / 1000);
    const shortLived = makeToken({
      iat: now,
      exp: now + 2,
      grants: { voice: { incoming: { allow: true } } },
    });
    const { fake, device, errors } = await start(ctx, shortLived, { refuseExpiredTokens: true });
    await device.register();
    expect(errors).toEqual([]);
    await eventually(() => errors.length === 1, 3_500);
    expect(errors[0]).toMatchObject({ code: 20104 });
    expect(Date.now()).toBeGreaterThanOrEqual((now + 2) * 1000);
    const stale = makeToken({ iat: now - 10, exp: now - 1, grants: { voice: {} } });
    device.updateToken(stale);
    await fake.waitForListen(stale);
    await eventually(() => errors.length === 2);
    expect(fake.messages.filter((m) => m.message.type === 'listen')).toHaveLength(2);
  });

  it('registerAnswer: a refused register is error 20101 and a silent one nothing; either way register() does not settle and the state stays registering', async (ctx) => {
    for (const answer of [ACCESS_TOKEN_INVALID, 'silent'] as const) {
      const { fake, device, errors } = await start(ctx, token());
      fake.registerAnswer = answer;
      let settled = false;
      const settle = () => {
        settled = true;
      };
      device.register().then(settle, settle);
      await fake.waitForMessage('register');
      await delay(300);
      expect(settled).toBe(false);
      expect(device.state).toBe('registering');
      expect(errors.map((e) => [e.code, e.originalError?.code])).toEqual(
        answer === 'silent' ? [] : [[20101, 31204]],
      );
    }
  });

  it('after a dropped socket: error 31005, unregistered, then a new socket with a listen carrying its latest token, and registered again', async (ctx) => {
    const { fake, device, errors } = await start(ctx, token());
    await device.register();
    const unregistered = waitForEvent(device, 'unregistered');
    fake.dropConnections();
    await unregistered;
    const droppedAt = Date.now();
    const latest = token();
    const registered = waitForEvent(device, 'registered', { timeoutMs: 3_000 });
    device.updateToken(latest); // while offline: nothing can be sent now
    expect(await fake.waitForListen(latest, 3_000)).toMatchObject({ connection: 2 });
    await registered;
    expect(Date.now() - droppedAt).toBeLessThan(1_000);
    expect(errors.map((e) => e.code)).toContain(31005);
    expect(fake.listens.filter((r) => r.connection === 2).map((r) => r.token)).toEqual([latest]);
  });
});

describe('Voice Device teardown', () => {
  it('throws InvalidStateError on updateToken after destroy(); closing the fake leaves no socket or timer', async () => {
    const handles = watchHandles();
    const fake = await startChunderFake();
    const device = await createVoiceDevice(fake, token());
    device.on('error', () => {});
    await device.register();
    device.updateToken(token());
    device.destroy();
    expect(() => device.updateToken(token())).toThrow(/destroyed/);
    await fake.close();
    expect(await handles.settle()).toEqual([]);
  });
});
