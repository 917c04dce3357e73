import { Buffer } from 'node:buffer';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  decodeAccessToken,
  verifyAccessTokenSignature,
  verifyAccessTokenSignatureAsync,
} from './decodeAccessToken.js';
import { AccessTokenError } from './errors.js';
import { mintAccessToken } from './mintAccessToken.js';

const SECRET = 'decode-test-secret';
const token = mintAccessToken({
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  apiKeySid: 'SKfedcba9876543210fedcba9876543210',
  apiKeySecret: SECRET,
  identity: 'alice',
  region: 'us1',
});

const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('decodeAccessToken', () => {
  it('reads header, claims and signature', () => {
    const decoded = decodeAccessToken(token);
    expect(decoded.header).toEqual({ alg: 'HS256', typ: 'JWT', cty: 'twilio-fpa;v=1', twr: 'us1' });
    expect(decoded.payload.grants).toEqual({ identity: 'alice' });
    expect(decoded.signature).toBe(token.split('.')[2]);
  });

  it.each([
    ['not a string', 42],
    ['two parts', 'a.b'],
    ['four parts', 'a.b.c.d'],
    ['characters outside base64url', 'ab+c.def.ghi'],
    ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.${part({})}.x`],
    ['a payload that is an array', `${part({ alg: 'HS256' })}.${part([1])}.x`],
    ['a payload that is null', `${part({ alg: 'HS256' })}.${part(null)}.x`],
  ])('rejects %s as malformed, without repeating it', (_, input) => {
    let error: unknown;
    try {
      decodeAccessToken(input as string);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'malformed_token', name: 'MalformedTokenError' });
    if (typeof input === 'string') expect((error as Error).message).not.toContain(input);
  });
});

describe('verifyAccessTokenSignature', () => {
  it('accepts our tokens and tokens signed by jose with the same secret', async () => {
    expect(verifyAccessTokenSignature(token, SECRET).payload.grants).toEqual({ identity: 'alice' });
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const signed = await new SignJWT({ grants: { identity: 'bob' } })
        .setProtectedHeader({ alg })
        .sign(new TextEncoder().encode(SECRET));
      expect(verifyAccessTokenSignature(signed, SECRET).header.alg).toBe(alg);
    }
  });

  it('rejects another secret, a changed payload, and alg none', () => {
    expect(() => verifyAccessTokenSignature(token, `${SECRET}!`)).toThrow(
      expect.objectContaining({ code: 'invalid_signature' }),
    );
    const [header, , signature] = token.split('.');
    const forged = `${header}.${part({ grants: { identity: 'mallory' } })}.${signature}`;
    expect(() => verifyAccessTokenSignature(forged, SECRET)).toThrow(
      expect.objectContaining({ code: 'invalid_signature' }),
    );
    const unsigned = `${part({ alg: 'none' })}.${part({ grants: { identity: 'mallory' } })}.`;
    expect(() => verifyAccessTokenSignature(unsigned, SECRET)).toThrow(
      expect.objectContaining({ code: 'invalid_signature' }),
    );
    const truncated = token.slice(0, -4);
    expect(() => verifyAccessTokenSignature(truncated, SECRET)).toThrow(
      expect.objectContaining({ code: 'invalid_signature' }),
    );
  });

  it.each([
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
  ])('rejects alg "%s", a name inherited by every object, with the typed error', (alg) => {
    const [, payload, signature] = token.split('.');
    const forged = `${part({ alg })}.${payload}.${signature}`;
    let error: unknown;
    try {
      verifyAccessTokenSignature(forged, SECRET);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AccessTokenError);
    expect(error).toMatchObject({ code: 'invalid_signature', name: 'InvalidSignatureError' });
  });
});

describe('verifyAccessTokenSignatureAsync (Web Crypto)', () => {
  it('accepts what the synchronous check accepts, for each algorithm', async () => {
    for (const algorithm of ['HS256', 'HS384', 'HS512'] as const) {
      const signed = mintAccessToken({
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        apiKeySid: 'SKfedcba9876543210fedcba9876543210',
        apiKeySecret: SECRET,
        identity: 'alice',
        algorithm,
      });
      await expect(verifyAccessTokenSignatureAsync(signed, SECRET)).resolves.toEqual(
        verifyAccessTokenSignature(signed, SECRET),
      );
    }
  });

  it('rejects another secret, a changed payload, and a signature of an impossible length', async () => {
    const [header, , signature] = token.split('.');
    const forged = `${header}.${part({ grants: { identity: 'mallory' } })}.${signature}`;
    for (const [candidate, secret] of [
      [token, 'another-secret'],
      [forged, SECRET],
      [`${token.slice(0, token.lastIndexOf('.'))}.abcde`, SECRET],
    ] as const) {
      await expect(verifyAccessTokenSignatureAsync(candidate, secret)).rejects.toMatchObject({
        code: 'invalid_signature',
      });
      expect(() => verifyAccessTokenSignature(candidate, secret)).toThrow(AccessTokenError);
    }
  });
});
