import { makeToken } from '@access-manager/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import { attachClient, type ClientSignal, type ClientSpec } from './attachClient.js';
import type { FetchToken } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, grants: Record<string, unknown> = { chat: {}, voice: {} }) =>
  makeToken({ iat: nowS(), ttl, grants });

/** An SDK client stand-in: records pushes, answers them when the test says, emits signals. */
class FakeClient {
  token: string;
  pushes: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  answers: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  autoAnswer = true;
  busy = false;
  ready = true;
  signal: ((kind: ClientSignal) => void) | undefined;
  changed: (() => void) | undefined;
  constructor(token: string) {
    this.token = token;
  }
  updateToken(jwt: string): Promise<void> {
    this.pushes.push(jwt);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      const done = () => this.inFlight--;
      const answer = {
        resolve: () => {
          done();
          this.token = jwt;
          resolve();
        },
        reject: (e: unknown) => {
          done();
          reject(e);
        },
      };
      if (this.autoAnswer) queueMicrotask(answer.resolve);
      else this.answers.push(answer);
    });
  }
}

const spec: ClientSpec<FakeClient> = {
  name: 'fake',
  grant: 'chat',
  updateToken: (client, jwt) => client.updateToken(jwt),
  listen: (client, signal) => {
    client.signal = signal;
    return () => {
      client.signal = undefined;
    };
  },
  isBusy: (client) => client.busy,
  isReady: (client) => client.ready,
  watch: (client, changed) => {
    client.changed = changed;
    return () => {
      client.changed = undefined;
    };
  },
};

const flush = () => vi.advanceTimersByTimeAsync(0);
let cleanup: Array<() => void> = [];

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  for (const step of cleanup) step();
  cleanup = [];
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

function setup(options: { fetchToken?: FetchToken; ttl?: number } = {}) {
  const initial = fresh(options.ttl ?? 3600);
  const manager = new AccessManager({
    token: initial,
    wakeSignals: false,
    random: () => 0.5,
    ...(options.fetchToken ? { fetchToken: options.fetchToken } : {}),
  });
  cleanup.push(() => manager.close());
  const attach = (client = new FakeClient(initial), attachOptions = {}) => {
    const link = attachClient(manager, client, spec, {
      token: initial,
      random: () => 0.5,
      ...attachOptions,
    });
    cleanup.unshift(() => link.detach());
    return { client, link };
  };
  return { manager, initial, attach };
}

describe('attachClient', () => {
  it('declares its grant, and refuses a token without it', () => {
    const manager = new AccessManager({ token: fresh(3600, { chat: {} }), wakeSignals: false });
    cleanup.push(() => manager.close());
    expect(() => attachClient(manager, new FakeClient(''), { ...spec, grant: 'voice' })).toThrow(
      expect.objectContaining({ code: 'missing_grant' }),
    );
    const link = attachClient(manager, new FakeClient(''), spec);
    link.detach();
  });

  it('does not push the token the client already holds, and pushes each new one', async () => {
    const { manager, attach } = setup();
    const { client, link } = attach();
    expect(client.pushes).toEqual([]);
    expect(link.getState().status).toBe('synced');
    const next = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    expect(client.pushes).toEqual([next]);
    expect(link.getState()).toMatchObject({ status: 'synced', pushLatencyMs: 0 });
    expect(link.getState().token?.jwt).toBe(next);
  });

  it('never has two pushes in flight and skips superseded tokens', async () => {
    const { manager, attach } = setup();
    const { client } = attach();
    client.autoAnswer = false;
    const tokens = [1, 2, 3].map((i) =>
      makeToken({ iat: nowS() + i, grants: { chat: {}, voice: {} } }),
    );
    for (const token of tokens) await manager.updateToken(token);
    await flush();
    expect(client.pushes).toEqual([tokens[0]]);
    client.answers.shift()?.resolve();
    await flush();
    expect(client.pushes).toEqual([tokens[0], tokens[2]]);
    client.answers.shift()?.resolve();
    await flush();
    expect(client.maxInFlight).toBe(1);
    expect(client.token).toBe(tokens[2]);
  });

  it('retries a failed push with backoff, and a push that hangs after its timeout', async () => {
    const { manager, attach } = setup();
    const { client, link } = attach(undefined, { pushTimeoutMs: 5_000 });
    client.autoAnswer = false;
    const next = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    client.answers.shift()?.reject(new Error('socket closed'));
    await flush();
    expect(link.getState()).toMatchObject({
      status: 'retrying',
      lastError: { message: 'socket closed' },
    });
    await vi.advanceTimersByTimeAsync(500); // 0.5 x 1 s
    expect(client.pushes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000); // the second push hangs
    expect(link.getState()).toMatchObject({
      status: 'retrying',
      lastError: { code: 'push_timeout' },
    });
    await vi.advanceTimersByTimeAsync(1_000); // 0.5 x 2 s
    expect(client.pushes).toHaveLength(3);
    client.answers.at(-1)?.resolve();
    await flush();
    expect(link.getState().status).toBe('synced');
  });

  it('treats an error that isDelivered accepts as delivered', async () => {
    const { manager, initial } = setup();
    const client = new FakeClient(initial);
    const link = attachClient(
      manager,
      client,
      {
        ...spec,
        updateToken: () => Promise.reject(new TypeError('not initialized')),
        isDelivered: (error) => error instanceof TypeError,
      },
      { token: initial },
    );
    cleanup.unshift(() => link.detach());
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } }));
    await flush();
    expect(link.getState().status).toBe('synced');
  });

  it('turns four clients warning within one second into exactly one fetch', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 200));
      return makeToken({ iat: nowS(), grants: { chat: {}, voice: {} } });
    };
    const { attach, manager } = setup({ fetchToken });
    const clients = [attach(), attach(), attach(), attach()].map((a) => a.client);
    for (const [i, client] of clients.entries()) {
      setTimeout(() => client.signal?.('willExpire'), i * 300);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetches).toBe(1);
    for (const client of clients) expect(client.token).toBe(manager.token);
  });

  it('forces a new fetch when the client says its token expired, at most once per cooldown', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + fetches, grants: { chat: {}, voice: {} } });
    };
    const { attach, manager } = setup({ fetchToken });
    const { client } = attach();
    client.signal?.('expired');
    await flush();
    expect(fetches).toBe(1);
    expect(client.token).toBe(manager.token);
    // the client refuses the new token at once: the next forced fetch waits for the cooldown
    client.signal?.('expired');
    client.signal?.('expired');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(fetches).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetches).toBe(2);
    expect(client.token).toBe(manager.token);
  });

  it('forces no fetch for an expired signal once a newer token has come meanwhile', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + fetches, grants: { chat: {}, voice: {} } });
    };
    const { attach, manager } = setup({ fetchToken });
    const { client } = attach();
    client.signal?.('expired');
    await flush();
    expect(fetches).toBe(1);
    client.signal?.('expired'); // refused again: the next forced fetch waits for the cooldown
    await vi.advanceTimersByTimeAsync(5_000);
    const meanwhile = makeToken({ iat: nowS() + 5, grants: { chat: {}, voice: {} } });
    await manager.updateToken(meanwhile); // e.g. the manager's own refresh
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetches).toBe(1);
    expect(client.token).toBe(meanwhile);
  });

  it('refreshes on a warning, but not on one right after a push', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + fetches, grants: { chat: {}, voice: {} } });
    };
    const { attach } = setup({ fetchToken });
    const { client } = attach();
    client.signal?.('willExpire');
    await flush();
    expect(fetches).toBe(1);
    client.signal?.('willExpire'); // about the token it held before this push
    await flush();
    expect(fetches).toBe(1);
  });

  it('ignores a warning about the token held before, while that one is still valid', async () => {
    const { attach, manager } = setup({ ttl: 600 });
    // A push-only manager: the warnings the link passes on reach the app as events.
    const fromSdk: string[] = [];
    manager.events$.subscribe((e) => {
      if ('source' in e && e.source === 'sdk') fromSdk.push(e.type);
    });
    const { client } = attach();
    await vi.advanceTimersByTimeAsync(60_000);
    const next = makeToken({ iat: nowS(), ttl: 600, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next); // the manager's refresh, well before the first token expires
    await flush();
    expect(client.token).toBe(next);
    // A Voice Device's timer for the first token fires near its expiry, after the push.
    await vi.advanceTimersByTimeAsync(600_000 - 60_000 - 10_000);
    client.signal?.('willExpire');
    await flush();
    expect(fromSdk).toEqual([]);
    // Once that token is long gone, a warning is about the token held now.
    await vi.advanceTimersByTimeAsync(20_000);
    client.signal?.('willExpire');
    await flush();
    expect(fromSdk).toEqual(['tokenWillExpire']);
  });

  it('forces a fetch when the client refuses the token being pushed as expired', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + 10 * fetches, grants: { chat: {}, voice: {} } });
    };
    const { attach, manager } = setup({ fetchToken });
    const { client } = attach();
    client.autoAnswer = false;
    const refusedToken = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(refusedToken);
    await flush();
    expect(client.pushes).toEqual([refusedToken]);
    // The server answers the update 401 / 20104: the SDK rejects the push, then says expired.
    client.answers.shift()?.reject(new Error('401'));
    await flush();
    client.signal?.('expired');
    await flush();
    expect(fetches).toBe(1);
    expect(manager.token).not.toBe(refusedToken);
    expect(client.pushes.at(-1)).toBe(manager.token);
  });

  it('takes an expired signal during a push to be about the token before', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + 10 * fetches, grants: { chat: {}, voice: {} } });
    };
    const { attach, manager } = setup({ fetchToken });
    const { client, link } = attach();
    client.autoAnswer = false;
    const next = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    client.signal?.('expired'); // late, about the first token
    client.answers.shift()?.resolve();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetches).toBe(0);
    expect(link.getState()).toMatchObject({ status: 'synced', token: { jwt: next } });
  });

  it('starts no fetch on a warning the manager expects: a short token, with a refresh planned', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + fetches, ttl: 120, grants: { chat: {}, voice: {} } });
    };
    const { attach } = setup({ fetchToken, ttl: 120 });
    const { client } = attach();
    client.signal?.('willExpire'); // a 2-minute token: SDKs warn as soon as they get it
    await flush();
    expect(fetches).toBe(0);
  });

  it('with retrySameToken false, retries a failed push with a new token, never the same one', async () => {
    let fetches = 0;
    const fetchToken: FetchToken = async () => {
      fetches++;
      return makeToken({ iat: nowS() + 200 + fetches, grants: { chat: {}, voice: {} } });
    };
    const { manager, initial } = setup({ fetchToken });
    const client = new FakeClient(initial);
    client.autoAnswer = false;
    const link = attachClient(
      manager,
      client,
      { ...spec, retrySameToken: false },
      { token: initial, random: () => 0.5 },
    );
    cleanup.unshift(() => link.detach());
    const next = makeToken({ iat: nowS() + 100, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    client.answers.shift()?.reject(new Error('cut off'));
    await vi.advanceTimersByTimeAsync(500); // backoff 0.5 x 1 s, then a forced fetch
    expect(fetches).toBe(1);
    await flush();
    expect(client.pushes).toEqual([next, manager.token]);
    expect(client.pushes[1]).not.toBe(next);
  });

  it('counts a push the client resolved without taking it (confirm false) as failed, and gives up a push when the client loses its connection', async () => {
    const { manager, initial } = setup();
    const client = new FakeClient(initial);
    let connected = false; // resolves updateToken, but has no connection to send it on
    const link = attachClient(
      manager,
      client,
      { ...spec, confirm: () => connected },
      { token: initial, random: () => 0.5 },
    );
    cleanup.unshift(() => link.detach());
    const next = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    expect(link.getState()).toMatchObject({ status: 'retrying' });
    expect(link.getState().token?.jwt).not.toBe(next);
    // a push in flight is given up at once when the client says it lost its connection
    connected = true;
    client.autoAnswer = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(client.pushes).toHaveLength(2);
    connected = false;
    client.changed?.();
    expect(link.getState()).toMatchObject({
      status: 'retrying',
      lastError: { message: expect.stringContaining('lost its connection') },
    });
  });

  it('holds a token while the client is busy, until it is idle or its token nearly expires', async () => {
    const { manager, attach } = setup({ ttl: 600 });
    const { client, link } = attach();
    client.busy = true;
    const next = makeToken({ iat: nowS(), ttl: 600, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    expect(client.pushes).toEqual([]);
    expect(link.getState().status).toBe('updating');
    client.busy = false;
    client.changed?.();
    await flush();
    expect(client.pushes).toEqual([next]);
    // busy again: the next token waits until the held one has 60 s left
    client.busy = true;
    const third = makeToken({ iat: nowS(), ttl: 600, grants: { chat: {}, voice: {} } });
    await manager.updateToken(third);
    await vi.advanceTimersByTimeAsync(600_000 - 60_000 - 1_000);
    expect(client.pushes).toEqual([next]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(client.pushes).toEqual([next, third]);
  });

  it('asks a busy client again every busyPollMs when its watch cannot see the call end', async () => {
    const { manager } = setup({ ttl: 600 });
    const client = new FakeClient(manager.token!);
    const link = attachClient(
      manager,
      client,
      { ...spec, busyPollMs: 5_000 },
      {
        token: manager.token!,
      },
    );
    cleanup.unshift(() => link.detach());
    client.busy = true;
    const next = makeToken({ iat: nowS() + 1, ttl: 600, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await vi.advanceTimersByTimeAsync(12_000);
    expect(client.pushes).toEqual([]);
    client.busy = false; // no `changed()` call
    await vi.advanceTimersByTimeAsync(2_999);
    expect(client.pushes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(client.pushes).toEqual([next]);
  });

  it("never cuts a failed push's backoff short on a watch call or a signal", async () => {
    const { manager, attach } = setup();
    const { client } = attach(undefined, { retry: { minDelayMs: 1_000 } });
    client.autoAnswer = false;
    const next = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    client.answers.shift()?.reject(new Error('denied'));
    await flush();
    // twilsock goes 'denied' and says the token expired, right after refusing the push
    client.changed?.();
    client.signal?.('willExpire');
    await flush();
    expect(client.pushes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500); // 0.5 x 1 s
    expect(client.pushes).toHaveLength(2);
  });

  it('waits while the client is not ready', async () => {
    const { manager, attach } = setup();
    const { client } = attach();
    client.ready = false;
    const next = makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } });
    await manager.updateToken(next);
    await flush();
    expect(client.pushes).toEqual([]);
    client.ready = true;
    client.changed?.();
    await flush();
    expect(client.pushes).toEqual([next]);
  });

  it('detach removes its listeners and timers, releases the grant, and is idempotent', async () => {
    const { manager, attach } = setup();
    const { client, link } = attach();
    client.autoAnswer = false;
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } }));
    client.answers.shift()?.reject(new Error('x')); // a retry timer is pending
    await flush();
    const statuses: string[] = [];
    link.state$.subscribe({
      next: (s) => statuses.push(s.status),
      complete: () => statuses.push('complete'),
    });
    const timers = vi.getTimerCount();
    link.detach();
    link[Symbol.dispose]();
    expect(client.signal).toBeUndefined();
    expect(client.changed).toBeUndefined();
    expect(vi.getTimerCount()).toBe(timers - 1); // the retry timer; the manager keeps its own
    expect(statuses).toEqual(['retrying', 'detached', 'complete']);
    // the grant is released: a token without chat is accepted again
    await manager.updateToken(makeToken({ iat: nowS() + 2, grants: { voice: {} } }));
  });

  it("after detach, a late subscriber of client$ gets no client (though link.client is still the app's) and completes at once", async () => {
    const { attach } = setup();
    const { client, link } = attach();
    await flush();
    const before: unknown[] = [];
    link.client$.subscribe((c) => before.push(c));
    expect(before).toEqual([client]);
    link.detach();
    const after: unknown[] = [];
    link.client$.subscribe({ next: (c) => after.push(c), complete: () => after.push('complete') });
    expect(after).toEqual(['complete']);
    expect(link.client).toBe(client);
  });

  it('detach with a push in flight clears its timeout; a late answer changes nothing', async () => {
    const { manager, attach } = setup();
    const { client, link } = attach();
    client.autoAnswer = false;
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants: { chat: {}, voice: {} } }));
    await flush();
    const timers = vi.getTimerCount();
    link.detach();
    expect(vi.getTimerCount()).toBe(timers - 1);
    client.answers.shift()?.resolve();
    await flush();
    expect(link.getState().status).toBe('detached');
  });
});
