// Second hostile review of this session's Core v3 fixes (issue 17: aed9de8, 0795713).
// Each numbered test is a finding and failed on the code under review (05b4ce8), ranked: the first
// hurts a user most; each passes since its fix. Each describe says whether it is a regression of a commit of this session
// (it passes on the commit before, run so with packages/core/src checked out there), or older.
// Known and not repeated: review4's findings 2, 3, 9, 12 and 14. Public API only, fake timers.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { controlledFetch } from './testing/controlledFetch.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });
const flush = () => vi.advanceTimersByTimeAsync(0);
const noop = () => {};

const make = managersOnFakeTime(T0);
const create = (init: AccessManagerOptions = {}) => make({ wakeSignals: false, ...init });

describe('reset() from inside a delivery: what still reaches a later subscriber (older; aed9de8\'s "live() goes with every path" is incomplete)', () => {
  it('1. a token pushed from inside a delivery: a later state$ subscriber is not handed the state of the user a guard signed out', async () => {
    const manager = create({ identity: 'any', random: () => 0.5, token: fresh(600) });
    // An events$ subscriber pushes the next token it holds when the warning comes (inside a
    // delivery: the mailbox is busy), and a guard signs out a token of the wrong user.
    manager.events$.subscribe((event) => {
      if (event.type === 'tokenWillExpire') {
        manager.updateToken(fresh(3600, { identity: 'mallory' })).catch(noop);
      }
    });
    manager.state$.subscribe((state) => {
      if (state.token?.identity === 'mallory') manager.reset();
    });
    const seen: string[] = [];
    // e.g. React's useSyncExternalStore, or state$.pipe(map((s) => s.token)) feeding an SDK
    manager.state$.subscribe((state) => seen.push(state.token?.identity ?? 'none'));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(manager.token).toBeNull();
    // On 05b4ce8: [..., 'mallory', 'none']. #adopt's #reconcile publishes the adopted state with
    // no live() before deliverAdoption's closure runs (it waits in the busy mailbox); that closure's
    // publish(live) then finds the state published already, so the guard's reset() does not stop it.
    expect(seen).not.toContain('mallory');
  });

  it("2. the constructor's queued tokenUpdated: an events$ subscriber after one that signs out does not hear it", async () => {
    const manager = create({ identity: 'any', token: fresh(3600, { identity: 'mallory' }) });
    manager.events$.subscribe((event) => {
      if (event.type === 'tokenUpdated' && event.token.identity === 'mallory') manager.reset();
    });
    const heard: string[] = [];
    manager.events$.subscribe((event) => heard.push(event.type));
    await flush();
    expect(manager.token).toBeNull();
    // On 05b4ce8: ['tokenUpdated']: the microtask checks live() once, then #events.next() without it.
    expect(heard).not.toContain('tokenUpdated');
  });

  it('3. an on("tokenUpdated") listener after one that signs out is not called for the token dropped', async () => {
    const manager = create({ identity: 'any' });
    manager.on('tokenUpdated', (am) => {
      if (am.identity === 'mallory') am.reset(); // not the signed-in user: sign out
    });
    const handedToSdk: Array<string | null> = [];
    manager.on('tokenUpdated', (am) => handedToSdk.push(am.token));
    await manager.updateToken(fresh(3600, { identity: 'mallory' })).catch(noop);
    await flush();
    expect(manager.token).toBeNull();
    // On 05b4ce8: [null]: hear() checks live() once when its macrotask comes, then hands the
    // event to #heard.next() without it, so no listener after the one that reset is spared.
    expect(handedToSdk).toEqual([]);
  });
});

describe("reportSdkSignal('expired') and a state$ subscriber that answers it (regression of edbb9f0; 0795713 checks resets only)", () => {
  it('4. push-only: the tokenExpired it emits names the token refused, not the replacement a state$ subscriber pushed', async () => {
    const refused = fresh(3600, { jti: 'refused' });
    const manager = create({ token: refused });
    const replacement = fresh(3600, { jti: 'replacement' });
    // The app pushes its next token when the state says expired (the README's push-only path).
    manager.state$.subscribe((state) => {
      if (state.status === 'expired') manager.updateToken(replacement).catch(noop);
    });
    const expired: string[] = [];
    manager.events$.subscribe((event) => {
      if (event.type === 'tokenExpired') expired.push(event.token.id ?? '?');
    });
    await manager.reportSdkSignal('expired');
    await flush();
    expect(manager.token).toBe(replacement);
    // On 05b4ce8: ['replacement']: held() is read after publish(); 0795713 checks only resets.
    // An app that pushes (or signs out) on tokenExpired then throws away a good token.
    expect(expired).not.toContain('replacement');
  });
});

describe("a token an SDK refused, pushed again once replaced (older; aed9de8's refused check holds only while that object is held)", () => {
  it('5. updateToken() of the token an SDK refused does not replace the good token that replaced it, and getToken() does not hand it out', async () => {
    const refused = fresh(3600, { jti: 'refused' });
    // e.g. a component that pushes its server-rendered token on mount (React StrictMode mounts twice)
    const manager = create({ token: refused });
    await manager.reportSdkSignal('expired'); // Conversations said tokenExpired
    await vi.advanceTimersByTimeAsync(1_000);
    const next = fresh(3600, { jti: 'next' });
    await manager.updateToken(next);
    await manager.updateToken(refused).catch(noop); // the component mounts again
    const handed = await manager.getToken({ timeoutMs: 1_000 }).catch(noop);
    // On 05b4ce8: the refused JWT is adopted again (status 'valid': TokenHold.refused is the old
    // object, and refusals restart at 0, so 'refused in a row' never comes), token$ hands it to the
    // SDK, which refuses it again, and getToken() hands it to a new client.
    const name = (jwt: unknown) => (jwt === next ? 'next' : jwt === refused ? 'refused' : jwt);
    expect(name(manager.token)).toBe('next');
    expect(name(handed)).toBe('next');
  });
});

describe('reset() and the events that are not tokenUpdated (older; only tokenUpdated carries live())', () => {
  it('6. twilio-common style: an on("tokenWillExpire") listener is not called after the reset() that dropped that token', async () => {
    const manager = create({ random: () => 0.5, token: fresh(600, { identity: 'alice' }) });
    const called: Array<string | null> = [];
    // twilio-common's pattern: fetch the user's next token and push it.
    manager.on('tokenWillExpire', (am) => called.push(am.identity));
    let warned = false;
    manager.events$.subscribe((event) => {
      warned ||= event.type === 'tokenWillExpire';
    });
    await flush();
    // The deadline timer fires (the event is queued for the listeners' macrotask), and alice
    // signs out in the next task, before that macrotask (one timer at a time).
    while (!warned) await vi.advanceTimersToNextTimerAsync();
    expect(manager.getState().status).toBe('expiring');
    manager.reset();
    await vi.advanceTimersByTimeAsync(1_000);
    // On 05b4ce8: [null]: the listener runs for a user who left (and fetches a token for whom?).
    // Only tokenUpdated carries live(); tokenWillExpire, tokenExpired, error, tokenNotAdopted do not.
    expect(called).toEqual([]);
  });

  it('7. an events$ subscriber after one that signs out on tokenExpired does not hear that tokenExpired', async () => {
    const manager = create({ random: () => 0.5, token: fresh(600, { identity: 'alice' }) });
    manager.events$.subscribe((event) => {
      if (event.type === 'tokenExpired') manager.reset(); // the session is over: sign out
    });
    const heard: string[] = [];
    manager.events$.subscribe((event) => heard.push(event.type));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(manager.token).toBeNull();
    // On 05b4ce8: it hears tokenExpired after the reset (a second subscriber that shows "your
    // session expired, sign in again" or refreshes does so for nobody).
    expect(heard).not.toContain('tokenExpired');
  });
});

describe("reportSdkSignal('expired') with fetchToken (older; 0795713 checks resets only)", () => {
  it('8. with fetchToken: the forced refresh does not refuse the replacement a state$ subscriber pushed, and fetches nothing', async () => {
    const { fetchToken, calls } = controlledFetch();
    const manager = create({ fetchToken, token: fresh(3600, { jti: 'refused' }) });
    const replacement = fresh(3600, { jti: 'replacement' });
    manager.state$.subscribe((state) => {
      if (state.status === 'expired') manager.updateToken(replacement).catch(noop);
    });
    await flush();
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    expect(manager.token).toBe(replacement);
    // On 05b4ce8: one fetch: refresh({ force: true }) refuses the token held now (the replacement).
    expect(calls).toHaveLength(0);
  });
});

describe("the constructor's try/catch and a wakeSignals that returns no cleanup, plain JavaScript (regression of aed9de8)", () => {
  it('9. shareAcrossTabs that throws: the constructor throws its error, not a TypeError of the cleanup', () => {
    const boom = new Error('session not loaded');
    let thrown: unknown;
    try {
      make({
        fetchToken: async () => fresh(),
        // `(wake) => { addEventListener('online', wake); }`: no cleanup returned (JavaScript).
        wakeSignals: (() => {}) as never,
        shareAcrossTabs: () => {
          throw boom;
        },
      });
    } catch (error) {
      thrown = error;
    }
    // On 05b4ce8: TypeError 'this.#unwake is not a function': the catch calls what wakeSignals
    // returned, and the app never sees why the manager could not start.
    expect(thrown).toBe(boom);
  });
});

describe("reset() right after construction, the constructor's error (older; aed9de8 drops its tokenUpdated only)", () => {
  it("10. events$ does not hear the constructor's error about the token of a user who was reset right away", async () => {
    // A server-rendered token that is stale, and a sign-out at once.
    const manager = create({ token: makeToken({ iat: nowS() - 7200, ttl: 3600 }) });
    const heard: string[] = [];
    manager.events$.subscribe((event) => heard.push(event.type));
    manager.reset();
    await flush();
    // On 05b4ce8: ['error'] (token_expired): the constructor's queue keeps it, while the
    // tokenUpdated of finding 10 is dropped.
    expect(heard).toEqual([]);
  });
});

describe('teardown with a wakeSignals that returns no cleanup, plain JavaScript (older)', () => {
  it('11. close() does not throw when wakeSignals returned no cleanup', () => {
    const manager = make({ wakeSignals: (() => {}) as never });
    // On 05b4ce8: TypeError from close() (a component's unmount, a test's teardown). Either a
    // typed InvalidOptionError at construction or a close() that shrugs would do.
    expect(() => manager.close()).not.toThrow();
  });
});
