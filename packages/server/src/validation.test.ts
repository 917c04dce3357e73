import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessTokenError } from './errors.js';
import { type MintAccessTokenOptions, mintAccessToken } from './mintAccessToken.js';

const valid = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  apiKeySid: 'SKfedcba9876543210fedcba9876543210',
  identity: 'alice',
};

describe('validation, for any input', () => {
  it('throws only AccessTokenErrors, whose messages never contain the secret', () => {
    const anything = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constant(undefined),
      fc.constant(null),
      fc.object(),
      fc.array(fc.anything()),
    );
    fc.assert(
      fc.property(
        // Secrets long enough that finding one by chance in a message means it leaked.
        fc.string({ minLength: 12 }),
        fc.record(
          {
            accountSid: anything,
            apiKeySid: anything,
            identity: anything,
            ttl: anything,
            nbf: anything,
            region: anything,
            algorithm: anything,
            grants: anything,
          },
          { requiredKeys: [] },
        ),
        fc.constantFrom('accountSid', 'apiKeySid', 'identity', 'region', 'algorithm', 'ttl'),
        (secret, overrides, misplaced) => {
          const options = {
            ...valid,
            ...overrides,
            // Also the secret in a field where it does not belong: a classic mix-up.
            [misplaced]: secret,
            apiKeySecret: secret,
            strictIdentity: true,
          } as MintAccessTokenOptions;
          try {
            mintAccessToken(options);
          } catch (error) {
            expect(error).toBeInstanceOf(AccessTokenError);
            expect((error as Error).message).not.toContain(secret);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('mints whenever every field is valid', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{32}$/),
        fc.stringMatching(/^[0-9A-F]{32}$/),
        fc.string({ minLength: 1 }),
        // What strictIdentity takes: no reserved, control or unwise character, nor a space.
        fc
          .string({ minLength: 1, maxLength: 256 })
          .filter((s) => !/[!*'();:@&=+$,/?%#[\]<>"{}|\\^`\s]/.test(s) && !/[\p{Cc}]/u.test(s)),
        fc.integer({ min: 180, max: 86_400 }),
        (account, key, secret, identity, ttl) => {
          const token = mintAccessToken({
            accountSid: `AC${account}`,
            apiKeySid: `SK${key}`,
            apiKeySecret: secret,
            identity,
            ttl,
            strictIdentity: true,
          });
          expect(token.split('.')).toHaveLength(3);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('a secret in the wrong shape or the wrong slot', () => {
  const messageOf = (options: Record<string, unknown>): string => {
    try {
      mintAccessToken({ ...valid, apiKeySecret: 'a-valid-secret', ...options } as never);
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  it('names a secret passed as a number by its type only', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 10_000_000 }), fc.double({ min: 10_000_000, noNaN: true })),
        (secret) => {
          const message = messageOf({ apiKeySecret: secret });
          expect(message).toBe('apiKeySecret must be a non-empty string; got a number.');
          expect(message).not.toContain(String(secret));
        },
      ),
    );
  });

  it('shows none of the characters of a secret passed where a SID belongs, only its length', () => {
    // Shaped like a Twilio API key secret, 32 letters and digits, starting with two capitals.
    const secret = fc.stringMatching(/^[A-Z]{2}[A-Za-z0-9]{30}$/);
    fc.assert(
      fc.property(secret, fc.constantFrom('accountSid', 'apiKeySid'), (value, field) => {
        const message = messageOf({ [field]: value });
        expect(message).toMatch(/; got a string of 32 characters that does not look like a SID\.$/);
        // The part that describes the value quotes nothing from it.
        expect(message.slice(message.indexOf('; got '))).not.toContain('"');
      }),
    );
    expect(messageOf({ accountSid: 'XYz9secretpart' })).toBe(
      'accountSid must be "AC" followed by 32 hexadecimal characters; got a string of 14 characters that does not look like a SID.',
    );
    expect(messageOf({ apiKeySid: 9_876_543_210 })).toBe(
      'apiKeySid must be "SK" followed by 32 hexadecimal characters (an API key SID); got a number.',
    );
  });
});
