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
        fc.string({ minLength: 1 }).filter((s) => !/[!*'();:@&=+$,/?%#[\]]/.test(s)),
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
