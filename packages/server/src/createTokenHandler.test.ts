import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenHandler, type TokenHandlerOptions } from './createTokenHandler.js';
import { decodeAccessToken } from './decodeAccessToken.js';
import { AccessTokenError } from './errors.js';
import { ChatGrant, VoiceGrant } from './grants.js';

const credentials = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  apiKeySid: 'SKfedcba9876543210fedcba9876543210',
  apiKeySecret: 'handler-test-secret-value',
};
const chat = new ChatGrant({ serviceSid: 'IS00000000000000000000000000000001' });
const URL_ = 'http://127.0.0.1/token';

function logger() {
  const lines: string[] = [];
  return {
    lines,
    warn: vi.fn((line: string) => lines.push(line)),
    error: vi.fn((line: string) => lines.push(line)),
  };
}

// POST is served here, as most of these tests are about what a served POST does; the default
// (GET only) has a test of its own.
const make = (options: Partial<TokenHandlerOptions> = {}) =>
  createTokenHandler({
    credentials,
    methods: ['GET', 'POST'],
    authorize: () => ({ identity: 'alice', grants: [chat] }),
    ...options,
  });

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createTokenHandler: the token', () => {
  it('answers { token, identity, expiresAt, serverTime } with Cache-Control: no-store', async () => {
    const handler = make({ now: () => Date.UTC(2026, 2, 1, 10, 0, 0) });
    const response = await handler(new Request(URL_));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(['token', 'identity', 'expiresAt', 'serverTime']);
    expect(body['serverTime']).toBe(Date.UTC(2026, 2, 1, 10, 0, 0));
    expect(body['identity']).toBe('alice');
    expect(body['expiresAt']).toBe('2026-03-01T11:00:00.000Z');
    const { payload } = decodeAccessToken(body['token']!);
    expect(new Date((payload.exp as number) * 1000).toISOString()).toBe(body['expiresAt']);
    expect(payload.grants).toEqual({ identity: 'alice', chat: chat.toPayload() });
  });

  it('signs with the credentials given', async () => {
    const body = (await (await make()(new Request(URL_))).json()) as { token: string };
    const key = new TextEncoder().encode(credentials.apiKeySecret);
    const { payload } = await jwtVerify(body.token, key);
    expect(payload.sub).toBe(credentials.accountSid);
    expect(payload.iss).toBe(credentials.apiKeySid);
  });

  it('passes the request to authorize, sync or async, and uses its ttl and grants', async () => {
    const authorize = vi.fn(async (request: Request) => ({
      identity: request.headers.get('x-user') ?? 'nobody',
      grants: [chat, new VoiceGrant({ incomingAllow: true })],
      ttl: 7200,
    }));
    // The quote and the space are worth a warning (they go to the logger, not the console).
    const response = await make({ authorize, maxTtl: 7200, logger: logger() })(
      new Request(URL_, { headers: { 'x-user': 'zoë "z"' } }),
    );
    expect(authorize).toHaveBeenCalledTimes(1);
    expect(authorize.mock.calls[0]![0]).toBeInstanceOf(Request);
    const body = (await response.json()) as { token: string; identity: string };
    expect(body.identity).toBe('zoë "z"');
    const { payload } = decodeAccessToken(body.token);
    expect((payload.exp as number) - (payload.iat as number)).toBe(7200);
    expect(payload.grants).toMatchObject({ voice: { incoming: { allow: true } } });
  });

  it('uses the handler ttl, region, algorithm and clock by default', async () => {
    const handler = make({
      ttl: 600,
      region: 'ie1',
      algorithm: 'HS384',
      now: () => 1_000_000_000,
    });
    const { token } = (await (await handler(new Request(URL_))).json()) as { token: string };
    const { header, payload } = decodeAccessToken(token);
    expect(header).toMatchObject({ alg: 'HS384', twr: 'ie1' });
    expect(payload).toMatchObject({ iat: 1_000_000, exp: 1_000_600 });
  });

  it("caps a ttl from authorize at the handler's ttl, or at maxTtl", async () => {
    const lifetime = async (options: Partial<TokenHandlerOptions>, ttl: number) => {
      const handler = make({ ...options, authorize: () => ({ identity: 'alice', ttl }) });
      const { token } = (await (await handler(new Request(URL_))).json()) as { token: string };
      const { payload } = decodeAccessToken(token);
      return (payload.exp as number) - (payload.iat as number);
    };
    // A ttl read from the query string cannot buy a 24-hour token.
    expect(await lifetime({}, 86_400)).toBe(3600);
    expect(await lifetime({}, 600)).toBe(600);
    expect(await lifetime({ ttl: 900 }, 86_400)).toBe(900);
    expect(await lifetime({ ttl: 900, maxTtl: 7200 }, 86_400)).toBe(7200);
    expect(await lifetime({ ttl: 900, maxTtl: 7200 }, 5000)).toBe(5000);
    // maxTtl alone: the default ttl stays 3,600, or maxTtl if that is shorter.
    expect(await lifetime({ maxTtl: 600 }, 86_400)).toBe(600);
    const plain = make({ maxTtl: 600 });
    const { token } = (await (await plain(new Request(URL_))).json()) as { token: string };
    const { payload } = decodeAccessToken(token);
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
  });

  it('rejects a ttl above maxTtl when the handler is made', () => {
    expect(() => make({ ttl: 7200, maxTtl: 3600 })).toThrow(/must not exceed maxTtl/);
    expect(() => make({ maxTtl: 100_000 })).toThrow(AccessTokenError);
  });

  it('mints short tokens only with allowShortTtl', async () => {
    const log = logger();
    const short = { authorize: () => ({ identity: 'alice', ttl: 30 }), logger: log };
    expect((await make(short)(new Request(URL_))).status).toBe(500);
    expect(log.lines[0]).toMatch(/invalid_ttl/);
    const allowed = await make({ ...short, allowShortTtl: true })(new Request(URL_));
    expect(allowed.status).toBe(200);
  });

  it('reads the credentials from TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET', async () => {
    vi.stubEnv('TWILIO_ACCOUNT_SID', credentials.accountSid);
    vi.stubEnv('TWILIO_API_KEY', credentials.apiKeySid);
    vi.stubEnv('TWILIO_API_SECRET', 'secret-from-the-environment');
    const handler = createTokenHandler({ authorize: () => ({ identity: 'alice' }) });
    const { token } = (await (await handler(new Request(URL_))).json()) as { token: string };
    await expect(
      jwtVerify(token, new TextEncoder().encode('secret-from-the-environment')),
    ).resolves.toBeDefined();
  });
});

describe('createTokenHandler: refusals', () => {
  it('answers 401 when authorize returns null or undefined', async () => {
    for (const result of [null, undefined]) {
      const response = await make({ authorize: () => result })(new Request(URL_));
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: 'unauthorized' });
      expect(response.headers.get('cache-control')).toBe('private, no-store');
    }
  });

  it('answers 405 with Allow to other methods, and only to the methods configured', async () => {
    const handler = make();
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const response = await handler(new Request(URL_, { method }));
      expect(response.status, method).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
    }
    const postOnly = make({ methods: ['POST'] });
    const response = await postOnly(new Request(URL_));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect((await postOnly(new Request(URL_, { method: 'POST' }))).status).toBe(200);
  });

  it('answers HEAD as GET, without a body, when GET is served', async () => {
    const authorize = vi.fn((request: Request) =>
      request.headers.get('x-user') ? { identity: 'alice' } : null,
    );
    const handler = make({ authorize, now: () => 1_000_000_000 });
    const get = await handler(new Request(URL_, { headers: { 'x-user': 'a' } }));
    const head = await handler(new Request(URL_, { method: 'HEAD', headers: { 'x-user': 'a' } }));
    expect(head.status).toBe(200);
    expect(Object.fromEntries(head.headers)).toEqual(Object.fromEntries(get.headers));
    expect(head.body).toBeNull();
    expect(authorize).toHaveBeenCalledTimes(2);
    const refused = await handler(new Request(URL_, { method: 'HEAD' }));
    expect(refused.status).toBe(401);
    expect(refused.body).toBeNull();
    const postOnly = await make({ methods: ['POST'] })(new Request(URL_, { method: 'HEAD' }));
    expect(postOnly.status).toBe(405);
    expect(postOnly.headers.get('allow')).toBe('POST');
  });

  it('hands the POST body to authorize', async () => {
    const handler = make({
      authorize: async (request) => {
        const { user } = (await request.json()) as { user: string };
        return { identity: user };
      },
    });
    const response = await handler(
      new Request(URL_, { method: 'POST', body: JSON.stringify({ user: 'bob' }) }),
    );
    expect(await response.json()).toMatchObject({ identity: 'bob' });
  });

  it('answers 413 to a POST body over the limit, declared or streamed', async () => {
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    const handler = make({ maxBodyBytes: 8, authorize });
    const declared = await handler(
      new Request(URL_, { method: 'POST', body: '123456789', headers: { 'content-length': '9' } }),
    );
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(5));
        controller.enqueue(new Uint8Array(5));
        controller.close();
      },
    });
    const streamed = await handler(
      new Request(URL_, { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ error: 'payload_too_large' });
    expect(authorize).not.toHaveBeenCalled();
    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('"ok"'));
        controller.close();
      },
    });
    const within = await make({
      maxBodyBytes: 8,
      authorize: async (request) => ({ identity: (await request.json()) as string }),
    })(new Request(URL_, { method: 'POST', body: small, duplex: 'half' } as RequestInit));
    expect(await within.json()).toMatchObject({ identity: 'ok' });
  });
});

describe('createTokenHandler: the request authorize receives', () => {
  // What a framework hands a route handler: a Request subclass with its own members.
  class FrameworkRequest extends Request {
    get cookies() {
      return { get: (name: string) => (name === 'session' ? { value: 'u1' } : undefined) };
    }
  }
  const stream = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });

  it("is the caller's own Request, also for a POST without content-length, body intact", async () => {
    const seen: unknown[] = [];
    const handler = make({
      maxBodyBytes: 64,
      authorize: async (request) => {
        const session = (request as FrameworkRequest).cookies.get('session')?.value;
        seen.push(request, await request.text());
        return session ? { identity: session } : null;
      },
    });
    const chunked = new FrameworkRequest(URL_, {
      method: 'POST',
      body: stream('{"a":1}'),
      duplex: 'half',
    } as RequestInit);
    const response = await handler(chunked);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ identity: 'u1' });
    expect(seen).toEqual([chunked, '{"a":1}']);
    expect(seen[0]).toBe(chunked);
  });

  it('still answers 413 past the limit without calling authorize', async () => {
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    const handler = make({ maxBodyBytes: 4, authorize });
    const response = await handler(
      new FrameworkRequest(URL_, {
        method: 'POST',
        body: stream('too long a body'),
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(authorize).not.toHaveBeenCalled();
  });
});

describe('createTokenHandler: CORS', () => {
  const origin = 'https://app.example.com';
  const cors = { origins: [origin] };

  it('sends no CORS headers unless asked', async () => {
    const response = await make()(new Request(URL_, { headers: { origin } }));
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows listed origins only, and always varies on Origin', async () => {
    const handler = make({ cors });
    const allowed = await handler(new Request(URL_, { headers: { origin } }));
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect(allowed.headers.get('vary')).toBe('Origin');
    const other = await handler(new Request(URL_, { headers: { origin: 'https://evil.example' } }));
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toBe('Origin');
    const credentialed = await make({ cors: { ...cors, credentials: true } })(
      new Request(URL_, { headers: { origin } }),
    );
    expect(credentialed.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('answers the preflight of a listed origin with 204, and 403 to others', async () => {
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    const handler = make({ cors: { ...cors, maxAge: 60 }, authorize, methods: ['POST'] });
    const preflight = await handler(
      new Request(URL_, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '60',
    });
    expect(await preflight.text()).toBe('');
    const refused = await handler(
      new Request(URL_, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } }),
    );
    expect(refused.status).toBe(403);
    expect(authorize).not.toHaveBeenCalled();
    const put = await handler(new Request(URL_, { method: 'PUT', headers: { origin } }));
    expect(put.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('createTokenHandler: every error answer keeps the CORS headers', () => {
  const origin = 'https://app.example.com';

  it('an unexpected failure (a request body that errors while read) is a 500 a browser can read', async () => {
    const log = logger();
    const handler = make({ cors: { origins: [origin] }, logger: log });
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('aborted by the client'));
      },
    });
    const response = await handler(
      new Request(URL_, {
        method: 'POST',
        headers: { origin },
        body: failing,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(500);
    expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    expect(response.headers.get('vary')).toBe('Origin');
    expect(log.lines).toEqual([
      'token handler: unexpected failure, answering 500: Error: aborted by the client',
    ]);
  });

  it('a grant whose payload cannot be written is an invalid_grant 500, with CORS headers', async () => {
    const log = logger();
    const bigint = { key: 'custom', toPayload: () => ({ n: 1n }) };
    const throwing = {
      key: 'custom',
      toPayload: () => {
        throw new TypeError('no payload today');
      },
    };
    for (const grant of [bigint, throwing]) {
      const handler = make({
        cors: { origins: [origin] },
        logger: log,
        authorize: () => ({ identity: 'alice', grants: [grant] }),
      });
      const response = await handler(new Request(URL_, { headers: { origin } }));
      expect(response.status).toBe(500);
      expect(response.headers.get('access-control-allow-origin')).toBe(origin);
    }
    expect(log.lines).toHaveLength(2);
    expect(log.lines[0]).toContain('(invalid_grant)');
    expect(log.lines[0]).toContain('TypeError: Do not know how to serialize a BigInt');
    expect(log.lines[1]).toContain('(invalid_grant)');
    expect(log.lines[1]).toContain('TypeError: no payload today');
  });
});

describe('createTokenHandler: failures are 500 with a generic body and one precise log line', () => {
  const expectGeneric = async (response: Response): Promise<void> => {
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal_error' });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  };

  it('authorize throwing: logs its error, with secrets and tokens redacted', async () => {
    const log = logger();
    const leaked = `${credentials.apiKeySecret} eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln`;
    const handler = make({
      logger: log,
      authorize: () => {
        throw new Error(`session store down (${leaked})`);
      },
    });
    await expectGeneric(await handler(new Request(URL_)));
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toContain('authorize() threw');
    expect(log.lines[0]).toContain('session store down');
    expect(log.lines[0]).not.toContain(credentials.apiKeySecret);
    expect(log.lines[0]).not.toContain('eyJ');
  });

  it('redacts a secret shorter than four characters where it stands as a word', async () => {
    const log = logger();
    const handler = make({
      logger: log,
      credentials: { ...credentials, apiKeySecret: 'k3y' },
      authorize: () => {
        throw new Error('db password k3y rejected');
      },
    });
    await expectGeneric(await handler(new Request(URL_)));
    expect(log.lines).toEqual([
      'token handler: authorize() threw, answering 500: Error: db password [redacted] rejected',
    ]);
  });

  it('an authorize result that cannot be minted: logs the code', async () => {
    const log = logger();
    for (const result of [{ identity: '' }, { identity: 'a', grants: [{}] }, 'alice']) {
      const handler = make({ logger: log, authorize: () => result as never });
      await expectGeneric(await handler(new Request(URL_)));
    }
    expect(log.lines[0]).toMatch(/invalid_identity/);
    expect(log.lines[1]).toMatch(/invalid_grant/);
    expect(log.lines[2]).toMatch(/must return \{ identity, grants \} or null/);
  });

  it('reserved identity characters: a warning, or a 500 under strictIdentity', async () => {
    const log = logger();
    const authorize = () => ({ identity: 'alice@example.com' });
    expect((await make({ logger: log, authorize })(new Request(URL_))).status).toBe(200);
    expect(log.warn).toHaveBeenCalledTimes(1);
    const strict = make({ logger: log, authorize, strictIdentity: true });
    await expectGeneric(await strict(new Request(URL_)));
    expect(log.lines.at(-1)).toMatch(/reserved_identity_characters/);
  });

  it('never logs the token it minted', async () => {
    const log = logger();
    const response = await make({ logger: log })(new Request(URL_));
    const { token } = (await response.json()) as { token: string };
    expect(log.lines.join('\n')).not.toContain(token);
  });

  it('warns about reserved identity characters once per handler, not on every request', async () => {
    const log = logger();
    const handler = make({ logger: log, authorize: () => ({ identity: 'alice@example.com' }) });
    for (let request = 0; request < 3; request++) {
      expect((await handler(new Request(URL_))).status).toBe(200);
    }
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.lines[0]).toMatch(/^token handler: identity \(17 characters\) contains "@"/);
  });
});

describe('createTokenHandler: without a logger, each cause is reported once on the console', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a throwing authorize and an unmintable result: one console.error line per cause', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    let result: unknown = 'throw';
    const handler = createTokenHandler({
      credentials,
      authorize: () => {
        if (result === 'throw') throw new Error(`store down ${credentials.apiKeySecret}`);
        return result as never;
      },
    });
    for (let request = 0; request < 3; request++) await handler(new Request(URL_));
    result = { identity: '' };
    for (let request = 0; request < 3; request++) await handler(new Request(URL_));
    expect(error).toHaveBeenCalledTimes(2);
    const lines = error.mock.calls.map(([line]) => String(line));
    expect(lines[0]).toMatch(/^@access-manager\/server: token handler: authorize\(\) threw/);
    expect(lines[0]).toContain('pass a logger');
    expect(lines[0]).not.toContain(credentials.apiKeySecret);
    expect(lines[1]).toMatch(/invalid_identity/);
  });

  it('the reserved-character warning: one console.warn line', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const handler = createTokenHandler({
      credentials,
      authorize: () => ({ identity: 'user@example.com' }),
    });
    for (let request = 0; request < 3; request++) await handler(new Request(URL_));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).not.toContain('user@example.com');
  });

  it('writes nothing to the console when a logger is given', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = logger();
    const handler = make({
      logger: log,
      authorize: () => {
        throw new Error('down');
      },
    });
    await handler(new Request(URL_));
    await handler(new Request(URL_));
    expect(log.error).toHaveBeenCalledTimes(2);
    expect(error).not.toHaveBeenCalled();
  });
});

describe('createTokenHandler: GET only by default', () => {
  it('answers GET and HEAD, and 405 to a POST, whose body is never read', async () => {
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    const handler = createTokenHandler({ credentials, authorize });
    expect((await handler(new Request(URL_))).status).toBe(200);
    expect((await handler(new Request(URL_, { method: 'HEAD' }))).status).toBe(200);
    const body = new ReadableStream({
      pull: () => {
        throw new Error('the body must not be read');
      },
    });
    const post = await handler(
      new Request(URL_, { method: 'POST', body, duplex: 'half' } as RequestInit),
    );
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(authorize).toHaveBeenCalledTimes(2);
  });
});

describe('createTokenHandler: missing or invalid credentials throw when the handler is made', () => {
  it('missing environment credentials: names the variables missing', () => {
    vi.stubEnv('TWILIO_ACCOUNT_SID', credentials.accountSid);
    vi.stubEnv('TWILIO_API_KEY', '');
    vi.stubEnv('TWILIO_API_SECRET', '');
    const authorize = vi.fn(() => ({ identity: 'alice' }));
    expect(() => createTokenHandler({ authorize })).toThrow(
      expect.objectContaining({
        code: 'missing_credentials',
        message:
          'createTokenHandler() has no Twilio credentials: pass credentials, or set TWILIO_API_KEY, TWILIO_API_SECRET in the environment.',
      }),
    );
    expect(authorize).not.toHaveBeenCalled();
  });

  it('a runtime without process.env: says to pass the credentials', () => {
    vi.stubGlobal('process', undefined);
    try {
      expect(() => createTokenHandler({ authorize: () => null })).toThrow(
        /this runtime has no process\.env: pass credentials \(on a Worker, from its env bindings\)/,
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('an invalid environment credential: names the variable, never the secret', () => {
    vi.stubEnv('TWILIO_ACCOUNT_SID', 'my-api-secret-pasted-in-the-wrong-place');
    vi.stubEnv('TWILIO_API_KEY', credentials.apiKeySid);
    vi.stubEnv('TWILIO_API_SECRET', 'my-api-secret-pasted-in-the-wrong-place');
    let thrown: unknown;
    try {
      createTokenHandler({ authorize: () => null });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AccessTokenError);
    expect((thrown as Error).message).toMatch(/TWILIO_ACCOUNT_SID must be "AC"/);
    expect((thrown as Error).message).not.toContain('my-api-secret');
  });

  it('a secret passed as a number: the error names its type, never its digits', () => {
    expect(() =>
      make({ credentials: { ...credentials, apiKeySecret: 8_675_309_123 as never } }),
    ).toThrow(
      expect.objectContaining({
        code: 'invalid_api_key_secret',
        message: 'credentials.apiKeySecret must be a non-empty string; got a number.',
      }),
    );
  });
});

describe('createTokenHandler: options that are code fail fast', () => {
  it.each([
    [{ authorize: undefined }, /authorize must be a function/],
    [{ methods: [] }, /methods must be/],
    [{ methods: ['PUT'] }, /methods must be/],
    [{ maxBodyBytes: -1 }, /maxBodyBytes/],
    [{ cors: { origins: ['https://app.example.com/'] } }, /without path or trailing slash/],
    [{ cors: { origins: ['*'] } }, /cors.origins/],
    [{ cors: { origins: [], maxAge: 1.5 } }, /maxAge/],
    [{ cors: { origins: [], allowHeaders: 'authorization' } }, /cors.allowHeaders/],
    [{ cors: { origins: [], allowHeaders: ['x-ok', 'not a header'] } }, /cors.allowHeaders/],
    [{ cors: { origins: [], allowHeaders: [42] } }, /cors.allowHeaders/],
    [{ ttl: 10 }, /ttl must be/],
    [{ region: '' }, /region/],
    [{ algorithm: 'RS256' }, /algorithm/],
    [{ now: 5 }, /now must be a function/],
  ])('%o', (options, message) => {
    expect(() => make(options as Partial<TokenHandlerOptions>)).toThrow(message);
    expect(() => make(options as Partial<TokenHandlerOptions>)).toThrow(AccessTokenError);
  });

  it('sends the allowHeaders given in the preflight', async () => {
    const origin = 'https://app.example.com';
    const handler = make({
      cors: { origins: [origin], allowHeaders: ['X-Session', 'authorization'] },
    });
    const preflight = await handler(
      new Request(URL_, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      }),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('X-Session, authorization');
  });
});

describe('createTokenHandler: whatever authorize throws, a 500 and one log line', () => {
  const throwing = (what: string): PropertyDescriptor => ({
    get() {
      throw new Error(`the ${what} getter threw`);
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const thrown: [string, () => unknown][] = [
    [
      'an error whose name getter throws',
      () => Object.defineProperty(new Error('x'), 'name', throwing('name')),
    ],
    [
      'an error whose message getter throws',
      () => Object.defineProperty(new Error('x'), 'message', throwing('message')),
    ],
    ['an object without a prototype', () => Object.create(null)],
    ['an object whose toString throws', () => ({ toString: throwing('toString').get })],
    ['a revoked proxy', () => revoked],
    [
      'a proxy that throws on every trap',
      () =>
        new Proxy(
          {},
          new Proxy(
            {},
            {
              get: () => () => {
                throw new Error('trap');
              },
            },
          ),
        ),
    ],
    ['a symbol', () => Symbol('thrown')],
  ];

  for (const [name, make_] of thrown) {
    it(`${name}, thrown or rejected`, async () => {
      for (const async of [false, true]) {
        const log = logger();
        const handler = make({
          logger: log,
          authorize: async
            ? () => Promise.reject(make_())
            : () => {
                throw make_();
              },
        });
        const response = await handler(new Request(URL_));
        expect(response.status).toBe(500);
        expect(await response.json()).toEqual({ error: 'internal_error' });
        expect(log.lines).toHaveLength(1);
        expect(log.lines[0]).toMatch(/^token handler: authorize\(\) threw, answering 500: /);
      }
    });
  }

  it('any value at all (fast-check), and a logger that throws too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything(),
        fc.boolean(),
        fc.boolean(),
        async (value, async, logThrows) => {
          let lines = 0;
          const handler = make({
            logger: {
              warn: () => {},
              error: () => {
                lines += 1;
                if (logThrows) throw new Error('logger down');
              },
            },
            authorize: async
              ? () => Promise.reject(value)
              : () => {
                  throw value;
                },
          });
          const response = await handler(new Request(URL_));
          expect(response.status).toBe(500);
          expect(lines).toBe(1);
        },
      ),
      { seed: 18, numRuns: 200 },
    );
  });
});

describe('createTokenHandler: caching, challenges and the headers a page may read', () => {
  const origin = 'https://app.example.com';

  it('sends Cache-Control: private, no-store and Pragma: no-cache (RFC 6749 §5.1) on every answer', async () => {
    const handler = make({
      authorize: (request) => (request.headers.has('x-no') ? null : { identity: 'alice' }),
    });
    const answers = [
      await handler(new Request(URL_)),
      await handler(new Request(URL_, { headers: { 'x-no': '1' } })),
      await handler(new Request(URL_, { method: 'PUT' })),
      await make({ authorize: () => ({ identity: '' }), logger: logger() })(new Request(URL_)),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 401, 405, 500]);
    for (const answer of answers) {
      expect(answer.headers.get('cache-control')).toBe('private, no-store');
      expect(answer.headers.get('pragma')).toBe('no-cache');
    }
  });

  it('challenges a 401 with WWW-Authenticate: Bearer (RFC 9110 §15.5.2), or the one given', async () => {
    const refused = await make({ authorize: () => null })(new Request(URL_));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    const own = make({ authorize: () => null, wwwAuthenticate: 'Session realm="app"' });
    expect((await own(new Request(URL_))).headers.get('www-authenticate')).toBe(
      'Session realm="app"',
    );
    const granted = await make()(new Request(URL_));
    expect(granted.headers.get('www-authenticate')).toBeNull();
  });

  it('refuses a wwwAuthenticate that is not a challenge when the handler is made', () => {
    for (const bad of ['', ' Bearer', 'Bearer\r\nSet-Cookie: a=1', 'Bearer\u0000', 42]) {
      expect(() => make({ wwwAuthenticate: bad as never })).toThrow(
        expect.objectContaining({ code: 'invalid_option' }),
      );
    }
  });

  it('exposes Date, Age and Retry-After to a listed origin, which fetchTokenFrom reads', async () => {
    const handler = make({ cors: { origins: [origin] } });
    const allowed = await handler(new Request(URL_, { headers: { origin } }));
    expect(allowed.headers.get('access-control-expose-headers')).toBe('Date, Age, Retry-After');
    const refused = await make({ cors: { origins: [origin] }, authorize: () => null })(
      new Request(URL_, { headers: { origin } }),
    );
    expect(refused.headers.get('access-control-expose-headers')).toBe('Date, Age, Retry-After');
    const other = await handler(new Request(URL_, { headers: { origin: 'https://evil.example' } }));
    expect(other.headers.get('access-control-expose-headers')).toBeNull();
  });
});

describe('createTokenHandler: a time limit on authorize', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const settledWithin = async <T>(promise: Promise<T>, ms: number): Promise<boolean> => {
    let settled = false;
    void promise.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(ms);
    return settled;
  };

  it('answers 503 authorize_timeout with one log line when authorize hangs past 10 s', async () => {
    vi.useFakeTimers();
    const log = logger();
    let late: (value: { identity: string }) => void = () => {};
    const handler = make({
      logger: log,
      cors: { origins: ['https://app.example.com'] },
      authorize: () =>
        new Promise((resolve) => {
          late = resolve;
        }),
    });
    const answer = handler(new Request(URL_, { headers: { origin: 'https://app.example.com' } }));
    expect(await settledWithin(answer, 9_999)).toBe(false);
    expect(await settledWithin(answer, 1)).toBe(true);
    const response = await answer;
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'authorize_timeout' });
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(log.lines).toEqual([
      'token handler: authorize() did not settle within 10000 ms, answering 503.',
    ]);
    late({ identity: 'alice' });
    await vi.advanceTimersByTimeAsync(1);
    expect(log.lines).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('takes authorizeTimeoutMs, 0 for none, and leaves no timer behind a prompt authorize', async () => {
    vi.useFakeTimers();
    const hanging = () => new Promise<null>(() => {});
    const short = make({ authorize: hanging, authorizeTimeoutMs: 50, logger: logger() });
    const answer = short(new Request(URL_));
    expect(await settledWithin(answer, 50)).toBe(true);
    expect((await answer).status).toBe(503);
    const unbounded = make({ authorize: hanging, authorizeTimeoutMs: 0 })(new Request(URL_));
    expect(await settledWithin(unbounded, 3_600_000)).toBe(false);
    const prompt = make({ authorize: async () => ({ identity: 'alice' }) });
    expect((await prompt(new Request(URL_))).status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('answers once, in time, whatever authorize does and when (fast-check)', async () => {
    vi.useFakeTimers();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom('grant', 'refuse', 'throw', 'hang'),
        async (limit, delay, outcome) => {
          fc.pre(delay !== limit);
          const log = logger();
          const handler = make({
            logger: log,
            authorizeTimeoutMs: limit,
            authorize: () =>
              new Promise((resolve, reject) => {
                if (outcome === 'hang') return;
                setTimeout(() => {
                  if (outcome === 'throw') reject(new Error('store down'));
                  else resolve(outcome === 'grant' ? { identity: 'alice' } : null);
                }, delay);
              }),
          });
          let answers = 0;
          const answer = handler(new Request(URL_)).then((response) => {
            answers += 1;
            return response;
          });
          await vi.advanceTimersByTimeAsync(Math.max(limit, delay) + 1);
          expect(answers).toBe(1);
          const { status } = await answer;
          const late = outcome === 'hang' || delay > limit;
          const expected = late ? 503 : { grant: 200, refuse: 401, throw: 500 }[outcome];
          expect(status).toBe(expected);
          expect(log.lines.length).toBe(status === 503 || status === 500 ? 1 : 0);
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { seed: 18, numRuns: 150 },
    );
  });

  it('refuses an authorizeTimeoutMs that is not a non-negative integer', () => {
    for (const bad of [-1, 1.5, '10', Number.NaN]) {
      expect(() => make({ authorizeTimeoutMs: bad as never })).toThrow(
        expect.objectContaining({ code: 'invalid_option' }),
      );
    }
  });
});
