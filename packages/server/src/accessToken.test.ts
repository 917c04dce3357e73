import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessToken } from './accessToken.js';
import { decodeAccessToken } from './decodeAccessToken.js';
import { ChatGrant } from './grants.js';

const Official = twilio.jwt.AccessToken;
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const API_KEY_SID = 'SKfedcba9876543210fedcba9876543210';
const SECRET = 'builder-secret-value';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2026, 5, 1, 8, 30, 15));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('AccessToken, the drop-in builder', () => {
  it('is used the way the seeds use the official one, and makes the same token', () => {
    const options = { identity: 'user@example.com', ttl: 14_400, region: 'au1' };
    const chat = { serviceSid: 'IS00000000000000000000000000000009' };
    const theirs = new Official(ACCOUNT_SID, API_KEY_SID, SECRET, options);
    theirs.addGrant(new Official.ChatGrant(chat));
    theirs.addGrant(new Official.VoiceGrant({ incomingAllow: true }));
    const mine = new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, options);
    mine.addGrant(new AccessToken.ChatGrant(chat));
    mine.addGrant(new AccessToken.VoiceGrant({ incomingAllow: true }));
    expect(mine.toJwt()).toBe(theirs.toJwt());
    expect(mine.toJwt('HS512')).toBe(theirs.toJwt('HS512'));
  });

  it('has the official static members', () => {
    expect(AccessToken.DEFAULT_ALGORITHM).toBe(Official.DEFAULT_ALGORITHM);
    expect(AccessToken.ALGORITHMS).toEqual(Official.ALGORITHMS);
    for (const name of [
      'ChatGrant',
      'SyncGrant',
      'VoiceGrant',
      'VideoGrant',
      'TaskRouterGrant',
      'PlaybackGrant',
    ] as const) {
      expect(new AccessToken[name]().key, name).toBe(new Official[name]().key);
    }
  });

  it('keeps the secret out of its enumerable fields, JSON and inspection', () => {
    const token = new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, { identity: 'alice' });
    expect(JSON.stringify(token)).not.toContain(SECRET);
    expect(Object.values(token)).not.toContain(SECRET);
    expect(String(Object.entries(token))).not.toContain(SECRET);
  });

  it('validates when constructed', () => {
    expect(() => new AccessToken('AC1', API_KEY_SID, SECRET, { identity: 'a' })).toThrow(
      expect.objectContaining({ code: 'invalid_account_sid' }),
    );
    expect(() => new AccessToken(ACCOUNT_SID, 'SK1', SECRET, { identity: 'a' })).toThrow(
      /keySid must be "SK"/,
    );
    expect(() => new AccessToken(ACCOUNT_SID, API_KEY_SID, '', { identity: 'a' })).toThrow(
      expect.objectContaining({ code: 'invalid_api_key_secret' }),
    );
    expect(
      () =>
        new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, undefined as unknown as { identity: '' }),
    ).toThrow(expect.objectContaining({ code: 'invalid_identity' }));
    expect(
      () => new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, { identity: 'a', ttl: 90 }),
    ).toThrow(expect.objectContaining({ code: 'invalid_ttl' }));
  });

  it('names a secret passed as a number by its type only', () => {
    expect(
      () => new AccessToken(ACCOUNT_SID, API_KEY_SID, 4_242_424_242 as never, { identity: 'a' }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_api_key_secret',
        message: 'secret must be a non-empty string; got a number.',
      }),
    );
  });

  it('checks the algorithm and the (public, mutable) fields again when signing', () => {
    const token = new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, { identity: 'alice' });
    expect(() => token.toJwt('RS256' as 'HS256')).toThrow(
      expect.objectContaining({ code: 'unsupported_algorithm' }),
    );
    token.ttl = 100_000;
    expect(() => token.toJwt()).toThrow(expect.objectContaining({ code: 'invalid_ttl' }));
  });

  it('passes its extra options on: short ttl, clock, strict identity, one warning per identity', () => {
    const warn = vi.fn();
    const token = new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, {
      identity: 'a@b',
      ttl: 30,
      allowShortTtl: true,
      now: () => 5_000_000,
      logger: { warn },
    });
    token.addGrant(new ChatGrant({ serviceSid: 'IS1' }));
    expect(decodeAccessToken(token.toJwt()).payload).toMatchObject({ iat: 5000, exp: 5030 });
    token.toJwt();
    expect(warn).toHaveBeenCalledTimes(1);
    token.identity = 'c@d';
    token.toJwt();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(
      () =>
        new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, {
          identity: 'a@b',
          strictIdentity: true,
        }),
    ).toThrow(expect.objectContaining({ code: 'reserved_identity_characters' }));
  });
});

describe('AccessToken: what code written for the official helper does, it does here too', () => {
  type Maker = { new (options?: unknown): { key: string; toPayload(): object } };
  const grantNames = [
    'ChatGrant',
    'SyncGrant',
    'VoiceGrant',
    'VideoGrant',
    'TaskRouterGrant',
    'PlaybackGrant',
  ] as const;

  // Each case builds a token with either helper, from the same (official) namespace shape.
  const cases: [string, Record<string, unknown>, (ns: typeof Official) => object[]][] = [
    ['region ""', { region: '' }, () => []],
    ['region null', { region: null }, () => []],
    ['nbf null', { nbf: null }, () => []],
    [
      'nbf null and region null, with a grant',
      { nbf: null, region: null },
      (ns) => [new ns.ChatGrant({ serviceSid: 'IS1' })],
    ],
    [
      'every grant made with null options',
      {},
      (ns) => grantNames.map((name) => new (ns[name] as unknown as Maker)(null)),
    ],
    [
      'every grant made with undefined options',
      {},
      (ns) => grantNames.map((name) => new (ns[name] as unknown as Maker)(undefined)),
    ],
    [
      'a custom grant extending AccessToken.Grant',
      {},
      (ns) => {
        class DeviceGrant extends ns.Grant<object, { device: string }, 'device'> {
          constructor() {
            super('device');
          }
          toPayload() {
            return { device: 'kiosk-1' };
          }
        }
        return [new DeviceGrant(), new ns.VideoGrant({ room: 'r' })];
      },
    ],
  ];

  for (const [name, options, grants] of cases) {
    for (const algorithm of ['HS256', 'HS384', 'HS512'] as const) {
      it(`${name}, ${algorithm}: the same token, byte for byte`, () => {
        const theirs = new Official(ACCOUNT_SID, API_KEY_SID, SECRET, {
          identity: 'alice',
          ...options,
        } as never);
        for (const grant of grants(Official)) theirs.addGrant(grant as never);
        const mine = new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, {
          identity: 'alice',
          ...options,
        } as never);
        for (const grant of grants(AccessToken as unknown as typeof Official)) {
          mine.addGrant(grant as never);
        }
        expect(mine.toJwt(algorithm)).toBe(theirs.toJwt(algorithm));
      });
    }
  }

  it('treats region and nbf set to null or "" after construction as absent, too', () => {
    const token = new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, {
      identity: 'alice',
      region: 'ie1',
      nbf: 1_780_000_000,
    });
    Object.assign(token, { region: '', nbf: null });
    const theirs = new Official(ACCOUNT_SID, API_KEY_SID, SECRET, { identity: 'alice' });
    expect(token.toJwt()).toBe(theirs.toJwt());
  });

  it('makes its grants instances of AccessToken.Grant, as the official helper does', () => {
    for (const name of grantNames) {
      expect(new AccessToken[name](), name).toBeInstanceOf(AccessToken.Grant);
      expect(new Official[name](), name).toBeInstanceOf(Official.Grant);
    }
  });

  it('still rejects a region or an nbf of the wrong kind', () => {
    expect(
      () => new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, { identity: 'a', region: 'ie1"' }),
    ).toThrow(expect.objectContaining({ code: 'invalid_region' }));
    expect(
      () => new AccessToken(ACCOUNT_SID, API_KEY_SID, SECRET, { identity: 'a', nbf: -1 }),
    ).toThrow(expect.objectContaining({ code: 'invalid_nbf' }));
  });
});
