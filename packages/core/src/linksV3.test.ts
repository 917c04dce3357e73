// Client links v3 (issue 16): each break found at the seams between lifecycles, as a named test
// that fails on the code before (main at 9f56fb3), public API only, fake timers.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { attachClient, type ClientSignal, type ClientSpec } from './attachClient.js';
import { combineLinks } from './combineLinks.js';
import { onFakeTime } from './testing/onFakeTime.js';
import type { FetchToken } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const flush = () => vi.advanceTimersByTimeAsync(0);
const grants = { chat: { service_sid: 'IS1' } };
const tokenFor = (identity: string, iatOffsetS = 0) =>
  makeToken({ identity, iat: nowS() + iatOffsetS, grants });
const identityOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()).grants.identity;

/** A stand-in SDK client: records what it is given; each push answers when the test says. */
class StandInClient {
  pushes: string[] = [];
  answers: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  inFlight = 0;
  maxInFlight = 0;
  shutdowns = 0;
  autoAnswer = true;
  signal: ((kind: ClientSignal) => void) | undefined;
  constructor(readonly token: string) {}
}
const spec: ClientSpec<StandInClient> = {
  name: 'stand-in',
  grant: 'chat',
  updateToken: (client, jwt) => {
    client.pushes.push(jwt);
    client.inFlight++;
    client.maxInFlight = Math.max(client.maxInFlight, client.inFlight);
    return new Promise<void>((resolve, reject) => {
      const answer = {
        resolve: () => {
          client.inFlight--;
          resolve();
        },
        reject: (error: unknown) => {
          client.inFlight--;
          reject(error);
        },
      };
      if (client.autoAnswer) queueMicrotask(answer.resolve);
      else client.answers.push(answer);
    });
  },
  shutdown: (client) => {
    client.shutdowns++;
  },
  listen: (client, signal) => {
    client.signal = signal;
    return () => {
      client.signal = undefined;
    };
  },
};

/** A factory whose clients come when the test says (an async `Client.create`, Voice's register). */
function deferredFactory() {
  const made: StandInClient[] = [];
  const pending: Array<() => void> = [];
  const factory = (jwt: string) =>
    new Promise<StandInClient>((resolve) => {
      pending.push(() => {
        const client = new StandInClient(jwt);
        made.push(client);
        resolve(client);
      });
    });
  return { factory, made, pending, calls: () => made.length + pending.length };
}

const { cleanup, managed } = onFakeTime(T0, { wakeSignals: false, random: () => 0.5 });

describe('a signed-out user’s client never lives on with the next user’s token', () => {
  it('reset() while the factory runs, then a token for bob: alice’s client is shut down and given nothing', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const { factory, made, pending } = deferredFactory();
    const link = attachClient(manager, factory, spec);
    cleanup.unshift(() => link.detach());
    await flush();
    expect(pending).toHaveLength(1); // alice's client is being made
    manager.reset();
    await manager.updateToken(tokenFor('bob'));
    await flush();
    pending.shift()?.(); // alice's factory resolves late
    await flush();
    const alices = made.filter((c) => identityOf(c.token) === 'alice');
    expect(alices).toHaveLength(1);
    expect(alices[0]?.pushes).toEqual([]);
    expect(alices[0]?.shutdowns).toBe(1);
    expect(link.client).not.toBe(alices[0]);
    for (const resolve of pending.splice(0)) resolve(); // bob's
    await flush();
    expect(identityOf(link.client?.token ?? '')).toBe('bob');
    expect(link.getState()).toMatchObject({ status: 'synced', token: { identity: 'bob' } });
  });
});

describe('a retired client’s late push failure does not touch the new client', () => {
  it('the new client’s push still times out, and no second push starts while it is in flight', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const made: StandInClient[] = [];
    const link = attachClient(
      manager,
      (jwt) => {
        made.push(new StandInClient(jwt));
        return made.at(-1) as StandInClient;
      },
      spec,
      { random: () => 0.5 },
    );
    cleanup.unshift(() => link.detach());
    await flush();
    const alice = made[0] as StandInClient;
    alice.autoAnswer = false;
    await manager.updateToken(tokenFor('alice', 1));
    await flush();
    expect(alice.pushes).toHaveLength(1); // in flight
    manager.reset();
    await manager.updateToken(tokenFor('bob'));
    await flush();
    const bob = made[1] as StandInClient;
    expect(identityOf(bob.token)).toBe('bob');
    bob.autoAnswer = false;
    await manager.updateToken(tokenFor('bob', 2));
    await flush();
    expect(bob.pushes).toHaveLength(1); // in flight
    alice.answers.shift()?.reject(new Error('alice’s socket closed')); // late
    await flush();
    await manager.updateToken(tokenFor('bob', 3));
    await flush();
    expect(bob.maxInFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(link.getState()).toMatchObject({
      status: 'retrying',
      lastError: { code: 'push_timeout' },
    });
  });
});

describe('an SDK signal after sign-out signs nobody back in', () => {
  for (const kind of ['willExpire', 'expired'] as const) {
    it(`a client the app created: its late ${kind} after reset() fetches nothing`, async () => {
      let fetches = 0;
      const fetchToken: FetchToken = async () => {
        fetches++;
        return tokenFor('alice', fetches);
      };
      const first = tokenFor('alice');
      const manager = managed({ token: first, fetchToken });
      const client = new StandInClient(first);
      const link = attachClient(manager, client, spec, { token: first });
      cleanup.unshift(() => link.detach());
      const signal = client.signal;
      manager.reset();
      await flush();
      signal?.(kind);
      client.signal?.(kind);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(fetches).toBe(0);
      expect(manager.getState().token).toBeNull();
      expect(client.shutdowns).toBe(0); // not the link's to end
    });
  }
});

describe('sign-out and detach while a factory link waits for its token', () => {
  it('reset() while it waits for its first token: creating, no error, and combineLinks is not red', async () => {
    const manager = managed({ fetchToken: () => new Promise<string>(() => {}) });
    const { factory } = deferredFactory();
    const link = attachClient(manager, factory, spec);
    cleanup.unshift(() => link.detach());
    const badge: string[] = [];
    combineLinks([link]).subscribe(({ status }) => badge.push(status));
    await flush();
    manager.reset();
    await flush();
    expect(link.getState().status).toBe('creating');
    expect(link.getState().lastError).toBeUndefined();
    expect(badge).not.toContain('failed');
  });

  it('detach() while it waits: the factory is never called when the token comes', async () => {
    const manager = managed(); // push-only, no token yet
    const { factory, calls } = deferredFactory();
    const link = attachClient(manager, factory, spec);
    await flush();
    link.detach();
    await manager.updateToken(tokenFor('alice'));
    await flush();
    expect(calls()).toBe(0);
  });

  it('a client$ subscriber that detaches during creation leaves the link detached', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const made: StandInClient[] = [];
    const link = attachClient(
      manager,
      async (jwt) => {
        made.push(new StandInClient(jwt));
        return made.at(-1) as StandInClient;
      },
      spec,
    );
    link.client$.subscribe(() => link.detach());
    await flush();
    expect(made).toHaveLength(1);
    expect(link.getState().status).toBe('detached');
    expect(made[0]?.shutdowns).toBe(1);
  });
});

describe('streams after detach', () => {
  it('a late subscriber of state$, client$ or combineLinks gets the end at once', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const link = attachClient(manager, (jwt) => new StandInClient(jwt), spec);
    await flush();
    link.detach();
    const ends: string[] = [];
    const seen: string[] = [];
    link.state$.subscribe({
      next: (s) => seen.push(s.status),
      complete: () => ends.push('state$'),
    });
    link.client$.subscribe({ complete: () => ends.push('client$') });
    combineLinks([link]).subscribe({
      next: (s) => seen.push(`combined ${s.status}`),
      complete: () => ends.push('combineLinks'),
    });
    expect(ends).toEqual(['state$', 'client$', 'combineLinks']);
    expect(seen).toEqual(['detached', 'combined detached']);
  });
});

describe('found by the model-based test (linksModel.test.ts)', () => {
  it('the app’s client, signed out during a push and back in as the same user, gets no second push while the first is in flight', async () => {
    const first = tokenFor('alice');
    const manager = managed({ token: first });
    const client = new StandInClient(first);
    client.autoAnswer = false;
    const link = attachClient(manager, client, spec, { token: first });
    cleanup.unshift(() => link.detach());
    await manager.updateToken(tokenFor('alice', 1));
    await flush();
    expect(client.pushes).toHaveLength(1); // in flight
    manager.reset();
    const again = tokenFor('alice', 2);
    await manager.updateToken(again);
    await flush();
    expect(client.maxInFlight).toBe(1);
    client.answers.shift()?.resolve();
    await flush();
    expect(client.pushes.at(-1)).toBe(again); // then the new token goes
    client.answers.shift()?.resolve();
    await flush();
    expect(link.getState()).toMatchObject({ status: 'synced', token: { jwt: again } });
  });

  it('a client attached with { token } reports that token in its state from the start', async () => {
    const first = tokenFor('alice');
    const manager = managed({ token: first });
    const link = attachClient(manager, new StandInClient(first), spec, { token: first });
    cleanup.unshift(() => link.detach());
    await flush();
    expect(link.getState()).toMatchObject({ status: 'synced', token: { jwt: first } });
  });
});

describe('found in review: a state$ subscriber that acts during a delivery', () => {
  it('detach() on `updating`: the client gets no push after detach, and no timer is left', async () => {
    const first = tokenFor('alice');
    const manager = managed({ token: first });
    const client = new StandInClient(first);
    client.autoAnswer = false;
    const pushedWhileDetached: string[] = [];
    const link = attachClient(
      manager,
      client,
      {
        ...spec,
        updateToken: (c, jwt) => {
          if (link.getState().status === 'detached') pushedWhileDetached.push(jwt);
          return spec.updateToken(c, jwt);
        },
      },
      { token: first },
    );
    link.state$.subscribe((state) => {
      if (state.status === 'updating') link.detach();
    });
    await manager.updateToken(tokenFor('alice', 1));
    await flush();
    expect(link.getState().status).toBe('detached');
    expect(pushedWhileDetached).toEqual([]);
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('detach() on `retrying` after a failed push: no timer is left', async () => {
    const first = tokenFor('alice');
    const manager = managed({ token: first });
    const client = new StandInClient(first);
    client.autoAnswer = false;
    const link = attachClient(manager, client, spec, { token: first });
    link.state$.subscribe((state) => {
      if (state.status === 'retrying') link.detach();
    });
    await manager.updateToken(tokenFor('alice', 1));
    await flush();
    client.answers.shift()?.reject(new Error('socket closed'));
    await flush();
    expect(link.getState().status).toBe('detached');
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('detach() on `retrying` after a failed creation: no timer is left', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const link = attachClient(manager, () => Promise.reject(new Error('factory failed')), spec);
    link.state$.subscribe((state) => {
      if (state.status === 'retrying') link.detach();
    });
    await flush();
    expect(link.getState().status).toBe('detached');
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a synced factory client: detach() on `synced` calls no `delivered` on the shut-down client', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const made: StandInClient[] = [];
    let deliveredAfterShutdown = 0;
    const link = attachClient(
      manager,
      (jwt) => {
        made.push(new StandInClient(jwt));
        return made.at(-1) as StandInClient;
      },
      {
        ...spec,
        delivered: (client) => {
          if (client.shutdowns) deliveredAfterShutdown++;
        },
      },
    );
    await flush();
    link.state$.subscribe((state) => {
      if (state.status === 'synced' && state.lastPushedAt) link.detach();
    });
    await manager.updateToken(tokenFor('alice', 1));
    await flush();
    expect(made[0]?.pushes).toHaveLength(1);
    expect(made[0]?.shutdowns).toBe(1);
    expect(deliveredAfterShutdown).toBe(0);
  });
});

describe('found in review: startTimeoutMs', () => {
  it('Infinity means no time limit for start, as for pushTimeoutMs: the client is not failed at once', async () => {
    const manager = managed({ token: tokenFor('alice') });
    const made: StandInClient[] = [];
    const link = attachClient(
      manager,
      (jwt) => {
        made.push(new StandInClient(jwt));
        return made.at(-1) as StandInClient;
      },
      { ...spec, start: () => new Promise<void>(() => {}) },
      { startTimeoutMs: Number.POSITIVE_INFINITY },
    );
    cleanup.unshift(() => link.detach());
    await vi.advanceTimersByTimeAsync(60_000);
    expect(link.getState()).toMatchObject({ status: 'creating' });
    expect(made).toHaveLength(1);
    expect(made[0]?.shutdowns).toBe(0);
  });
});

describe('found by the model-based test: an SDK that signals from within updateToken', () => {
  it('a willExpire emitted before updateToken returns starts no second push, and leaves no timer', async () => {
    const first = tokenFor('alice');
    const manager = managed({ token: first });
    const client = new StandInClient(first);
    client.autoAnswer = false;
    const link = attachClient(
      manager,
      client,
      {
        ...spec,
        updateToken: (c, jwt) => {
          const pending = spec.updateToken(c, jwt);
          c.signal?.('willExpire'); // at once, as an SDK's emitter may
          return pending;
        },
      },
      { token: first },
    );
    await manager.updateToken(tokenFor('alice', 1));
    await flush();
    expect(client.maxInFlight).toBe(1);
    link.detach();
    manager.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('found by the model-based test: a sign-out from a state$ subscriber during a token$ delivery', () => {
  it('reset() when the link starts creating for a new token fetches nothing', async () => {
    let fetches = 0;
    const manager = managed({
      token: tokenFor('alice'),
      fetchToken: async () => {
        fetches++;
        return tokenFor('alice', fetches);
      },
    });
    let failFactory = true;
    const link = attachClient(
      manager,
      (jwt) => {
        if (failFactory) throw new Error('factory failed');
        return new StandInClient(jwt);
      },
      spec,
      { random: () => 0.5 },
    );
    cleanup.unshift(() => link.detach());
    await flush();
    expect(link.getState().status).toBe('retrying');
    failFactory = false;
    let signedOut = false;
    link.state$.subscribe((state) => {
      if (state.status !== 'creating' || signedOut) return;
      signedOut = true;
      manager.reset();
    });
    await manager.updateToken(tokenFor('alice', 1)); // the link creates at once: a new token
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetches).toBe(0);
    expect(manager.getState().token).toBeNull();
  });
});

describe('found in review: a client attached after a sign-out', () => {
  for (const kind of ['willExpire', 'expired'] as const) {
    it(`its ${kind} fetches nothing until the app asks for the next user’s token`, async () => {
      let fetches = 0;
      const fetchToken: FetchToken = async () => {
        fetches++;
        return tokenFor('alice', fetches);
      };
      const first = tokenFor('alice');
      const manager = managed({ token: first, fetchToken });
      manager.reset();
      const client = new StandInClient(first); // made before the sign-out, attached after it
      const link = attachClient(manager, client, spec, { token: first });
      cleanup.unshift(() => link.detach());
      client.signal?.(kind);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(fetches).toBe(0);
      expect(manager.getState().token).toBeNull();
    });
  }
});
