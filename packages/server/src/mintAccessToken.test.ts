import fc from 'fast-check';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeAccessToken } from './decodeAccessToken.js';
import {
  AccessTokenError,
  IdentityTooLongError,
  ReservedIdentityCharactersError,
} from './errors.js';
import {
  ChatGrant,
  type Grant,
  PlaybackGrant,
  SyncGrant,
  TaskRouterGrant,
  VideoGrant,
  VoiceGrant,
} from './grants.js';
import {
  type MintAccessTokenOptions,
  mintAccessToken,
  mintAccessTokenAsync,
} from './mintAccessToken.js';

const Official = twilio.jwt.AccessToken;
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const API_KEY_SID = 'SKfedcba9876543210fedcba9876543210';
const SECRET = 'a-fairly-long-api-key-secret-0001';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0, 750);

type Official = InstanceType<typeof Official>;
type OfficialGrant = Parameters<Official['addGrant']>[0];

interface Case {
  name: string;
  options?: { ttl?: number; nbf?: number; region?: string };
  ours: () => Grant[];
  theirs: () => OfficialGrant[];
}

const cases: Case[] = [
  {
    name: 'identity, chat and voice',
    ours: () => [
      new ChatGrant({ serviceSid: 'IS00000000000000000000000000000001' }),
      new VoiceGrant({
        incomingAllow: true,
        outgoingApplicationSid: 'AP00000000000000000000000000000001',
        outgoingApplicationParams: { queue: 'support', priority: 2 },
      }),
    ],
    theirs: () => [
      new Official.ChatGrant({ serviceSid: 'IS00000000000000000000000000000001' }),
      new Official.VoiceGrant({
        incomingAllow: true,
        outgoingApplicationSid: 'AP00000000000000000000000000000001',
        outgoingApplicationParams: { queue: 'support', priority: 2 },
      }),
    ],
  },
  {
    name: 'every grant with every field, a region, nbf and ttl',
    options: { ttl: 86_400, nbf: 1_768_478_000, region: 'ie1' },
    ours: () => [
      new ChatGrant({
        serviceSid: 'IS1',
        endpointId: 'alice:web',
        deploymentRoleSid: 'RL1',
        pushCredentialSid: 'CR1',
      }),
      new SyncGrant({ serviceSid: 'IS2', endpointId: 'alice:sync' }),
      new VoiceGrant({ pushCredentialSid: 'CR2', endpointId: 'alice:voice' }),
      new VideoGrant({ room: 'standup' }),
      new TaskRouterGrant({ workspaceSid: 'WS1', workerSid: 'WK1', role: 'worker' }),
      new PlaybackGrant({ grant: { requestCredentials: null, playbackUrl: 'https://x' } }),
    ],
    theirs: () => [
      new Official.ChatGrant({
        serviceSid: 'IS1',
        endpointId: 'alice:web',
        deploymentRoleSid: 'RL1',
        pushCredentialSid: 'CR1',
      }),
      new Official.SyncGrant({ serviceSid: 'IS2', endpointId: 'alice:sync' }),
      new Official.VoiceGrant({ pushCredentialSid: 'CR2', endpointId: 'alice:voice' }),
      new Official.VideoGrant({ room: 'standup' }),
      new Official.TaskRouterGrant({ workspaceSid: 'WS1', workerSid: 'WK1', role: 'worker' }),
      new Official.PlaybackGrant({ grant: { requestCredentials: null, playbackUrl: 'https://x' } }),
    ],
  },
  {
    name: 'empty grants (video for any room), and a later grant replacing an earlier one',
    options: { ttl: 180 },
    ours: () => [
      new VideoGrant(),
      new ChatGrant({ serviceSid: 'IS-first' }),
      new SyncGrant(),
      new ChatGrant({ serviceSid: 'IS-second' }),
    ],
    theirs: () => [
      new Official.VideoGrant(),
      new Official.ChatGrant({ serviceSid: 'IS-first' }),
      new Official.SyncGrant(),
      new Official.ChatGrant({ serviceSid: 'IS-second' }),
    ],
  },
  { name: 'identity only', ours: () => [], theirs: () => [] },
];

function official(testCase: Case, identity: string, algorithm: 'HS256' | 'HS384' | 'HS512') {
  const token = new Official(ACCOUNT_SID, API_KEY_SID, SECRET, { identity, ...testCase.options });
  for (const grant of testCase.theirs()) token.addGrant(grant);
  return token.toJwt(algorithm);
}

const ours = (testCase: Case, identity: string, algorithm: 'HS256' | 'HS384' | 'HS512') =>
  mintAccessToken({
    accountSid: ACCOUNT_SID,
    apiKeySid: API_KEY_SID,
    apiKeySecret: SECRET,
    identity,
    algorithm,
    grants: testCase.ours(),
    ...testCase.options,
  });

beforeEach(() => {
  // Only Date: both helpers read the clock through Date.now(), nothing here waits on a timer.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('mintAccessToken against the official twilio helper', () => {
  for (const testCase of cases) {
    for (const algorithm of ['HS256', 'HS384', 'HS512'] as const) {
      it(`${testCase.name}, ${algorithm}: same header and payload, field by field`, () => {
        const theirs = decodeAccessToken(official(testCase, 'alice', algorithm));
        const mine = decodeAccessToken(ours(testCase, 'alice', algorithm));
        expect(Object.keys(mine.header)).toEqual(Object.keys(theirs.header));
        for (const key of Object.keys(theirs.header)) {
          expect(mine.header[key], `header.${key}`).toEqual(theirs.header[key]);
        }
        expect(Object.keys(mine.payload)).toEqual(Object.keys(theirs.payload));
        for (const key of Object.keys(theirs.payload)) {
          expect(mine.payload[key], `payload.${key}`).toEqual(theirs.payload[key]);
        }
      });

      it(`${testCase.name}, ${algorithm}: the same token, byte for byte`, () => {
        expect(ours(testCase, 'alice', algorithm)).toBe(official(testCase, 'alice', algorithm));
      });

      it(`${testCase.name}, ${algorithm}: the same token from the Web Crypto mint`, async () => {
        const webCrypto = await mintAccessTokenAsync({
          accountSid: ACCOUNT_SID,
          apiKeySid: API_KEY_SID,
          apiKeySecret: SECRET,
          identity: 'zoë "z" <z@example.com>',
          algorithm,
          grants: testCase.ours(),
          ...testCase.options,
        });
        expect(webCrypto).toBe(official(testCase, 'zoë "z" <z@example.com>', algorithm));
      });
    }
  }

  it('writes the claims the issue names, with the values expected', () => {
    const { header, payload } = decodeAccessToken(ours(cases[1]!, 'alice', 'HS256'));
    const iat = Math.floor(NOW / 1000);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1', twr: 'ie1' });
    expect(payload).toMatchObject({
      jti: `${API_KEY_SID}-${iat}`,
      iss: API_KEY_SID,
      sub: ACCOUNT_SID,
      iat,
      exp: iat + 86_400,
      nbf: 1_768_478_000,
    });
    expect(payload.grants).toEqual({
      identity: 'alice',
      chat: {
        service_sid: 'IS1',
        endpoint_id: 'alice:web',
        deployment_role_sid: 'RL1',
        push_credential_sid: 'CR1',
      },
      data_sync: { service_sid: 'IS2', endpoint_id: 'alice:sync' },
      voice: { push_credential_sid: 'CR2', endpoint_id: 'alice:voice' },
      video: { room: 'standup' },
      task_router: { workspace_sid: 'WS1', worker_sid: 'WK1', role: 'worker' },
      player: { requestCredentials: null, playbackUrl: 'https://x' },
    });
  });

  it('escapes identities the same way (quotes, unicode, reserved characters)', () => {
    for (const identity of ['zoë "the" admin', '用户', 'back\\slash', 'tab\there']) {
      expect(ours(cases[0]!, identity, 'HS256')).toBe(official(cases[0]!, identity, 'HS256'));
    }
  });

  it('accepts the official helper grant objects as they are', () => {
    const token = mintAccessToken({
      accountSid: ACCOUNT_SID,
      apiKeySid: API_KEY_SID,
      apiKeySecret: SECRET,
      identity: 'alice',
      grants: cases[0]!.theirs(),
    });
    expect(token).toBe(official(cases[0]!, 'alice', 'HS256'));
  });
});

describe('signatures, verified by jose', () => {
  for (const algorithm of ['HS256', 'HS384', 'HS512'] as const) {
    it(`verifies ${algorithm} with the secret and rejects another secret`, async () => {
      const token = ours(cases[0]!, 'alice', algorithm);
      expect(decodeProtectedHeader(token).alg).toBe(algorithm);
      const key = new TextEncoder().encode(SECRET);
      const { payload } = await jwtVerify(token, key, { algorithms: [algorithm] });
      expect(payload['grants']).toMatchObject({ identity: 'alice' });
      await expect(
        jwtVerify(token, new TextEncoder().encode(`${SECRET}x`), { algorithms: [algorithm] }),
      ).rejects.toThrow(/signature/i);
    });
  }

  it('signs each secret with its own key, whatever the order and the cache holds', async () => {
    const secrets = Array.from({ length: 40 }, (_, index) => `secret-number-${index}`);
    const tokens = [...secrets, ...secrets.slice().reverse()].map((apiKeySecret) => ({
      apiKeySecret,
      token: mintAccessToken({
        accountSid: ACCOUNT_SID,
        apiKeySid: API_KEY_SID,
        apiKeySecret,
        identity: 'alice',
      }),
    }));
    for (const { apiKeySecret, token } of tokens) {
      await expect(jwtVerify(token, new TextEncoder().encode(apiKeySecret))).resolves.toBeDefined();
    }
  });
});

describe('clock', () => {
  it('reads time from now() in milliseconds, rounded down to the second', () => {
    const token = mintAccessToken({
      accountSid: ACCOUNT_SID,
      apiKeySid: API_KEY_SID,
      apiKeySecret: SECRET,
      identity: 'alice',
      ttl: 600,
      now: () => 1_000_999,
    });
    expect(decodeAccessToken(token).payload).toMatchObject({
      iat: 1000,
      exp: 1600,
      jti: `${API_KEY_SID}-1000`,
    });
  });

  it('rejects a clock that does not return a number', () => {
    expect(() =>
      mintAccessToken({
        accountSid: ACCOUNT_SID,
        apiKeySid: API_KEY_SID,
        apiKeySecret: SECRET,
        identity: 'alice',
        now: () => Number.NaN,
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_option' }));
  });
});

describe('validation', () => {
  const valid: MintAccessTokenOptions = {
    accountSid: ACCOUNT_SID,
    apiKeySid: API_KEY_SID,
    apiKeySecret: SECRET,
    identity: 'alice',
  };
  const rejects = (change: Record<string, unknown>, code: string, name: string): void => {
    let thrown: unknown;
    try {
      mintAccessToken({ ...valid, ...change } as MintAccessTokenOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AccessTokenError);
    expect(thrown).toMatchObject({ code, name });
    expect(String((thrown as Error).message)).not.toContain(SECRET);
  };

  it.each([
    [{ accountSid: 'AC123' }, 'invalid_account_sid', 'InvalidAccountSidError'],
    [{ accountSid: API_KEY_SID }, 'invalid_account_sid', 'InvalidAccountSidError'],
    [{ accountSid: `AC${'g'.repeat(32)}` }, 'invalid_account_sid', 'InvalidAccountSidError'],
    [{ accountSid: undefined }, 'invalid_account_sid', 'InvalidAccountSidError'],
    [{ apiKeySid: ACCOUNT_SID }, 'invalid_api_key_sid', 'InvalidApiKeySidError'],
    [{ apiKeySid: `SK${'0'.repeat(33)}` }, 'invalid_api_key_sid', 'InvalidApiKeySidError'],
    [{ apiKeySecret: '' }, 'invalid_api_key_secret', 'InvalidApiKeySecretError'],
    [{ apiKeySecret: 42 }, 'invalid_api_key_secret', 'InvalidApiKeySecretError'],
    [{ identity: '' }, 'invalid_identity', 'InvalidIdentityError'],
    [{ identity: 42 }, 'invalid_identity', 'InvalidIdentityError'],
    [{ identity: undefined }, 'invalid_identity', 'InvalidIdentityError'],
    [{ ttl: 179 }, 'invalid_ttl', 'InvalidTtlError'],
    [{ ttl: 86_401 }, 'invalid_ttl', 'InvalidTtlError'],
    [{ ttl: 600.5 }, 'invalid_ttl', 'InvalidTtlError'],
    [{ ttl: '3600' }, 'invalid_ttl', 'InvalidTtlError'],
    [{ ttl: 0, allowShortTtl: true }, 'invalid_ttl', 'InvalidTtlError'],
    [{ ttl: 86_401, allowShortTtl: true }, 'invalid_ttl', 'InvalidTtlError'],
    [{ nbf: -1 }, 'invalid_nbf', 'InvalidNotBeforeError'],
    [{ nbf: 1.5 }, 'invalid_nbf', 'InvalidNotBeforeError'],
    [{ region: '' }, 'invalid_region', 'InvalidRegionError'],
    [{ region: 'ie1"}' }, 'invalid_region', 'InvalidRegionError'],
    [{ algorithm: 'RS256' }, 'unsupported_algorithm', 'UnsupportedAlgorithmError'],
    [{ algorithm: 'none' }, 'unsupported_algorithm', 'UnsupportedAlgorithmError'],
    [{ grants: [{}] }, 'invalid_grant', 'InvalidGrantError'],
    [{ grants: {} }, 'invalid_grant', 'InvalidGrantError'],
    [
      { grants: [{ key: 'identity', toPayload: () => ({}) }] },
      'invalid_grant',
      'InvalidGrantError',
    ],
    [
      { grants: [{ key: '__proto__', toPayload: () => ({}) }] },
      'invalid_grant',
      'InvalidGrantError',
    ],
    [{ grants: [{ key: 'chat', toPayload: () => 'x' }] }, 'invalid_grant', 'InvalidGrantError'],
  ])('rejects %o with %s', (change, code, name) => {
    rejects(change, code, name);
  });

  it('wraps a grant whose toPayload() throws, or whose payload is not JSON, in InvalidGrantError', () => {
    const failure = new RangeError('no payload today');
    const cases: [Grant, unknown][] = [
      [
        {
          key: 'custom',
          toPayload: () => {
            throw failure;
          },
        },
        failure,
      ],
      [{ key: 'custom', toPayload: () => ({ n: 1n }) }, expect.any(TypeError)],
    ];
    for (const [grant, cause] of cases) {
      let thrown: unknown;
      try {
        mintAccessToken({ ...valid, grants: [grant] });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AccessTokenError);
      expect(thrown).toMatchObject({ code: 'invalid_grant', name: 'InvalidGrantError', cause });
    }
    const typed = new AccessTokenError('invalid_option', 'a typed error of a grant');
    const grant = {
      key: 'custom',
      toPayload: () => {
        throw typed;
      },
    };
    expect(() => mintAccessToken({ ...valid, grants: [grant] })).toThrow(typed);
  });

  it('accepts the bounds 180 and 86,400, and 1 with allowShortTtl', () => {
    for (const [ttl, allowShortTtl] of [
      [180, false],
      [86_400, false],
      [1, true],
      [179, true],
    ] as const) {
      const { payload } = decodeAccessToken(mintAccessToken({ ...valid, ttl, allowShortTtl }));
      expect((payload.exp as number) - (payload.iat as number)).toBe(ttl);
    }
  });

  it('tells about allowShortTtl when a short ttl is refused', () => {
    expect(() => mintAccessToken({ ...valid, ttl: 60 })).toThrow(/allowShortTtl/);
  });

  it('does not tell about allowShortTtl when a ttl is refused for being too long', () => {
    for (const ttl of [86_401, 90_000]) {
      expect(() => mintAccessToken({ ...valid, ttl })).toThrow(
        expect.objectContaining({
          code: 'invalid_ttl',
          message: `ttl must be an integer from 180 to 86400 seconds; got ${ttl}.`,
        }),
      );
    }
  });

  it('defaults to a 3,600-second lifetime and HS256', () => {
    const { header, payload } = decodeAccessToken(mintAccessToken(valid));
    expect(header.alg).toBe('HS256');
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it('names an Account SID given as the API key by its prefix, not its content', () => {
    expect(() => mintAccessToken({ ...valid, apiKeySid: ACCOUNT_SID })).toThrow(
      'apiKeySid must be "SK" followed by 32 hexadecimal characters (an API key SID); got a string of 34 characters starting with "AC".',
    );
  });

  it('never repeats the secret, even passed where a SID belongs', () => {
    for (const field of ['accountSid', 'apiKeySid', 'region', 'algorithm']) {
      let message = '';
      try {
        mintAccessToken({
          ...valid,
          [field]: SECRET,
          strictIdentity: true,
        } as MintAccessTokenOptions);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, field).not.toBe('');
      expect(message, field).not.toContain(SECRET);
    }
  });
});

describe('identities with reserved characters', () => {
  const base = { accountSid: ACCOUNT_SID, apiKeySid: API_KEY_SID, apiKeySecret: SECRET };

  it('warns through the logger and still mints, naming the characters but not the identity', () => {
    const warn = vi.fn();
    const token = mintAccessToken({ ...base, identity: 'alice@example.com', logger: { warn } });
    expect(decodeAccessToken(token).payload.grants).toMatchObject({
      identity: 'alice@example.com',
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain('"@"');
    expect(warn.mock.calls[0]![0]).not.toContain('alice');
  });

  it('rejects them under strictIdentity', () => {
    expect(() => mintAccessToken({ ...base, identity: 'a/b?c', strictIdentity: true })).toThrow(
      expect.objectContaining({ code: 'reserved_identity_characters' }),
    );
  });

  it('flags each reserved character and none of the safe ones', () => {
    for (const character of "!*'();:@&=+$,/?%#[]") {
      const warn = vi.fn();
      mintAccessToken({ ...base, identity: `user${character}1`, logger: { warn } });
      expect(warn, character).toHaveBeenCalledTimes(1);
    }
    const warn = vi.fn();
    mintAccessToken({ ...base, identity: 'Alice_Smith-1.2~zoë.用户', logger: { warn } });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('identities Twilio refuses (Voice 31105, Conversations 54351)', () => {
  const base = { accountSid: ACCOUNT_SID, apiKeySid: API_KEY_SID, apiKeySecret: SECRET };
  // Control characters, space, RFC 2396's delims and unwise characters: refused by Twilio.
  const refused = [
    ' ',
    '\n',
    '\t',
    '\u0000',
    '\u001f',
    '\u007f',
    '\u0085',
    '<',
    '>',
    '"',
    '{',
    '}',
    '|',
    '\\',
    '^',
    '`',
  ];
  const codeOf = (identity: string): string | undefined => {
    try {
      mintAccessToken({ ...base, identity, strictIdentity: true });
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('refuses each of them under strictIdentity, naming the character, never the identity', () => {
    for (const character of refused) {
      let message = '';
      try {
        mintAccessToken({ ...base, identity: `alice${character}1`, strictIdentity: true });
      } catch (error) {
        expect(error).toBeInstanceOf(ReservedIdentityCharactersError);
        message = (error as Error).message;
      }
      expect(message, JSON.stringify(character)).toMatch(/contains (U\+00[0-9A-F]{2}|space|".")/);
      expect(message).not.toContain('alice');
    }
    expect(() => mintAccessToken({ ...base, identity: 'a b\nc', strictIdentity: true })).toThrow(
      'identity (5 characters) contains space, U+000A, which Twilio refuses or asks to avoid in identities.',
    );
  });

  it('refuses an identity over 256 characters under strictIdentity, and takes 256', () => {
    expect(codeOf('a'.repeat(256))).toBeUndefined();
    // 256 characters outside the BMP are 512 UTF-16 code units: still 256 characters.
    expect(codeOf('😀'.repeat(256))).toBeUndefined();
    expect(codeOf('a'.repeat(257))).toBe('identity_too_long');
    expect(() =>
      mintAccessToken({ ...base, identity: 'a'.repeat(1_000_000), strictIdentity: true }),
    ).toThrow(IdentityTooLongError);
  });

  it('mints them by default, as the official helper does, with one warning naming what is wrong', () => {
    for (const identity of ['alice smith', 'a\u0000b', '<a>', 'a'.repeat(300)]) {
      const warn = vi.fn();
      const token = mintAccessToken({
        ...base,
        identity,
        logger: { warn },
        now: () => 1_767_268_800_000,
      });
      const theirs = new Official(ACCOUNT_SID, API_KEY_SID, SECRET, { identity });
      expect(decodeAccessToken(token).payload.grants).toEqual(
        (decodeAccessToken(theirs.toJwt()).payload as { grants: unknown }).grants,
      );
      expect(warn, JSON.stringify(identity)).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/strictIdentity/);
    }
  });

  it('under strictIdentity, mints exactly the identities of 1 to 256 characters without them (fast-check)', () => {
    // Written apart from the implementation's pattern: by code point.
    const refusedCharacter = (character: string): boolean => {
      const code = character.codePointAt(0)!;
      return (
        code <= 0x20 ||
        (code >= 0x7f && code <= 0x9f) ||
        `<>"{}|\\^\`!*'();:@&=+$,/?%#[]`.includes(character)
      );
    };
    // Every Latin-1 code point (controls, space, the delims), and a few beyond.
    const character = fc.oneof(
      fc.integer({ min: 0, max: 0xff }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('é', '用', '😀', '\u2028'),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 20, unit: character }),
          fc.string({ minLength: 250, maxLength: 260, unit: fc.constantFrom('a', ' ', '😀', '<') }),
        ),
        (identity) => {
          const characters = [...identity];
          const ok = characters.length <= 256 && !characters.some(refusedCharacter);
          expect(codeOf(identity) === undefined, JSON.stringify(identity)).toBe(ok);
        },
      ),
      { seed: 18, numRuns: 300 },
    );
  });
});

describe('mintAccessTokenAsync (Web Crypto)', () => {
  const options = {
    accountSid: ACCOUNT_SID,
    apiKeySid: API_KEY_SID,
    apiKeySecret: SECRET,
    identity: 'alice',
  };

  it('rejects invalid options with the same typed errors, never throwing synchronously', async () => {
    const pending = mintAccessTokenAsync({ ...options, ttl: 10 });
    await expect(pending).rejects.toMatchObject({ code: 'invalid_ttl' });
    await expect(mintAccessTokenAsync({ ...options, apiKeySecret: '' })).rejects.toBeInstanceOf(
      AccessTokenError,
    );
  });

  it('signs each secret with its own key, concurrently too', async () => {
    const secrets = ['web-secret-a', 'web-secret-b', 'web-secret-a', 'web-secret-c'];
    const tokens = await Promise.all(
      secrets.map((apiKeySecret) => mintAccessTokenAsync({ ...options, apiKeySecret })),
    );
    for (const [index, token] of tokens.entries()) {
      expect(token).toBe(mintAccessToken({ ...options, apiKeySecret: secrets[index]! }));
      await jwtVerify(token, new TextEncoder().encode(secrets[index]!));
    }
  });
});
