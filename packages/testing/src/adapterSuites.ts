import { describe, expect, it, type TestContext } from 'vitest';
import { startTwilsockFake, type TwilsockFake } from './fakes/twilsockServer.js';
import {
  type EventSource,
  eventually,
  openedByLink,
  waitForInitialized,
  watchHandles,
} from './sdkClients.js';
import { makeToken, type TestGrants } from './tokenFactory.js';

/*
 * The integration suite every twilsock adapter (Chat, Conversations, Sync) runs against its
 * real SDK client and the twilsock fake. It takes the adapter and the manager as parameters and
 * types them by shape, so that this package does not depend on the core (the core's tests
 * depend on this package).
 */

/** What the suite uses of an `AccessManager`. */
export interface SuiteManager {
  readonly token: string | null;
  updateToken(token: string): Promise<unknown>;
  reset(): void;
  close(): void;
}

/** What the suite uses of a `ClientLink`. */
export interface SuiteLink {
  readonly state$: {
    subscribe(observer: { next?: (state: { status: string }) => void; complete?: () => void }): {
      unsubscribe(): void;
    };
  };
  getState(): {
    status: string;
    token?: { jwt: string } | undefined;
    lastError?: Error | undefined;
  };
  detach(): void;
}

/** What the suite uses of a Chat, Conversations or Sync client. */
export interface SuiteTwilsockClient {
  readonly connectionState: string;
  updateToken(token: string): Promise<unknown>;
  listenerCount(event: string): number;
}

/** One adapter under test. */
export interface TwilsockAdapterCase<Manager extends SuiteManager, Client> {
  /** `'Sync'`, `'Conversations'`, `'Chat'`. */
  name: string;
  /** Grants of every token the suite makes. */
  grants: Omit<TestGrants, 'identity'>;
  /** Chat and Conversations initialize over REST, and reject `updateToken` after a failed one. */
  initializes: boolean;
  createClient(fake: TwilsockFake, token: string): Promise<Client>;
  /** A manager with `fetchToken` and, unless `token` is undefined, that initial token. */
  createManager(options: { token?: string; fetchToken: () => Promise<string> }): Manager;
  attach(
    manager: NoInfer<Manager>,
    client: NoInfer<Client> | ((jwt: string) => Promise<NoInfer<Client>>),
    options?: { token?: string },
  ): SuiteLink & { readonly client: unknown };
}

/** The events a twilsock adapter listens to. */
export const TWILSOCK_ADAPTER_EVENTS = [
  'tokenAboutToExpire',
  'tokenExpired',
  'connectionError',
  'connectionStateChanged',
] as const;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the integration tests of a twilsock adapter against its real SDK client: a token the
 * manager adopts reaches the server as an `update`; a server warning leads to one fetch and a
 * pushed token; a 410 / 20104 close and a 401 / 20104 answer lead to recovery with a fresh token;
 * `detach()` leaves no listener and no timer.
 *
 * @example
 * ```ts
 * describeTwilsockAdapter({
 *   name: 'Sync',
 *   grants: { data_sync: {} },
 *   initializes: false,
 *   createClient: createSyncClient,
 *   createManager: (options) => new AccessManager({ ...options, wakeSignals: false }),
 *   attach: attachSync,
 * });
 * ```
 */
export function describeTwilsockAdapter<
  Manager extends SuiteManager,
  Client extends SuiteTwilsockClient & EventSource,
>(adapter: TwilsockAdapterCase<Manager, Client>): void {
  const token = () => makeToken({ identity: 'alice', grants: adapter.grants });

  /** A fake, a client connected with `initial`, a manager holding it, the adapter attached. */
  async function start(ctx: TestContext | undefined, initial = token()) {
    const fake = await startTwilsockFake();
    const client = await adapter.createClient(fake, initial);
    await fake.waitForToken({ method: 'init', token: initial });
    if (adapter.initializes) await waitForInitialized(client);
    else await eventually(() => client.connectionState === 'connected');
    await fake.waitForQuiet();
    const fetched: string[] = [];
    const manager = adapter.createManager({
      token: initial,
      fetchToken: async () => {
        const next = token();
        fetched.push(next);
        return next;
      },
    });
    // Every push, and the client's connection state when it was made.
    const pushes: Array<{ token: string; connectionState: string }> = [];
    const updateToken = client.updateToken.bind(client);
    (client as { updateToken: (jwt: string) => Promise<unknown> }).updateToken = (jwt) => {
      pushes.push({ token: jwt, connectionState: client.connectionState });
      return updateToken(jwt);
    };
    const link = adapter.attach(manager, client, { token: initial });
    const statuses: string[] = [];
    link.state$.subscribe({ next: ({ status }) => statuses.push(status) });
    const stop = async () => {
      link.detach();
      manager.close();
      await fake.close();
    };
    ctx?.onTestFinished(stop);
    return { fake, client, manager, link, fetched, pushes, statuses, initial, stop };
  }

  describe.concurrent(`${adapter.name}: the adapter with the real client`, () => {
    it('declares its grant: attaching to a manager whose token lacks it throws missing_grant', async (ctx) => {
      const fake = await startTwilsockFake();
      ctx.onTestFinished(() => fake.close());
      const initial = token();
      const client = await adapter.createClient(fake, initial);
      const manager = adapter.createManager({
        token: makeToken({ identity: 'alice', grants: { video: {} } }),
        fetchToken: async () => token(),
      });
      ctx.onTestFinished(() => manager.close());
      expect(() => adapter.attach(manager, client, { token: initial })).toThrow(
        expect.objectContaining({ code: 'missing_grant' }),
      );
      await fake.waitForToken({ method: 'init' });
    });

    it("factory form: creates the client with the manager's token, and a new client for a new user, shutting the old one down", async (ctx) => {
      const fake = await startTwilsockFake();
      const alice = token();
      const manager = adapter.createManager({ token: alice, fetchToken: async () => token() });
      const made: Client[] = [];
      const link = adapter.attach(manager, async (jwt) => {
        const client = await adapter.createClient(fake, jwt);
        made.push(client);
        return client;
      });
      ctx.onTestFinished(async () => {
        link.detach();
        manager.close();
        await fake.close();
      });
      await fake.waitForToken({ method: 'init', token: alice });
      await eventually(() => link.client === made[0] && link.getState().status === 'synced');
      expect(link.getState().token?.jwt).toBe(alice);
      // Sign-out, then another user: Twilio clients cannot change identity with updateToken.
      manager.reset();
      const bob = makeToken({ identity: 'bob', grants: adapter.grants });
      await manager.updateToken(bob);
      await fake.waitForToken({ method: 'init', token: bob });
      await eventually(() => link.client === made[1]);
      await eventually(() => made[0]?.connectionState === 'disconnected');
      // Neither client was ever sent a token by update: each was born with its own.
      expect(fake.tokens.map((r) => [r.method, r.token])).toEqual([
        ['init', alice],
        ['init', bob],
      ]);
    });

    it('pushes each adopted token to the server as an update carrying it, and not the one the client holds', async (ctx) => {
      const { fake, manager, link, pushes, initial } = await start(ctx);
      expect(link.getState().status).toBe('synced');
      const next = token();
      await manager.updateToken(next);
      await fake.waitForToken({ method: 'update', token: next });
      await eventually(() => link.getState().status === 'synced');
      expect(link.getState().token?.jwt).toBe(next);
      expect(fake.tokens.map((r) => [r.method, r.token])).toEqual([
        ['init', initial],
        ['update', next],
      ]);
      expect(pushes.map((p) => p.token)).toEqual([next]);
    });

    it('turns a server-pushed expiry warning into one fetch and pushes the fetched token', async (ctx) => {
      const { fake, link, fetched } = await start(ctx);
      expect(fake.pushTokenAboutToExpire()).toBe(1);
      await eventually(() => fetched.length === 1);
      await fake.waitForToken({ method: 'update', token: fetched[0]! });
      await eventually(() => link.getState().token?.jwt === fetched[0]);
      // A warning right after the push is about the token before: no second fetch.
      fake.pushTokenAboutToExpire();
      await delay(100);
      expect(fetched).toHaveLength(1);
      expect(fake.tokensOf('update')).toEqual(fetched);
    });

    it('recovers from the 410 / 20104 close: one fetch, held through the 3 s disconnecting, then init with the fresh token', async (ctx) => {
      const { fake, client, link, fetched, pushes, statuses } = await start(ctx);
      expect(fake.closeTokenExpired()).toBe(1);
      await eventually(() => fetched.length === 1);
      expect(client.connectionState).toBe('disconnecting');
      expect(link.getState().status).toBe('updating');
      const record = await fake.waitForToken({ method: 'init', token: fetched[0]! }, 6_000);
      expect(record.connection).toBe(2);
      await eventually(() => link.getState().status === 'synced');
      await eventually(() => client.connectionState === 'connected');
      expect(fetched).toHaveLength(1);
      // Never pushed while the client would have dropped it.
      expect(pushes).toEqual([{ token: fetched[0], connectionState: 'disconnected' }]);
      expect(statuses.slice(-2)).toEqual(['updating', 'synced']);
    }, 10_000);

    it('does not count an update cut off by a 410 close as delivered: a fresh token reconnects the client', async (ctx) => {
      const { fake, client, manager, link, fetched } = await start(ctx);
      const release = fake.holdUpdates();
      ctx.onTestFinished(release);
      const next = token();
      await manager.updateToken(next);
      await fake.waitForToken({ method: 'update', token: next });
      fake.closeTokenExpired();
      // twilsock resolves the held update once it is disconnected, and would skip `next` as a
      // token it holds: only a fresh token, fetched for it, reaches the server, with an init.
      await eventually(() => fetched.length === 1, 10_000);
      const record = await fake.waitForToken({ method: 'init', token: fetched[0]! }, 10_000);
      expect(record.connection).toBe(2);
      await eventually(() => link.getState().token?.jwt === fetched[0], 5_000);
      expect(link.getState().status).toBe('synced');
      await eventually(() => client.connectionState === 'connected');
    }, 20_000);

    it('recovers from an update answered 401 / 20104: the refused token makes one fetch, the fresh one reconnects', async (ctx) => {
      const { fake, client, manager, link, fetched } = await start(ctx);
      fake.failNextUpdate();
      const refused = token();
      await manager.updateToken(refused);
      await fake.waitForToken({ method: 'update', token: refused });
      await eventually(() => fetched.length === 1);
      const record = await fake.waitForToken({ method: 'init', token: fetched[0]! });
      expect(record.connection).toBe(2);
      await eventually(() => link.getState().status === 'synced');
      await eventually(() => client.connectionState === 'connected');
      expect(manager.token).toBe(fetched[0]);
      await delay(100);
      expect(fetched).toHaveLength(1);
    });

    if (adapter.initializes) {
      it('takes the TypeError of updateToken after a failed initialization as delivered', async (ctx) => {
        const now = Math.floor(Date.now() / 1000);
        const stale = makeToken({ grants: adapter.grants, iat: now - 3_600, exp: now - 10 });
        const fake = await startTwilsockFake();
        const client = await adapter.createClient(fake, stale);
        await eventually(() => client.connectionState === 'denied');
        const fetched: string[] = [];
        const manager = adapter.createManager({
          fetchToken: async () => {
            fetched.push(token());
            return fetched.at(-1)!;
          },
        });
        const errors: unknown[] = [];
        const updateToken = client.updateToken.bind(client);
        (client as { updateToken: (jwt: string) => Promise<unknown> }).updateToken = (jwt) =>
          updateToken(jwt).catch((error: unknown) => {
            errors.push(error);
            throw error;
          });
        const link = adapter.attach(manager, client, { token: stale });
        ctx.onTestFinished(async () => {
          link.detach();
          manager.close();
          await fake.close();
        });
        await fake.waitForToken({ method: 'init', token: fetched[0]! });
        await waitForInitialized(client);
        expect(errors).toEqual([expect.any(TypeError)]);
        expect(link.getState()).toMatchObject({ status: 'synced', lastError: undefined });
        await delay(1_200); // past the first retry, had there been one
        expect(errors).toHaveLength(1);
        expect(fake.tokens.map((r) => r.token)).toEqual([stale, fetched[0]]);
      });
    }
  });

  // Not concurrent: it counts the handles of the whole process.
  describe(`${adapter.name}: detach`, () => {
    it('removes every listener it added and leaves no timer, even with a push in flight', async () => {
      const fake = await startTwilsockFake();
      const initial = token();
      const client = await adapter.createClient(fake, initial);
      await fake.waitForToken({ method: 'init' });
      if (adapter.initializes) await waitForInitialized(client);
      else await eventually(() => client.connectionState === 'connected');
      await fake.waitForQuiet();
      const counts = () => TWILSOCK_ADAPTER_EVENTS.map((event) => client.listenerCount(event));
      const before = counts();
      const manager = adapter.createManager({ token: initial, fetchToken: async () => token() });
      const link = adapter.attach(manager, client, { token: initial });
      expect(counts()).not.toEqual(before);

      const release = fake.holdUpdates(); // the push stays in flight, with its timeout running
      const handles = watchHandles();
      const next = token();
      await manager.updateToken(next);
      await fake.waitForToken({ method: 'update', token: next });
      expect(openedByLink(handles.open())).not.toEqual([]);
      let completed = false;
      link.state$.subscribe({
        complete: () => {
          completed = true;
        },
      });
      link.detach();
      link.detach();
      expect(counts()).toEqual(before);
      expect(openedByLink(await handles.settle(100))).toEqual([]);
      expect(completed).toBe(true);
      release();
      manager.close();
      await fake.close();
    });
  });
}
