// Client links v2 (issue 9): the signal table, the factory form, and each stall fixed, with a
// test that fails on the code before (commit 3f39e23).
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { attachClient, type ClientLinkState, type ClientSpec } from './attachClient.js';
import { decideSignal, type SignalAction, type SignalFacts } from './clientSignal.js';
import { combineLinks } from './combineLinks.js';
import { onFakeTime } from './testing/onFakeTime.js';
import { StandInClient, standInSpec } from './testing/standInClient.js';
import type { FetchToken } from './types.js';

describe('decideSignal, as a table', () => {
  const base: SignalFacts = {
    kind: 'willExpire',
    managerLeftMs: 3_000_000,
    clientHoldsManagerToken: true,
    managerTokenRefused: false,
    clientLeftMs: 3_000_000,
    previousLeftMs: null,
    sinceChangeMs: Number.POSITIVE_INFINITY,
    refreshPlanned: true,
    cooldownMs: 10_000,
  };
  const rows: Array<[string, Partial<SignalFacts>, SignalAction]> = [
    [
      'the client is behind the manager: push the manager’s token',
      { clientHoldsManagerToken: false },
      'push',
    ],
    [
      'behind, and the manager’s token expired: no push',
      { clientHoldsManagerToken: false, managerLeftMs: -1 },
      'refresh',
    ],
    [
      'behind, but it just refused that token: force',
      { kind: 'expired', clientHoldsManagerToken: false, managerTokenRefused: true },
      'force',
    ],
    ['expired: force a new token', { kind: 'expired' }, 'force'],
    [
      'a warning about a token the manager thinks has long to live: refresh (Twilio’s clock)',
      {},
      'refresh',
    ],
    [
      'a warning right after a push that changed the token: about the one before',
      { sinceChangeMs: 2_000 },
      'none',
    ],
    [
      'a warning while the token before is in its last minutes: about that one',
      { previousLeftMs: 120_000 },
      'none',
    ],
    [
      'a warning once the token before is long gone: refresh',
      { previousLeftMs: -60_000 },
      'refresh',
    ],
    [
      'a warning in the last minutes, a refresh planned: the plan covers it',
      { clientLeftMs: 150_000 },
      'none',
    ],
    [
      'a warning in the last minutes, nothing planned: refresh',
      { clientLeftMs: 150_000, refreshPlanned: false },
      'refresh',
    ],
  ];
  for (const [what, facts, action] of rows) {
    it(what, () => {
      expect(decideSignal({ ...base, ...facts })).toBe(action);
    });
  }
});

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const flush = () => vi.advanceTimersByTimeAsync(0);
const grants = { chat: { service_sid: 'IS1' }, voice: {} };

const { cleanup, managed } = onFakeTime(T0, { wakeSignals: false, random: () => 0.5 });

describe('the factory form', () => {
  it('creates the client with a token valid long enough, knows what it holds, and never pushes it again', async () => {
    const fetchToken: FetchToken = async () => makeToken({ grants });
    const manager = managed({ fetchToken });
    const made: StandInClient[] = [];
    const link = attachClient(
      manager,
      (jwt) => {
        const client = new StandInClient(jwt);
        made.push(client);
        return client;
      },
      standInSpec,
    );
    cleanup.unshift(() => link.detach());
    expect(link.client).toBeUndefined();
    expect(link.getState().status).toBe('creating');
    const seen: StandInClient[] = [];
    link.client$.subscribe((client) => seen.push(client));
    await flush();
    expect(made).toHaveLength(1);
    expect(link.client).toBe(made[0]);
    expect(seen).toEqual([made[0]]);
    expect(made[0]?.token).toBe(manager.token);
    expect(made[0]?.pushes).toEqual([]); // it was born with the manager's token
    expect(link.getState()).toMatchObject({ status: 'synced', token: { jwt: manager.token } });
  });

  it('a user switch shuts the old client down and creates one for the new identity', async () => {
    const manager = managed({ token: makeToken({ identity: 'alice', grants }), identity: 'any' });
    const made: StandInClient[] = [];
    const link = attachClient(
      manager,
      (jwt) => {
        made.push(new StandInClient(jwt));
        return made.at(-1) as StandInClient;
      },
      standInSpec,
    );
    cleanup.unshift(() => link.detach());
    await flush();
    expect(made).toHaveLength(1);
    manager.reset();
    await flush();
    expect(made[0]?.shutdowns).toBe(1);
    expect(link.client).toBeUndefined();
    await manager.updateToken(makeToken({ identity: 'bob', grants }));
    await flush();
    expect(made).toHaveLength(2);
    expect(link.client).toBe(made[1]);
    link.detach();
    expect(made[1]?.shutdowns).toBe(1); // a factory link's client ends with it
  });

  it('a link to a client the app created reports failed with a typed error on another identity', async () => {
    const first = makeToken({ identity: 'alice', grants });
    const manager = managed({ token: first, identity: 'any' });
    const client = new StandInClient(first);
    const link = attachClient(manager, client, standInSpec, { token: first });
    cleanup.unshift(() => link.detach());
    await manager.updateToken(makeToken({ identity: 'bob', grants }));
    await flush();
    expect(client.pushes).toEqual([]);
    expect(link.getState()).toMatchObject({
      status: 'failed',
      lastError: { code: 'identity_mismatch' },
    });
    expect(client.shutdowns).toBe(0); // not the link's to end
  });
});

describe('never stall', () => {
  it('attaches atomically: a standInSpec whose watch throws leaves no listener and no grant behind', () => {
    const manager = managed(makeToken({ grants }));
    const client = new StandInClient(manager.token as string);
    const broken: ClientSpec<StandInClient> = {
      ...standInSpec,
      watch: () => {
        throw new Error('watch failed');
      },
    };
    expect(() => attachClient(manager, client, broken)).toThrow('watch failed');
    expect(client.signal).toBeUndefined(); // listen was undone
    // The grant was released: a token without chat is accepted again.
    return expect(manager.updateToken(makeToken({ grants: { voice: {} } }))).resolves.toBe(manager);
  });

  it('state$ emits only on change: a busy client polled every 5 s re-renders nobody', async () => {
    const manager = managed(makeToken({ grants }));
    let busy = true;
    const client = new StandInClient(manager.token as string);
    const link = attachClient(
      manager,
      client,
      { ...standInSpec, isBusy: () => busy, busyPollMs: 5_000 },
      { token: manager.token as string },
    );
    cleanup.unshift(() => link.detach());
    const seen: ClientLinkState[] = [];
    link.state$.subscribe((state) => seen.push(state));
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants }));
    await vi.advanceTimersByTimeAsync(60_000); // twelve polls
    expect(seen.map((s) => s.status)).toEqual(['synced', 'updating']);
    busy = false;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen.map((s) => s.status)).toEqual(['synced', 'updating', 'synced']);
  });

  it('a twilsock-like client whose forced refresh brings back the token it holds retries after backoff, not an hour later', async () => {
    let fetches = 0;
    const cached = makeToken({ grants });
    const fresh = () => makeToken({ iat: nowS(), grants });
    const fetchToken: FetchToken = async () => {
      fetches++;
      return fetches <= 2 ? cached : fresh(); // an endpoint that caches, for a while
    };
    const manager = managed({ token: makeToken({ iat: nowS() - 1, grants }), fetchToken });
    const client = new StandInClient(manager.token as string);
    const refusing: ClientSpec<StandInClient> = {
      ...standInSpec,
      retrySameToken: false,
      updateToken: (c, jwt) => {
        c.pushes.push(jwt);
        return c.pushes.length === 1 ? Promise.reject(new Error('refused')) : Promise.resolve();
      },
    };
    const link = attachClient(manager, client, refusing, { token: manager.token as string });
    cleanup.unshift(() => link.detach());
    await manager.refresh(); // adopts `cached`; its push is refused
    // The link's forced refresh brings `cached` back: the manager keeps trying, with backoff,
    // until another token comes (before v2 the link stayed `retrying` with no timer).
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetches).toBeGreaterThanOrEqual(3);
    expect(link.getState().status).toBe('synced');
    expect(client.pushes.at(-1)).toBe(manager.token);
    expect(manager.token).not.toBe(cached);
  });
});

describe('a client that was already denied when the push began', () => {
  it('keeps the push when its late tokenExpired (about its first token) comes during it', async () => {
    // Conversations after a failed init: denied, then updateToken sends the token on a new socket
    // and rejects with a TypeError that still means delivered; its tokenExpired may come meanwhile.
    const manager = managed({ fetchToken: async () => makeToken({ grants }) });
    const stale = makeToken({ iat: nowS() - 3600, exp: nowS() - 10, grants });
    const client = new StandInClient(stale);
    client.connectionState = 'denied';
    let answer: (() => void) | undefined;
    const link = attachClient(
      manager,
      client,
      {
        ...standInSpec,
        confirm: (c) => c.connectionState !== 'denied',
        isDelivered: (error) => error instanceof TypeError,
        retrySameToken: false,
        updateToken: (c, jwt) => {
          c.pushes.push(jwt);
          return new Promise((_, reject) => {
            answer = () => reject(new TypeError('media client not there yet'));
          });
        },
      },
      { token: stale },
    );
    cleanup.unshift(() => link.detach());
    await flush();
    expect(client.pushes).toHaveLength(1);
    client.signal?.('expired'); // about the first token, while the push is in flight
    answer?.();
    await flush();
    expect(client.pushes).toHaveLength(1);
    expect(link.getState()).toMatchObject({ status: 'synced', lastError: undefined });
  });
});

describe('SDK warnings are honoured', () => {
  it('a warning right after a push that may have changed nothing is not dropped (attached without { token })', async () => {
    const manager = managed(makeToken({ grants }));
    const fromSdk: string[] = [];
    manager.events$.subscribe((e) => {
      if ('source' in e && e.source === 'sdk') fromSdk.push(e.type);
    });
    const client = new StandInClient(manager.token as string);
    const link = attachClient(manager, client, standInSpec); // no { token }: the link pushes it
    cleanup.unshift(() => link.detach());
    await flush();
    expect(client.pushes).toEqual([manager.token]);
    client.signal?.('willExpire'); // Twilio says the token it holds is about to expire
    await flush();
    expect(fromSdk).toEqual(['tokenWillExpire']);
  });
});

describe('combineLinks', () => {
  it('is synced when every client is, else the worst status and which link', async () => {
    const manager = managed(makeToken({ grants }));
    const a = new StandInClient(manager.token as string);
    const b = new StandInClient(manager.token as string);
    const la = attachClient(manager, a, standInSpec, { token: manager.token as string });
    const lb = attachClient(
      manager,
      b,
      { ...standInSpec, updateToken: () => Promise.reject(new Error('down')) },
      { token: manager.token as string, retry: { minDelayMs: 60_000, maxDelayMs: 60_000 } },
    );
    cleanup.unshift(() => {
      la.detach();
      lb.detach();
    });
    const seen: Array<[string, number]> = [];
    combineLinks([la, lb]).subscribe(({ status, worst }) => {
      seen.push([status, worst.length]);
    });
    expect(seen).toEqual([['synced', 0]]);
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants }));
    await flush();
    expect(seen.at(-1)).toEqual(['retrying', 1]);
  });
});
