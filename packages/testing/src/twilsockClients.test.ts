import { describe, expect, it, type TestContext, vi } from 'vitest';
import {
  startTwilsockFake,
  type TwilsockFake,
  type TwilsockFakeOptions,
} from './fakes/twilsockServer.js';
import {
  createChatClient,
  createConversationsClient,
  createSyncClient,
  type EventSource,
  initStateOf,
  waitForEvent,
  waitForInitialized,
  watchHandles,
} from './sdkClients.js';
import { makeToken } from './tokenFactory.js';

/*
 * The real Chat, Conversations and Sync clients against the twilsock fake: what each does with a
 * token, and with each server-side signal. FAKES.md records the behaviour and timings proven here.
 */

/** What the three clients have in common, as the adapters will see them. */
interface TwilsockSdkClient extends EventSource {
  updateToken(token: string): Promise<unknown>;
  readonly connectionState: string;
}

interface Sdk {
  name: string;
  grants: Record<string, unknown>;
  create(fake: TwilsockFake, token: string): Promise<TwilsockSdkClient>;
  /** Chat and Conversations initialize over REST before they are usable. */
  initializes: boolean;
}

const sdks: Sdk[] = [
  {
    name: 'Sync',
    grants: { data_sync: { service_sid: 'IS00000000000000000000000000000002' } },
    create: (fake, token) => createSyncClient(fake, token),
    initializes: false,
  },
  {
    name: 'Conversations',
    grants: { chat: { service_sid: 'IS00000000000000000000000000000001' } },
    create: (fake, token) => createConversationsClient(fake, token),
    initializes: true,
  },
  {
    name: 'Chat',
    grants: { chat: { service_sid: 'IS00000000000000000000000000000001' } },
    create: (fake, token) => createChatClient(fake, token),
    initializes: true,
  },
];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await delay(5);
  }
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state = { settled: false, error: undefined as unknown, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

const tokenFor =
  (sdk: Sdk) =>
  (options: { exp?: number; iat?: number } = {}): string =>
    makeToken({ identity: 'alice', grants: sdk.grants, ...options });

describe.concurrent.each(sdks)('$name client against the twilsock fake', (sdk) => {
  const token = tokenFor(sdk);

  /** A fake and a client holding `initial`, connected (and initialized where that applies). */
  async function connect(
    ctx: TestContext,
    initial = token(),
    options: TwilsockFakeOptions = {},
  ): Promise<{ fake: TwilsockFake; client: TwilsockSdkClient }> {
    const fake = await startTwilsockFake(options);
    ctx.onTestFinished(() => fake.close());
    const client = await sdk.create(fake, initial);
    await fake.waitForToken({ method: 'init', token: initial });
    if (sdk.initializes) await waitForInitialized(client);
    else await eventually(() => client.connectionState === 'connected');
    await fake.waitForQuiet();
    return { fake, client };
  }

  describe('token delivery and server signals', () => {
    it('connects with the initial token (Chat and Conversations after their REST reads)', async (ctx) => {
      const initial = token();
      const { fake, client } = await connect(ctx, initial);
      expect(fake.tokens).toEqual([
        { method: 'init', token: initial, connection: 1, at: expect.any(Number) },
      ]);
      expect(client.connectionState).toBe('connected');
      const reads = fake.requests
        .filter((r) => r.path !== '/v4/Subscriptions')
        .map((r) => `${r.method} ${r.host}${r.path}`);
      if (!sdk.initializes) return expect(reads).toEqual([]);
      const v = sdk.name === 'Chat' ? 1 : 2;
      expect(reads[0]).toBe(`GET aim.us1.twilio.com/Client/v${v}/Configuration`);
      expect([...reads].sort()).toEqual([
        `GET aim.us1.twilio.com/Client/v${v}/Configuration`,
        `GET aim.us1.twilio.com/Client/v${v}/Services/IS00000000000000000000000000000001/Users/alice/Conversations`,
        'GET cds.us1.twilio.com/v3/Maps/my_conversations',
        // from the helpers' getSubscribedConversations() / getSubscribedChannels()
        'GET cds.us1.twilio.com/v3/Maps/my_conversations/Items',
        'GET cds.us1.twilio.com/v3/Maps/my_user_info',
      ]);
    });

    if (sdk.initializes) {
      it('needs only the Configuration and the user-info map to initialize', async (ctx) => {
        const background = /\/Users\/alice\/Conversations$|\/Maps\/my_conversations$/;
        // Conversations reports the failed background read with console.error.
        const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
        ctx.onTestFinished(() => quiet.mockRestore());
        const fake = await startTwilsockFake({
          onRequest: (request) => (background.test(request.path) ? { status: 404 } : undefined),
        });
        ctx.onTestFinished(() => fake.close());
        const client = await sdk.create(fake, token());
        await waitForInitialized(client);
        expect(initStateOf(client)).toBe('initialized');
        expect(fake.requests.map((r) => r.path)).toContain('/v3/Maps/my_user_info');
      });
    }

    it('sends updateToken to the server as an update carrying the new token, once', async (ctx) => {
      const { fake, client } = await connect(ctx);
      const next = token();
      await client.updateToken(next);
      expect(fake.tokens.at(-1)).toMatchObject({ method: 'update', token: next, connection: 1 });
      await client.updateToken(next);
      expect(fake.tokensOf('update')).toEqual([next]);
      expect(fake.connectionCount).toBe(1);
    });

    it('emits tokenAboutToExpire when the server pushes token_about_to_expire', async (ctx) => {
      const { fake, client } = await connect(ctx);
      const warned = waitForEvent(client, 'tokenAboutToExpire', { timeoutMs: 1_000 });
      expect(fake.pushTokenAboutToExpire()).toBe(1);
      await expect(warned).resolves.toBeInstanceOf(Array);
    });

    it('rejects an update answered 401 / 20104, emits tokenExpired, is denied; a new token reconnects with init', async (ctx) => {
      const { fake, client } = await connect(ctx);
      const expired = waitForEvent(client, 'tokenExpired', { timeoutMs: 1_000 });
      const connectionError = waitForEvent(client, 'connectionError', { timeoutMs: 1_000 });
      fake.failNextUpdate();
      const rejected = token();
      const error = await client.updateToken(rejected).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: number },
      );
      expect(error).toBeInstanceOf(Error);
      if (sdk.name === 'Sync')
        expect(error?.code).toBe(51130); // SyncError, 'Updated token was rejected by server'
      else expect(error?.constructor.name).toBe('TwilsockReplyError');
      await expired;
      await expect(connectionError).resolves.toEqual([
        expect.objectContaining({ terminal: true, httpStatusCode: 401, errorCode: 20104 }),
      ]);
      await eventually(() => client.connectionState === 'denied');
      await fake.waitForDisconnect();

      const fresh = token();
      await client.updateToken(fresh);
      expect(fake.tokens.at(-1)).toMatchObject({ method: 'init', token: fresh, connection: 2 });
      await eventually(() => client.connectionState === 'connected');
    });

    it('after the 410 / 20104 close: tokenExpired, ~3 s disconnecting that drops a pushed token, then init with a new one', async (ctx) => {
      const { fake, client } = await connect(ctx);
      const expired = waitForEvent(client, 'tokenExpired', { timeoutMs: 1_000 });
      const disconnecting = waitForEvent(client, 'connectionStateChanged', {
        filter: (state) => state === 'disconnecting',
        timeoutMs: 1_000,
      });
      const disconnected = waitForEvent(client, 'connectionStateChanged', {
        filter: (state) => state === 'disconnected',
        timeoutMs: 5_000,
      });
      const closedAt = Date.now();
      expect(fake.closeTokenExpired()).toBe(1);
      await Promise.all([expired, disconnecting]);
      expect(Date.now() - closedAt).toBeLessThan(500);

      const dropped = token();
      const pushedWhileDisconnecting = track(client.updateToken(dropped));
      await disconnected;
      const disconnectingMs = Date.now() - closedAt;
      expect(disconnectingMs).toBeGreaterThan(2_500);
      expect(disconnectingMs).toBeLessThan(4_000);
      expect(fake.tokensOf()).not.toContain(dropped);
      expect(pushedWhileDisconnecting.settled).toBe(false);

      // The client now holds `dropped` without having sent it: pushing it again is a no-op.
      await client.updateToken(dropped);
      await delay(100);
      expect(fake.connectionCount).toBe(1);
      expect(client.connectionState).toBe('disconnected');

      const fresh = token();
      await client.updateToken(fresh);
      expect(fake.tokens.at(-1)).toMatchObject({ method: 'init', token: fresh, connection: 2 });
      await pushedWhileDisconnecting.promise; // settles with the reconnect, as if delivered
      await eventually(() => client.connectionState === 'connected');
    });

    it('keeps updateToken pending while the server holds the update; a second one meanwhile is never sent but settles with the first', async (ctx) => {
      const { fake, client } = await connect(ctx);
      const release = fake.holdUpdates();
      const first = token();
      const second = token();
      const firstPush = track(client.updateToken(first));
      await fake.waitForToken({ method: 'update', token: first });
      const secondPush = track(client.updateToken(second));
      await delay(150);
      expect(firstPush.settled).toBe(false);
      expect(secondPush.settled).toBe(false);
      expect(fake.heldUpdates).toBe(1);

      release();
      await Promise.all([firstPush.promise, secondPush.promise]);
      expect(fake.tokensOf()).not.toContain(second);
      const third = token();
      await client.updateToken(third);
      expect(fake.tokensOf('update')).toEqual([first, third]);
    });

    it(
      sdk.initializes
        ? 'rejects updateToken with a TypeError when initialization failed, yet sends the token and then initializes'
        : 'reconnects with init when given a fresh token after an expired initial one',
      async (ctx) => {
        const now = Math.floor(Date.now() / 1000);
        const stale = token({ iat: now - 3_600, exp: now - 10 });
        const fake = await startTwilsockFake();
        ctx.onTestFinished(() => fake.close());
        const client = await sdk.create(fake, stale);
        await waitForEvent(client, 'tokenExpired', { timeoutMs: 1_000 });
        await eventually(() => client.connectionState === 'denied');
        if (sdk.initializes) expect(initStateOf(client)).toBe('failed');

        const fresh = token();
        const push = client.updateToken(fresh);
        if (sdk.initializes) {
          await expect(push).rejects.toThrow(TypeError);
          await waitForInitialized(client);
        } else {
          await push;
        }
        expect(fake.tokensOf('init')).toEqual([stale, fresh]);
        await client.updateToken(fresh); // once initialized, the same token again is fine
        expect(fake.tokens).toHaveLength(2);
      },
    );

    if (sdk.initializes) {
      it('holds updateToken until initialization ends, then sends it', async (ctx) => {
        let openGate = () => {};
        const gate = new Promise<void>((resolve) => {
          openGate = resolve;
        });
        const fake = await startTwilsockFake({
          onRequest: async (request) => {
            if (request.path.endsWith('/Configuration')) await gate;
            return undefined;
          },
        });
        ctx.onTestFinished(() => fake.close());
        const client = await sdk.create(fake, token());
        await fake.waitForToken({ method: 'init' });
        const next = token();
        const push = track(client.updateToken(next));
        await delay(150);
        expect(fake.tokensOf('update')).toEqual([]);
        expect(push.settled).toBe(false);

        openGate();
        await push.promise;
        expect(initStateOf(client)).toBe('initialized');
        expect(fake.tokensOf('update')).toEqual([next]);
        await waitForInitialized(client); // and its background list read, before teardown
      });
    }
  });
});

// Sequential, after the concurrent tests: it counts every handle of the process.
describe.each(sdks)('$name client teardown', (sdk) => {
  const token = tokenFor(sdk);

  it('leaves no socket, server or timer behind once the fake is closed', async () => {
    const handles = watchHandles();
    const fake = await startTwilsockFake();
    const client = await sdk.create(fake, token());
    await fake.waitForToken({ method: 'init' });
    if (sdk.initializes) await waitForInitialized(client);
    await client.updateToken(token());
    fake.pushTokenAboutToExpire();
    await waitForEvent(client, 'tokenAboutToExpire');
    // A request sent once shutdown() has begun keeps a 30 s timer (FAKES.md); on a loaded machine
    // Chat's last background reads can come later than 50 ms after the previous frame.
    await fake.waitForQuiet(250);
    await fake.close();
    // Sync's subscription check (50 ms here) is a timer that shutdown() does not clear.
    expect(await handles.settle()).toEqual([]);
  });
});
