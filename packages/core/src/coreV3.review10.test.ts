// Seventh hostile review of this session's Core v3 fixes (issue 17: 15cef0d, and the refactors
// 1276147 and d845dd0 after it). Each test is a finding that fails on the code under review
// (d845dd0), ranked: the first hurts a user most. Each describe says whether it is a regression
// of 15cef0d (it passes with packages/core/src checked out at its parent b7a3890) or older (it
// fails there too). Public API only (AccessManager, attachClient, the twilio-common facade), fake
// timers. The SDK client here is a stand-in that records pushes and lets the test signal.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { attachClient } from './attachClient.js';
import { FetchFailedError } from './errors.js';
import { eventLog as heard } from './testing/eventLog.js';
import { onFakeTime } from './testing/onFakeTime.js';
import { StandInClient, standInSpec } from './testing/standInClient.js';
import type { FetchToken } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const grants = { chat: {} };

const { managed } = onFakeTime(T0, { wakeSignals: false, random: () => 0.5 });

/** `count` stand-in clients attached to `manager`, each created with the token held. */
const attachStandIns = (manager: ReturnType<typeof managed>, count: number) => {
  const token = manager.token as string;
  const clients = Array.from({ length: count }, () => new StandInClient());
  const links = clients.map((client) => attachClient(manager, client, standInSpec, { token }));
  const detach = () => {
    for (const link of links) link.detach();
  };
  return { clients, detach };
};

describe('1. a push-only app whose answer to a refusal failed (regression of 15cef0d)', () => {
  it('is asked again when the SDK refuses the same token again a minute later', async () => {
    // Push-only: the app is the only one that can fetch. Conversations refuses token A (a
    // revoked signing key, a token server clock behind): the app hears tokenExpired (source
    // sdk) and fetches, but its backend is down that second, so nothing is pushed. A minute
    // later the client reconnects and is refused again: the link calls
    // reportSdkSignal('expired') again (once per cooldown). On b7a3890 the app heard
    // tokenExpired again and could retry; since 15cef0d ("once per refused token") the second
    // refusal says nothing, and 57e59c8 already silenced the manager's own deadline events for
    // a refused token. So nothing, ever, asks the app again: the state stays 'expired', every
    // SDK stays refused until the page is reloaded. With fetchToken the same outage is retried
    // with backoff for ever; push-only, the event is the only retry there is.
    // Where: accessManager.ts reportSdkSignal, push-only branch (`kind === 'expired' ? refused`),
    // with tokenHold.ts passed() (refused, push-only: both events marked given).
    // Fix: dedupe by time, not for ever: one prompt per token within a cooldown (the links'
    // signalCooldownMs, 10 s), and another when an SDK says so again after it (two SDKs that
    // refuse at one moment still make one prompt: review9's second test still passes).
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants });
    const manager = managed({ token: a });
    const events = heard(manager);
    const asked: string[] = [];
    manager.on('tokenExpired', () => asked.push('tokenExpired')); // twilio-common style
    const { clients, detach } = attachStandIns(manager, 1);
    const [client] = clients as [StandInClient];
    await vi.advanceTimersByTimeAsync(10_000);
    client.signal?.('expired'); // refused
    await vi.advanceTimersByTimeAsync(1_000);
    expect(asked).toEqual(['tokenExpired']); // the app's fetch fails: nothing is pushed
    await vi.advanceTimersByTimeAsync(60_000);
    client.signal?.('expired'); // it reconnects, and is refused again
    await vi.advanceTimersByTimeAsync(20_000); // past the link's cooldown
    expect(manager.getState().status).toBe('expired');
    expect(events.filter((e) => e.startsWith('tokenExpired'))).toEqual([
      'tokenExpired:sdk',
      'tokenExpired:sdk',
    ]);
    expect(asked).toEqual(['tokenExpired', 'tokenExpired']);
    detach();
  });
});

describe('2. SDK warnings on a push-only manager (older: fails on b7a3890 too)', () => {
  it('make one tokenWillExpire for a token, not one per SDK after the manager’s own', async () => {
    // 15cef0d made a refusal one tokenExpired per token "not once per SDK that refuses it",
    // because the app's handler (fetch, updateToken) runs once per event. The warning has the
    // same flaw, and every push-only app with two adapters meets it every token cycle: the
    // manager warns at 3 minutes before expiry (warnBeforeMs), and Conversations and Sync warn
    // at their own 3 minutes (tokenAboutToExpire) before the app's new token is there. With no
    // refresh planned (push-only), each link's decideSignal says 'refresh', and each
    // reportSdkSignal('willExpire') emits tokenWillExpire (source sdk) again for token A:
    // three events, three fetches, three pushes to every client. With fetchToken the same
    // three signals join one refresh ("four clients warning within one second: one fetch").
    // Where: accessManager.ts reportSdkSignal, push-only branch (`!held.refused` only).
    // Fix: no tokenWillExpire (sdk) for a token whose warning was given (by the manager or an
    // SDK) within the cooldown; TokenHold knows (#warned).
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants });
    const manager = managed({ token: a });
    const events = heard(manager);
    const asked: string[] = [];
    manager.on('tokenWillExpire', () => asked.push('tokenWillExpire'));
    const { clients, detach } = attachStandIns(manager, 2);
    await vi.advanceTimersByTimeAsync(3_600_000 - 180_000); // the manager's warning
    for (const client of clients) client.signal?.('willExpire'); // each SDK's, the same second
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events).toEqual(['tokenUpdated', 'tokenWillExpire:manager']);
    expect(asked).toEqual(['tokenWillExpire']);
    detach();
  });

  it('make one tokenWillExpire when two SDKs warn early together (Twilio’s clock ahead)', async () => {
    // The warning that matters most (the manager thinks A has 10 minutes left, Twilio says 3):
    // both SDKs say so at once, and the app is asked twice.
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants });
    const manager = managed({ token: a });
    const events = heard(manager);
    const { clients, detach } = attachStandIns(manager, 2);
    await vi.advanceTimersByTimeAsync(3_000_000);
    for (const client of clients) client.signal?.('willExpire');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events).toEqual(['tokenUpdated', 'tokenWillExpire:sdk']);
    detach();
  });
});

describe('3. a push-only token that expired on the manager’s clock, then refused (older: fails on b7a3890 too)', () => {
  it('says tokenExpired once, whichever came first', async () => {
    // 15cef0d's "tokenExpired once per refused token" holds only when the refusal comes first
    // (then passed() marks the manager's own expiry given). The other order is as common: the
    // manager says tokenExpired at A's exp (source manager), the app starts fetching, and a
    // second later Conversations, reconnecting with A, is refused: reportSdkSignal('expired')
    // emits tokenExpired (source sdk) for the same token A. The app's handler runs twice (two
    // fetches, two pushes), what review9's finding 2 fixed for two SDKs.
    // Where: accessManager.ts reportSdkSignal, push-only branch (`refused` only, not whether
    // the manager's tokenExpired for the held token was given: TokenHold's `expired`).
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants });
    const manager = managed({ token: a });
    const events = heard(manager);
    const asked: string[] = [];
    manager.on('tokenExpired', () => asked.push('tokenExpired'));
    await vi.advanceTimersByTimeAsync(3_600_000); // A's exp: tokenExpired (manager)
    await manager.reportSdkSignal('expired'); // an SDK refuses A a moment later
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events).toEqual(['tokenUpdated', 'tokenWillExpire:manager', 'tokenExpired:manager']);
    expect(asked).toEqual(['tokenExpired']);
  });
});

describe('4. the twilio-common facade after a refusal (older: fails on b7a3890 too)', () => {
  it('says isExpired when its tokenExpired listener runs, as getState() does', async () => {
    // twilio-common sets isExpired to true as it emits tokenExpired. Here a listener that heard
    // tokenExpired (source sdk: Twilio refused the token) reads manager.isExpired === false,
    // while getState().tokenStatus is 'expired' and getToken() will not hand the token out. An
    // app ported from twilio-common that checks `if (am.isExpired)` before reconnecting, or
    // shows a badge from it, does nothing. The same with fetchToken while a forced refresh
    // fails: isExpired false, status 'expired'.
    // Where: accessManager.ts `get isExpired()` (deadlines only, not `#hold.refusedNow()`).
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600, grants });
    const manager = managed({ token: a });
    const seen: boolean[] = [];
    manager.on('tokenExpired', (m) => seen.push(m.isExpired));
    await vi.advanceTimersByTimeAsync(10_000);
    await manager.reportSdkSignal('expired');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(manager.getState().tokenStatus).toBe('expired');
    expect(seen).toEqual([true]);
    expect(manager.isExpired).toBe(true);
  });
});

describe('5. the same token fetched again with a server time (older: fails on b7a3890 too)', () => {
  it('gets no second tokenWillExpire and tokenExpired after its tokenExpired', async () => {
    // 15cef0d keeps the events given when a re-plan moves the deadlines of a token an SDK
    // refused ("its answer fetched again moves the estimate: no second warning"); a token not
    // refused still loses them. Token A was pushed at start (no server time: offset 0) on a
    // device clock 10 minutes ahead of the token server; the token server is down past A's
    // exp on the local clock, so the app heard tokenWillExpire then tokenExpired for A. Then
    // the caching token server answers A again with its Date (10 minutes behind): A is not
    // adopted (same_token), the estimate moves A's deadlines 10 minutes later, TokenHold#plan
    // clears #warned and #expired, and A gets tokenWillExpire (after its tokenExpired: the
    // issue's order broken) and tokenExpired a second time; the state goes expired, valid,
    // expiring, expired. A twilio-common app that signs out on tokenExpired does it twice.
    // Where: tokenHold.ts #plan (`this.#warned &&= now >= deadlines.warnAt`, for any token).
    // Fix: keep an event given for the token held, whoever it is (as for a refused one).
    const behindMs = 600_000;
    const a = makeToken({ jti: 'a', iat: nowS() - behindMs / 1000, ttl: 3600, grants });
    let serverUp = false;
    const fetchToken: FetchToken = async () => {
      if (!serverUp) {
        throw new FetchFailedError('Token server down (test stand-in).', {
          retryable: true,
          status: 503,
        });
      }
      return { token: a, serverTime: Date.now() - behindMs }; // a caching server: A again
    };
    const manager = managed({ token: a, fetchToken });
    const events = heard(manager);
    await vi.advanceTimersByTimeAsync(3_000_000 + 60_000); // past A's exp on the local clock
    expect(events.filter((e) => e.startsWith('token'))).toEqual([
      'tokenUpdated',
      'tokenWillExpire:manager',
      'tokenExpired:manager',
    ]);
    serverUp = true;
    await vi.advanceTimersByTimeAsync(700_000); // past A's exp on the server's clock too
    const deadlineEvents = events.filter(
      (e) => e.startsWith('tokenWillExpire') || e.startsWith('tokenExpired'),
    );
    expect(deadlineEvents).toEqual(['tokenWillExpire:manager', 'tokenExpired:manager']);
  });
});
