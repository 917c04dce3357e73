// Third hostile review of this session's Core v3 fixes (issue 17: aa49bfe, 7c4cce5, 0795713).
// Each numbered test is a finding and failed on the code under review (675be7d), ranked: the first
// hurts a user most; each passes since its fix. Each describe says whether it is a regression of this session (it passes on
// 87792fc, run so with packages/core/src checked out there) or older.
// Known and not repeated: review4's findings 9 and 14. Public API only, fake timers.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { FetchFailedError } from './errors.js';
import { tabSharing } from './tabSharing.js';
import { controlledFetch } from './testing/controlledFetch.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerOptions } from './types.js';

/** The real setImmediate, taken before the fake timers: a BroadcastChannel delivers on real turns. */
const realSetImmediate = setImmediate;
const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const fresh = (ttl = 3600, claims: Parameters<typeof makeToken>[0] = {}) =>
  makeToken({ iat: nowS(), ttl, ...claims });
const flush = () => vi.advanceTimersByTimeAsync(0);
const noop = () => {};
/** Lets a BroadcastChannel deliver what was posted, without moving the clock. */
async function delivered(): Promise<void> {
  for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => realSetImmediate(resolve));
}

const make = managersOnFakeTime(T0);
const create = (init: AccessManagerOptions = {}) => make({ wakeSignals: false, ...init });

describe('reset() from a subscriber of the adoption a refresh ended with (older; aa49bfe keeps news from subscribers, not the refresh promise)', () => {
  it('1. refresh() does not resolve with the token of the user a guard signed out on hearing it', async () => {
    const { fetchToken, pending } = controlledFetch();
    const manager = create({ fetchToken, identity: 'any' });
    // A guard signs out a token of the wrong user as soon as the state shows it.
    manager.state$.subscribe((state) => {
      if (state.token?.identity === 'mallory') manager.reset();
    });
    // e.g. `const { jwt } = await manager.refresh(); client.updateToken(jwt)`
    const refreshed = manager.refresh().then(
      (token) => `resolved with ${token.identity}'s token`,
      (error) => `rejected: ${error.code}`,
    );
    await flush();
    pending[0]?.resolve(fresh(3600, { identity: 'mallory' }));
    await flush();
    expect(manager.token).toBeNull();
    // On 675be7d: "resolved with mallory's token": #received clears the flight, adopts (the guard
    // resets during that adoption's delivery, and forget() finds no flight to reject), then
    // resolves the flight with the token the guard dropped. reportSdkSignal('expired') returns
    // the same promise. A reset() one tick earlier rejects it with aborted, as getToken() does.
    expect(await refreshed).toBe('rejected: aborted');
  });
});

describe('refresh() while the token held is one an SDK refused (older)', () => {
  it('2. a refresh() after a fatal failure does not resolve with the refused token, as if it were a good one', async () => {
    const { fetchToken, pending } = controlledFetch();
    const a = fresh(3600, { jti: 'a' });
    const manager = create({ fetchToken, token: a });
    // The SDK refuses A; the forced refresh meets a 401 (the session cookie expired).
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    pending[0]?.reject(new FetchFailedError('Unauthorized.', { retryable: false }));
    await flush();
    expect(manager.getState().status).toBe('failed');
    // The app signs the user in again and asks for a token; its server hands out A again.
    let outcome = 'pending';
    manager.refresh().then(
      (token) => {
        outcome = `resolved with ${token.id}, tokenStatus ${manager.getState().tokenStatus}`;
      },
      (error) => {
        outcome = `rejected: ${error.code}`;
      },
    );
    await flush();
    pending[1]?.resolve(a);
    await flush();
    // On 675be7d: 'resolved with a, tokenStatus expired': refresh() starts an unforced flight,
    // and #received settles it with the token held, "not due", without asking whether an SDK
    // refused it; the app hands the refused token to its SDK again. (A forced one, as getToken()
    // starts, waits for the server's next second and asks again.)
    expect(outcome).toBe('pending');
  });
});

describe("a token an SDK refused comes back another way than updateToken (older; aa49bfe's refused list is read by updateToken only)", () => {
  it('3. fetched: a token server that hands out a cached token again does not get the refused one adopted', async () => {
    const { fetchToken, pending } = controlledFetch();
    const a = fresh(3600, { jti: 'a' });
    const manager = create({ fetchToken, token: a });
    const handedToSdk: string[] = [];
    manager.token$.subscribe((token) => handedToSdk.push(token.id ?? ''));
    // The SDK refuses A; the forced refresh gets B (one server of a pair behind a load balancer).
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    const b = fresh(3600, { jti: 'b' });
    pending[0]?.resolve(b);
    await flush();
    expect(manager.getState().token?.id).toBe('b');
    // The SDK refuses B too; the forced refresh lands on the other server, which still caches A.
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    pending[1]?.resolve(a);
    await flush();
    // On 675be7d: A is adopted and handed to the SDK that refused it: ['a', 'b', 'a'].
    expect(manager.getState().token?.id).not.toBe('a');
    expect(handedToSdk).toEqual(['a', 'b']);
  });

  it("4. from another tab: a token this tab's SDK refused, posted by another tab, is not adopted", async () => {
    const name = `review6-${process.pid}-${Math.random()}`;
    const a = fresh(3600, { jti: 'a' });
    const manager = create({ token: a, shareAcrossTabs: tabSharing({ channel: name }) });
    const otherTab = new BroadcastChannel(name);
    try {
      await manager.reportSdkSignal('expired');
      // The app pushes its replacement, a token that lives shorter (any token beats a refused one).
      const b = fresh(1800, { jti: 'b' });
      await manager.updateToken(b);
      expect(manager.getState().token?.id).toBe('b');
      // Another tab, whose SDK did not refuse A, posts it (it answers an ask, or fetched it).
      otherTab.postMessage({ jwt: a });
      await delivered();
      // On 675be7d: 'a': A, which expires later than B, is adopted from the other tab.
      expect(manager.getState().token?.id).toBe('b');
    } finally {
      otherTab.close();
    }
  });

  it("5. a device clock ahead of the server's: the refused token is still refused once another is refused", async () => {
    // The device's clock runs two hours ahead; the server states its time with each token.
    const serverNow = () => Date.now() - 7_200_000;
    const { fetchToken, pending } = controlledFetch();
    const manager = create({ fetchToken });
    const minted = (jti: string) => ({
      token: makeToken({ iat: Math.floor(serverNow() / 1000), ttl: 3600, jti }),
      serverTime: serverNow(),
    });
    await flush();
    const a = minted('a');
    pending[0]?.resolve(a);
    await flush();
    expect(manager.getState().token?.id).toBe('a');
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    pending[1]?.resolve(minted('b'));
    await flush();
    expect(manager.getState().token?.id).toBe('b');
    // B is refused too: refuse() drops from the list every token whose exp is behind the
    // device's clock, A among them, though A is valid for an hour on the server's clock.
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    // The app pushes again the token it rendered on the server (a remount).
    const pushed = manager.updateToken(a.token).then(
      () => 'adopted',
      (error) => error.code,
    );
    // On 675be7d: 'adopted': A, refused an hour before its end, is held and handed out again.
    expect(await pushed).toBe('token_refused');
    expect(manager.getState().token?.id).toBe('b');
  });
});

describe('a tab whose SDK refused its token still offers that token to the other tabs (older)', () => {
  it("6. a starting tab's ask is not answered with the token this tab's SDK refused", async () => {
    const name = `review6-${process.pid}-${Math.random()}`;
    const manager = create({
      token: fresh(3600, { jti: 'a' }),
      shareAcrossTabs: tabSharing({ channel: name }),
    });
    const otherTab = new BroadcastChannel(name);
    const answers: unknown[] = [];
    otherTab.onmessage = ({ data }: MessageEvent) => answers.push(data?.jwt === manager.token);
    try {
      await manager.reportSdkSignal('expired');
      expect(manager.getState().tokenStatus).toBe('expired');
      // A tab that starts asks for the token held; a tab with no good token should stay silent
      // (the asker fetches its own after its short wait) instead of handing it a refused one.
      otherTab.postMessage({ ask: true });
      await delivered();
      // On 675be7d: [true]: the refused token is posted, adopted there, and refused there too.
      expect(answers).toEqual([]);
    } finally {
      otherTab.close();
    }
  });
});

describe('updateToken() of the refused token while it is still held (older)', () => {
  it('7. rejects with token_refused, as it does once another token is held, instead of resolving as if adopted', async () => {
    const a = fresh(3600, { jti: 'a' });
    const manager = create({ token: a });
    await manager.reportSdkSignal('expired');
    // Push-only: the app answers tokenExpired by fetching from its backend, which caches tokens.
    const pushed = await manager.updateToken(a).then(
      () => 'resolved',
      (error) => error.code,
    );
    // On 675be7d: 'resolved' (the "same token again is a no-op" check comes before the refused
    // list): the app believes the SDK has a good token; no event follows, the state stays
    // 'expired' and nothing tells the app to push again.
    expect(pushed).toBe('token_refused');
  });
});

describe("reportSdkSignal('willExpire') on a push-only manager whose token an SDK refused (older)", () => {
  it('8. no tokenWillExpire that says the refused token has an hour left', async () => {
    const manager = create({ token: fresh(3600, { jti: 'a' }) });
    await manager.reportSdkSignal('expired');
    expect(manager.getState().tokenStatus).toBe('expired');
    const heard: string[] = [];
    manager.events$.subscribe((event) =>
      heard.push(
        event.type === 'tokenWillExpire' ? `${event.type} ${event.expiresInMs}` : event.type,
      ),
    );
    // Another attached SDK (Voice beside Conversations) warns about the same token.
    await manager.reportSdkSignal('willExpire');
    // On 675be7d: ['tokenWillExpire 3600000']: the app is told the token has an hour left, after
    // it was told that token expired (tokenExpired, status 'expired'), from the deadlines alone.
    expect(heard).toEqual([]);
  });
});
