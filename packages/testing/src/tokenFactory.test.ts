import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeToken, TEST_ACCOUNT_SID, TEST_API_KEY_SID, TEST_SECRET } from './tokenFactory.js';

const decodePart = (part: string | undefined) =>
  JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));

describe('makeToken', () => {
  it('signs a Twilio-format JWT with HS256', () => {
    const jwt = makeToken({ identity: 'bob', iat: 1_700_000_000, ttl: 600 });
    const [h, p, s] = jwt.split('.');
    expect(decodePart(h)).toEqual({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1' });
    const payload = decodePart(p);
    expect(payload).toMatchObject({
      iss: TEST_API_KEY_SID,
      sub: TEST_ACCOUNT_SID,
      iat: 1_700_000_000,
      exp: 1_700_000_600,
      grants: { identity: 'bob' },
    });
    expect(payload.jti).toMatch(new RegExp(`^${TEST_API_KEY_SID}-1700000000`));
    const expected = createHmac('sha256', TEST_SECRET).update(`${h}.${p}`).digest('base64url');
    expect(s).toBe(expected);
  });

  it('sets region, nbf and leaves identity out on request', () => {
    const jwt = makeToken({ identity: null, region: 'ie1', nbf: 5, iat: 1, exp: 9 });
    const [h, p] = jwt.split('.');
    expect(decodePart(h).twr).toBe('ie1');
    const payload = decodePart(p);
    expect(payload.nbf).toBe(5);
    expect(payload.grants.identity).toBeUndefined();
  });

  it('gives every token a distinct jti', () => {
    const a = makeToken({ iat: 10 });
    const b = makeToken({ iat: 10 });
    expect(decodePart(a.split('.')[1]).jti).not.toBe(decodePart(b.split('.')[1]).jti);
  });
});
