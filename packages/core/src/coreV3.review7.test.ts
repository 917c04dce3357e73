// Fourth hostile review of this session's Core v3 fixes (issue 17: 723dd4a, 4d0bc15). Each test
// is a finding that failed on the code under review (4d0bc15) and passes since its fix, ranked:
// the first hurts a user most. Each describe says whether it is a regression of 723dd4a/4d0bc15 (it passes with
// packages/core/src checked out at their parents) or older. Public API only, fake timers.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { attachClient, type ClientSpec } from './attachClient.js';
import { FetchFailedError } from './errors.js';
import { controlledFetch } from './testing/controlledFetch.js';
import { onFakeTime } from './testing/onFakeTime.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const flush = () => vi.advanceTimersByTimeAsync(0);
const noop = () => {};
const grants = { chat: { service_sid: 'IS1' } };

const { cleanup, managed } = onFakeTime(T0, { wakeSignals: false, random: () => 0.5 });

describe('1. close() from a subscriber of the adoption a refresh ended with (older: 4d0bc15 fixed reset() only)', () => {
  it('refresh() does not resolve with the token of the user a guard closed the manager on', async () => {
    // review6's finding 1 with close() instead of reset(): an app that signs out with close()
    // (the manager is per session) and a guard that drops a token of the wrong user. On
    // 4d0bc15 Refresher#received compares resets() before and after the adoption, but close()
    // does not count as a reset: the flight (cleared before the adoption, so close()'s forget
    // finds none to reject) resolves with mallory's token after the manager closed, and
    // `const t = await manager.refresh(); client.updateToken(t.jwt)` hands it to an SDK.
    const { fetchToken, pending } = controlledFetch();
    const manager = managed({ fetchToken, identity: 'any' });
    manager.state$.subscribe((state) => {
      if (state.token?.identity === 'mallory') manager.close();
    });
    const refreshed = manager.refresh().then(
      (token) => `resolved with ${token.identity}'s token`,
      (error) => `rejected: ${error.code}`,
    );
    await flush();
    pending[0]?.resolve(makeToken({ identity: 'mallory', iat: nowS(), ttl: 3600 }));
    await flush();
    expect(manager.getState().status).toBe('closed');
    expect(await refreshed).toBe('rejected: closed');
  });
});

describe('2. close() from a manager state$ subscriber (regression of 723dd4a: passes on 4eb7590)', () => {
  it('every link is detached, and its factory client shut down, when close() returns', async () => {
    // An app's guard: on a token it cannot go on with, close the manager, then read what the
    // links say (or hand their clients to cleanup code). Outside a delivery close() ends every
    // link before it returns; on 4d0bc15 not from a state$ subscriber: Broadcast.complete() now
    // posts token$'s completion behind the delivery under way, so the link's detach() (its
    // token$ complete handler) runs only after the guard's callback returned; until then the
    // link reads `synced` and its client is live.
    type Client = { pushes: string[]; shut: boolean };
    const spec: ClientSpec<Client> = {
      name: 'quiet',
      grant: 'chat',
      updateToken: (client, jwt) => {
        client.pushes.push(jwt);
      },
      shutdown: (client) => {
        client.shut = true;
      },
    };
    const manager = managed({ token: makeToken({ iat: nowS(), ttl: 3600, grants }) });
    const made: Client = { pushes: [], shut: false };
    const link = attachClient(manager, async () => made, spec);
    cleanup.unshift(() => link.detach());
    await flush();
    expect(link.getState().status).toBe('synced');
    let seenInGuard: { status: string; shut: boolean } | undefined;
    manager.state$.subscribe((state) => {
      if (state.token?.id !== 'bad' || seenInGuard) return;
      manager.close();
      seenInGuard = { status: link.getState().status, shut: made.shut };
    });
    await manager.updateToken(makeToken({ jti: 'bad', iat: nowS(), ttl: 3600, grants }));
    await flush();
    expect(seenInGuard).toEqual({ status: 'detached', shut: true });
  });
});

describe('3. token server clock behind, byte-identical token fetched again (regression of 4d0bc15: passes on 723dd4a)', () => {
  it('the forced refresh waits for the server’s next second with no error, learning the clock from the answer', async () => {
    // The README: "A forced refresh against a server that mints byte-identical tokens within one
    // second waits for the server's next second, with no error". The token server's clock is
    // 10 s behind (issue 21); the page rendered token A (nothing dates it: a fetchToken exists,
    // so its iat is not taken as the server's clock). The SDK refuses A; the forced refresh gets
    // A again, byte-identical (same server second), with the server's time.
    // On 4d0bc15: TokenHold.check throws token_refused before checkToken reads serverTime, so
    // the clock estimate stays 0; #nextSecond computes the next second on the device's clock,
    // 9 s in the past, returns false, and the refresh fails with a token_refused error (reported
    // to the app, lastError set) and backs off. On 723dd4a the answer's serverTime moved the
    // estimate first (-10 s), and the refresh waited quietly for the server's next second.
    const behindMs = 10_000;
    const { fetchToken, pending, calls } = controlledFetch();
    const a = makeToken({ jti: 'a', iat: nowS() - behindMs / 1000, ttl: 3600 });
    const manager = managed({ token: a, fetchToken });
    const errors: string[] = [];
    manager.events$.subscribe((e) => {
      if (e.type === 'error') errors.push(e.error.code);
    });
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    expect(calls).toHaveLength(1);
    pending[0]?.resolve({ token: a, serverTime: Date.now() - behindMs });
    await flush();
    expect(errors).toEqual([]);
    expect(manager.getState().lastError).toBeNull();
  });
});

describe('4. refresh() while the token held is one an SDK refused, same server second (older: 723dd4a settled with the refused token, 4d0bc15 reports an error)', () => {
  it('the byte-identical refused token fetched again waits for the next second, with no error', async () => {
    // review6's finding 2 after its fix: the SDK refuses A, the forced refresh meets a 401, the
    // app signs in again and calls refresh() (unforced), and a server that mints byte-identical
    // tokens within one second hands out A again. The README: such a token "waits for the
    // server's next second, with no error". On 4d0bc15 #nextSecond answers false for a flight
    // not forced (flight.refused), although the token held is refused (refusedNow): the refresh
    // fails with a token_refused error ("Token a was refused by an SDK.") shown to the app.
    const { fetchToken, pending } = controlledFetch();
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600 });
    const manager = managed({ fetchToken, token: a });
    manager.reportSdkSignal('expired').catch(noop);
    await flush();
    pending[0]?.reject(new FetchFailedError('Unauthorized.', { retryable: false }));
    await flush();
    expect(manager.getState().status).toBe('failed');
    const errors: string[] = [];
    manager.events$.subscribe((e) => {
      if (e.type === 'error') errors.push(e.error.code);
    });
    let outcome = 'pending';
    manager.refresh().then(
      (token) => {
        outcome = `resolved with ${token.id}`;
      },
      (error) => {
        outcome = `rejected: ${error.code}`;
      },
    );
    await flush();
    pending[1]?.resolve(a);
    await flush();
    expect({ outcome, errors }).toEqual({ outcome: 'pending', errors: [] });
  });
});

describe('5. a link’s backoff past what a timer holds (older: 723dd4a validates the link’s timings, not as the manager does)', () => {
  it('retry.minDelayMs 3e9 (accepted) does not retry a failing factory every millisecond', async () => {
    // 723dd4a: "attachClient refuses NaN, negative or zero timings with invalid_option as the
    // manager does". It accepts any finite delay ≥ 1, but a backoff over 2^31−1 ms (24.8 days)
    // is a timer that Node (and the fake timers) run after 1 ms: a factory that fails was
    // called 101 times in 100 ms with retry { minDelayMs: 3e9, maxDelayMs: 3e9 } (a failing
    // push's retry goes through the same retryDelay; not measured). The manager with the same
    // retry options waits (its timers go through timerDelay: past 2^31−1 is no timer); the link
    // calls clock.setTimeout(create, retryDelay(...)) as is.
    const manager = managed({ token: makeToken({ iat: nowS(), ttl: 3600, grants }) });
    let calls = 0;
    const link = attachClient(
      manager,
      async () => {
        calls++;
        throw new Error('down');
      },
      { name: 'quiet', grant: 'chat', updateToken: () => {} },
      { retry: { minDelayMs: 3e9, maxDelayMs: 3e9 }, random: () => 0.99 },
    );
    cleanup.unshift(() => link.detach());
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
  });
});
