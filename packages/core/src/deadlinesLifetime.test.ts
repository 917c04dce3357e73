// Issue 21: a token server whose clock was ahead, then went back. The token held was minted on
// the clock ahead, so once the estimate follows the clock back its `iat` lies in the local
// future. Its refresh lead must still come from its lifetime (`exp - iat`), not from the time
// left: a lead of a third of the time left refreshed while every fresh token still expired
// sooner than the one held, and each was refused with `stale_token`.
import { makeToken } from '@access-manager/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessToken } from './accessToken.js';
import { computeDeadlines } from './deadlines.js';
import { AccessManager, type AccessManagerEvent, type FetchToken } from './index.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const S = 1_000;

describe('computeDeadlines: the lead comes from exp - iat, whenever and however the token is planned', () => {
  const iat = T0 / S;
  const token = new AccessToken(makeToken({ iat, exp: iat + 20 }));
  const plan = (now: number, clockOffsetMs: number) =>
    computeDeadlines(token, {
      now,
      clockOffsetMs,
      warnBeforeMs: 5 * S,
      refreshBeforeMs: undefined,
      random: () => 0,
    });
  // A 20 s token: lead 20 / 3 s, warning 5 s before expiry, both on the local clock.
  const rows: Array<[string, number, number]> = [
    // what, local now, clock offset (server minus local)
    ['planned as issued, on time', T0, 0],
    ['planned 10 s into its life', T0 + 10 * S, 0],
    ['iat 2 min in the local future (the offset went back to 0)', T0 - 120 * S, 0],
    ['iat 1 min in the local future (the offset estimate 1 min short)', T0 - 120 * S, 60 * S],
    ['the server clock 2 min ahead, and known to be', T0 - 120 * S, 120 * S],
  ];
  it.each(rows)('%s', (_, now, offset) => {
    const expireAt = T0 + 20 * S - offset;
    expect(plan(now, offset)).toEqual({
      warnAt: expireAt - 5 * S,
      refreshAt: expireAt - (20 * S) / 3,
      expireAt,
    });
  });

  it('without iat, the time left when planned', () => {
    // The same token with its `iat` taken out (the signature is not checked here).
    const [header, payload, signature] = makeToken({ exp: iat + 30 }).split('.');
    const { iat: _, ...claims } = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const noIat = new AccessToken(`${header}.${body}.${signature}`);
    expect(noIat.issuedAt).toBeUndefined();
    const deadlines = computeDeadlines(noIat, {
      now: T0,
      clockOffsetMs: 0,
      warnBeforeMs: 5 * S,
      refreshBeforeMs: undefined,
      random: () => 0,
    });
    expect(deadlines.refreshAt).toBe(T0 + 20 * S); // 30 s left: lead 10 s
  });
});

describe('a token server clock 2 min ahead, then back on time (20 s tokens)', () => {
  let manager: AccessManager | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    manager?.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('refreshes once a cycle after the clock goes back, adopting what it fetches, with no stale_token', async () => {
    let skewMs = 0;
    const fetches: number[] = [];
    // As the demo's token server and @access-manager/server answer: the token and serverTime.
    const fetchToken: FetchToken = async () => {
      const serverNow = Date.now() + skewMs;
      fetches.push(Date.now());
      return {
        token: makeToken({ iat: Math.floor(serverNow / S), ttl: 20 }),
        serverTime: serverNow,
      };
    };
    manager = new AccessManager({
      fetchToken,
      warnBeforeMs: 5 * S,
      wakeSignals: false,
      random: () => 0.5,
    });
    const events: AccessManagerEvent[] = [];
    manager.events$.subscribe((event) => events.push(event));
    await vi.advanceTimersByTimeAsync(30 * S);
    skewMs = 120 * S;
    await vi.advanceTimersByTimeAsync(60 * S);
    skewMs = 0;
    const backAt = Date.now();
    events.length = 0;
    await vi.advanceTimersByTimeAsync(200 * S);

    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    // The token held was minted 2 min ahead and lives on: one fetch soon after the clock went
    // back (its refresh point by the old estimate; that token expires sooner and is left), then
    // none until its own refresh point, and one a cycle from then on, each adopted.
    const after = fetches.filter((at) => at >= backAt).map((at) => (at - backAt) / S);
    const notAdopted = events.filter((e) => e.type === 'tokenNotAdopted');
    expect(notAdopted).toHaveLength(1);
    const gaps = after.slice(1).map((at, i) => at - after[i]!);
    expect(gaps.slice(1).every((gap) => gap > 10)).toBe(true);
    expect(after.length).toBeLessThanOrEqual(2 + Math.ceil(200 / 13));
    expect(manager.getState()).toMatchObject({ status: 'valid', lastError: null });
  });
});
