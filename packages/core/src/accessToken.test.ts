import { inspect } from 'node:util';
import { makeToken, signJwt, TEST_ACCOUNT_SID, TEST_API_KEY_SID } from '@access-manager/testing';
import { describe, expect, it } from 'vitest';
import { AccessToken, parseAccessToken } from './accessToken.js';
import { MalformedTokenError } from './errors.js';

describe('AccessToken', () => {
  it('decodes every Twilio claim', () => {
    const jwt = makeToken({
      identity: 'alice',
      iat: 1_700_000_000,
      ttl: 3600,
      nbf: 1_700_000_000,
      region: 'ie1',
      jti: 'SK1-1700000000',
      grants: { chat: { service_sid: 'IS1' }, voice: { incoming: { allow: true } } },
    });
    const token = parseAccessToken(jwt);
    expect(token).toBeInstanceOf(AccessToken);
    expect(token).toMatchObject({
      jwt,
      identity: 'alice',
      accountSid: TEST_ACCOUNT_SID,
      apiKeySid: TEST_API_KEY_SID,
      id: 'SK1-1700000000',
      region: 'ie1',
      issuedAt: new Date(1_700_000_000_000),
      notBefore: new Date(1_700_000_000_000),
      expiresAt: new Date(1_700_003_600_000),
    });
    expect(token.grants).toEqual({
      identity: 'alice',
      chat: { service_sid: 'IS1' },
      voice: { incoming: { allow: true } },
    });
    expect(token.hasGrant('voice')).toBe(true);
    expect(token.hasGrant('video')).toBe(false);
  });

  it('leaves optional claims out when absent', () => {
    const jwt = signJwt({ alg: 'HS256' }, { exp: 2_000_000_000, grants: { identity: 'x' } });
    const token = new AccessToken(jwt);
    expect(Object.keys(token).sort()).toEqual(['expiresAt', 'grants', 'identity']);
  });

  const bad: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['a number', 7],
    ['an empty string', ''],
    ['two parts', 'a.b'],
    ['non-base64 parts', 'a.b.c'],
    ['a payload that is not JSON', `${btoa('{}')}.${btoa('nope')}.sig`],
    ['an array payload', signJwt({}, [] as unknown as Record<string, unknown>)],
    ['no grants', signJwt({}, { exp: 1 })],
    ['an empty identity', signJwt({}, { exp: 1, grants: { identity: '' } })],
    ['a string exp', signJwt({}, { exp: '1', grants: { identity: 'a' } })],
    [
      'an exp beyond the range of Date',
      signJwt({}, { exp: 8.64e12 + 1, grants: { identity: 'a' } }),
    ],
    ['a NaN-like iat', signJwt({}, { exp: 1, iat: 'x', grants: { identity: 'a' } })],
  ];
  for (const [what, input] of bad) {
    it(`rejects ${what} with MalformedTokenError`, () => {
      expect(() => parseAccessToken(input)).toThrow(MalformedTokenError);
    });
  }

  it('reads a naming claim of the wrong type as absent', () => {
    const token = parseAccessToken(
      signJwt({ twr: 1 }, { exp: 1, sub: 5, jti: [], grants: { identity: 'a' } }),
    );
    expect(token.accountSid).toBeUndefined();
    expect(token.id).toBeUndefined();
    expect(token.region).toBeUndefined();
  });

  it('keeps the JWT out of JSON, inspect and String', () => {
    const jwt = makeToken();
    const token = parseAccessToken(jwt);
    const [, payload, signature] = jwt.split('.');
    for (const printed of [JSON.stringify(token), inspect(token, { depth: 9 }), String(token)]) {
      expect(printed).not.toContain(signature);
      expect(printed).not.toContain(payload);
    }
    expect(String(token)).toMatch(/^AccessToken\(SK.+, expires \d{4}-/);
  });
});
