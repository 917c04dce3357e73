import { makeToken } from '@access-manager/testing';
import { describe, expect, it } from 'vitest';
import { AccessToken } from './accessToken.js';
import { type ClockSkew, initialSkew, judgeSkew } from './clockSkew.js';

const NOW = 1_800_000_000_000; // local clock, ms
const H = 3_600_000;
/** A token issued `age` ms before local now, living `ttl` ms. */
const token = (age: number, ttl = H) => {
  const iat = Math.floor((NOW - age) / 1000);
  return new AccessToken(makeToken({ iat, exp: iat + ttl / 1000 }));
};
const seen = (offsetMs: number, source: ClockSkew['source'], newestAge: number): ClockSkew => ({
  offsetMs,
  source,
  newestIssuedAt: NOW - newestAge,
});

describe('judgeSkew, as a table', () => {
  const rows: Array<[string, ClockSkew, AccessToken, number | undefined, boolean, number]> = [
    // what, estimate so far, token, stated server time, minted, offset that results
    ['a stated time is the estimate', initialSkew, token(0), NOW + 5_000, false, 5_000],
    ['a stated time, bounded by iat', initialSkew, token(-8_000), NOW + 5_000, false, 8_000],
    [
      'a stated time ignores the token’s age (a cache)',
      initialSkew,
      token(50 * 60_000),
      NOW,
      false,
      0,
    ],
    [
      'no stated time: a cached token moves nothing',
      initialSkew,
      token(50 * 60_000),
      undefined,
      true,
      0,
    ],
    [
      'no stated time: iat in the local future raises it',
      initialSkew,
      token(-2 * H),
      undefined,
      false,
      2 * H,
    ],
    [
      'minted, newest, expired, nothing dates it: refused (no offset), remembered',
      initialSkew,
      token(3 * H),
      undefined,
      true,
      0,
    ],
    [
      'minted, newest, expired, as old as the one refused: the device is fast',
      { ...initialSkew, suspect: { token: token(3 * H + 2_000), offsetMs: -3 * H } },
      token(3 * H),
      undefined,
      true,
      -3 * H,
    ],
    [
      'minted, newest, expired, of another age than the one refused: refused too',
      { ...initialSkew, suspect: { token: token(2 * H), offsetMs: -2 * H } },
      token(3 * H),
      undefined,
      true,
      0,
    ],
    [
      'not minted (pushed beside fetchToken): no such guess',
      initialSkew,
      token(3 * H),
      undefined,
      false,
      0,
    ],
    ['minted but not newest: no such guess', seen(0, 'token', 0), token(3 * H), undefined, true, 0],
    [
      'an outlier ahead does not lock out a token valid by the local clock',
      seen(5 * H, 'token', -5 * H),
      token(0),
      undefined,
      true,
      0,
    ],
    [
      'a stated estimate is never lowered by tokens',
      seen(5 * H, 'server', -5 * H),
      token(0),
      undefined,
      true,
      5 * H,
    ],
  ];
  for (const [what, skew, candidate, serverTime, minted, offsetMs] of rows) {
    it(what, () => {
      const judged = judgeSkew(skew, candidate, NOW, serverTime, minted);
      expect(judged.offsetMs).toBeCloseTo(offsetMs, -3);
      if (serverTime !== undefined) expect(judged.source).toBe('server');
    });
  }

  it('remembers the refused token and the offset its age implies; the same token again is no confirmation', () => {
    const old = token(3 * H);
    const judged = judgeSkew(initialSkew, old, NOW, undefined, true);
    expect(judged.suspect).toEqual({ token: old, offsetMs: -3 * H });
    expect(judgeSkew(judged, old, NOW + 1_000, undefined, true).offsetMs).toBe(0);
  });
});
