import { makeToken } from '@access-manager/testing';
import { describe, expect, it } from 'vitest';
import { AccessToken } from './accessToken.js';
import { decideAdoption, type NotAdoptedReason } from './adoption.js';

const T = 1_800_000_000;
const token = (exp: number) => new AccessToken(makeToken({ iat: T, exp }));
const held = token(T + 3600);
/** A token minted `after` seconds after the held one. */
const minted = (after: number, exp: number) => new AccessToken(makeToken({ iat: T + after, exp }));

describe('decideAdoption, as a table', () => {
  const rows: Array<
    [string, AccessToken | null, AccessToken, boolean, boolean, NotAdoptedReason | null]
  > = [
    // what, held, candidate, due, refused, outcome
    ['nothing held: adopt', null, token(T + 60), true, false, null],
    ['the token held again: not adopted', held, held, false, false, 'same_token'],
    ['the token held again, held refused: not adopted', held, held, true, true, 'same_token'],
    ['expires later, held not due: adopt', held, token(T + 7200), false, false, null],
    [
      'expires sooner, held not due: adopt (the newest answer wins)',
      held,
      token(T + 3000),
      false,
      false,
      null,
    ],
    ['expires sooner, held due: not adopted', held, token(T + 3000), true, false, 'expires_sooner'],
    [
      'expires sooner, held refused: not adopted',
      held,
      token(T + 3000),
      false,
      true,
      'expires_sooner',
    ],
    ['expires later, held due: adopt', held, token(T + 7200), true, false, null],
    [
      'expires sooner, minted 60 s after the held one, held refused: adopt (the forced refresh ends)',
      held,
      minted(60, T + 3000),
      false,
      true,
      null,
    ],
    [
      'expires sooner, minted 59 s after the held one, held refused: not adopted',
      held,
      minted(59, T + 3000),
      false,
      true,
      'expires_sooner',
    ],
    [
      'expires sooner, minted an hour after the held one, held due (not refused): not adopted',
      held,
      minted(3600, T + 3000),
      true,
      false,
      'expires_sooner',
    ],
    [
      'expires at the same time (another token), held refused: adopt',
      held,
      token(T + 3600),
      false,
      true,
      null,
    ],
  ];
  for (const [what, h, candidate, due, refused, outcome] of rows) {
    it(what, () => {
      expect(decideAdoption(candidate, { held: h, due, refused })).toBe(outcome);
    });
  }
});

it('an SDK refused the held token itself: any other valid token replaces it, even one that expires sooner (issue 21); never the same one', () => {
  const context = { held, due: true, refused: true, refusedBySdk: true };
  expect(decideAdoption(token(T + 3000), context)).toBeNull();
  expect(decideAdoption(held, context)).toBe('same_token');
});
