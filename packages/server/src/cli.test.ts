import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { type CliIo, main } from './cli.js';
import { decodeAccessToken } from './decodeAccessToken.js';
import { mintAccessToken } from './mintAccessToken.js';

const bin = fileURLToPath(new URL('../bin/access-manager.js', import.meta.url));
const built = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const env = {
  TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_API_KEY: 'SKfedcba9876543210fedcba9876543210',
  TWILIO_API_SECRET: 'cli-test-secret-value',
};

function run(args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  // The bin runs the build: turbo builds this package before its tests (packages/server/turbo.json).
  if (!existsSync(built))
    throw new Error('Build @access-manager/server first: dist/cli.js is missing.');
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...(options.env ?? env) },
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function inProcess(args: string[], overrides: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const code = main(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    now: () => Date.UTC(2026, 0, 1, 0, 0, 0),
    stdin: () => '',
    ...overrides,
  });
  return { code, stdout, stderr };
}

describe('access-manager (spawned)', () => {
  it('mints a token from the environment credentials, and decodes and verifies it', async () => {
    const minted = run([
      'mint',
      '--identity',
      'alice',
      '--chat',
      'IS00000000000000000000000000000001',
      '--sync',
      'IS00000000000000000000000000000002',
      '--voice-app',
      'AP00000000000000000000000000000001',
      '--video',
      '--ttl',
      '7200',
    ]);
    expect(minted.stderr).toBe('');
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const { payload } = await jwtVerify(token, new TextEncoder().encode(env.TWILIO_API_SECRET));
    expect(payload['grants']).toEqual({
      identity: 'alice',
      chat: { service_sid: 'IS00000000000000000000000000000001' },
      data_sync: { service_sid: 'IS00000000000000000000000000000002' },
      voice: { outgoing: { application_sid: 'AP00000000000000000000000000000001' } },
      video: {},
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(7200);

    const decoded = run(['decode', '-', '--verify'], { input: minted.stdout });
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toMatch(/^header +alg HS256, typ JWT, cty twilio-fpa;v=1$/m);
    expect(decoded.stdout).toMatch(/^identity +alice$/m);
    expect(decoded.stdout).toMatch(
      /^ {2}chat +\{"service_sid":"IS00000000000000000000000000000001"\}$/m,
    );
    expect(decoded.stdout).toMatch(/^expires +\d{4}-\d\d-\d\dT[\d:.]+Z \(in (1h 59m 5\d|2h)s?\)$/m);
    expect(decoded.stdout).toMatch(/^signature +verified \(HS256\)$/m);
  });

  it('exits 1 with one line when the signature does not match, without echoing the secret', () => {
    const token = run(['mint', '--identity', 'alice']).stdout.trim();
    const result = run(['decode', token, '--secret-stdin'], { input: 'the-wrong-secret\n' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('invalid_signature');
    expect(result.stderr).not.toContain('the-wrong-secret');
  });

  it('takes both the secret and the token on standard input with "-", neither in argv', () => {
    const token = run(['mint', '--identity', 'alice']).stdout.trim();
    const both = run(['decode', '-', '--secret-stdin'], {
      input: `${env.TWILIO_API_SECRET}\n${token}\n`,
    });
    expect(both.stderr).toBe('');
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/^identity +alice$/m);
    expect(both.stdout).toMatch(/^signature +verified \(HS256\)$/m);
    const wrong = run(['decode', '-', '--secret-stdin'], { input: `not-it\n${token}\n` });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('invalid_signature');
    expect(wrong.stderr).not.toContain(token);
    const noToken = run(['decode', '-', '--secret-stdin'], { input: `${env.TWILIO_API_SECRET}\n` });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/the token on the next line/);
    expect(noToken.stderr).not.toContain(env.TWILIO_API_SECRET);
  });

  it('ends quietly when the reader of its output has gone (a closed pipe)', async () => {
    const child = spawn(process.execPath, [bin, 'mint', '--identity', 'alice'], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // As `access-manager mint ... | (exec 0<&-)`: the reading end closes before anything is
    // written, so the write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });

  it('verifies with a secret from standard input or from a named variable', () => {
    const token = run(['mint', '--identity', 'alice']).stdout.trim();
    const stdin = run(['decode', token, '--secret-stdin'], {
      input: `${env.TWILIO_API_SECRET}\n`,
    });
    expect(stdin.stderr).toBe('');
    expect(stdin.stdout).toMatch(/^signature +verified \(HS256\)$/m);
    const named = run(['decode', token, '--verify', '--secret-env', 'MY_SECRET'], {
      env: { MY_SECRET: env.TWILIO_API_SECRET },
    });
    expect(named.stdout).toMatch(/^signature +verified \(HS256\)$/m);
  });

  it('prints its version, and runs from a clone as the README says', () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(run(['--version']).stdout).toBe(`${version}\n`);
    // README: "node packages/server/bin/access-manager.js ..." from the root of a clone.
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const fromClone = spawnSync(
      process.execPath,
      ['packages/server/bin/access-manager.js', '--version'],
      { cwd: root, encoding: 'utf8', timeout: 10_000 },
    );
    expect(fromClone.stdout).toBe(`${version}\n`);
  });

  it('exits 1 with a coded line for a token whose alg is an inherited name such as "constructor"', () => {
    const [, payload, signature] = run(['mint', '--identity', 'alice']).stdout.trim().split('.');
    const header = Buffer.from('{"alg":"constructor"}').toString('base64url');
    const result = run(['decode', `${header}.${payload}.${signature}`, '--verify']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(/^access-manager: .*\(invalid_signature\)$/);
  });

  it('exits non-zero with one line for missing credentials, a bad ttl, a usage error', () => {
    const missing = run(['mint', '--identity', 'alice'], { env: {} });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'access-manager: Set TWILIO_ACCOUNT_SID, TWILIO_API_KEY, TWILIO_API_SECRET in the environment. (missing_credentials)\n',
    );
    const ttl = run(['mint', '--identity', 'alice', '--ttl', '60']);
    expect(ttl.code).toBe(1);
    expect(ttl.stderr).toBe(
      'access-manager: --ttl 60 is under 180 seconds; add --allow-short-ttl to allow it (development and tests only). (invalid_ttl)\n',
    );
    const usage = run(['mint', '--identity', 'alice', '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'access-manager: Unknown option \'--bogus\'. Run "access-manager help".\n',
    );
  });
});

describe('access-manager (in process)', () => {
  it('prints help', () => {
    const { code, stdout } = inProcess(['help']);
    expect(code).toBe(0);
    expect(stdout).toContain('access-manager mint --identity');
  });

  it('uses the clock for the token and for "expires in"', () => {
    const minted = inProcess(['mint', '--identity', 'bob', '--video', 'room-1', '--region', 'ie1']);
    const { header, payload } = decodeAccessToken(minted.stdout.trim());
    expect(header.twr).toBe('ie1');
    expect(payload).toMatchObject({ iat: 1_767_225_600, grants: { video: { room: 'room-1' } } });
    const later = inProcess(['decode', minted.stdout.trim()], {
      now: () => Date.UTC(2026, 0, 1, 2, 0, 0),
    });
    expect(later.stdout).toMatch(/^expires +2026-01-01T01:00:00.000Z \(expired 1h ago\)$/m);
    expect(later.stdout).toMatch(/^header .*region ie1$/m);
    expect(later.stdout).toMatch(/^signature +not verified/m);
  });

  it('adds incoming voice, warns about reserved identity characters, passes the algorithm', () => {
    const result = inProcess([
      'mint',
      '--identity',
      'a@b.c',
      '--voice-incoming',
      '--algorithm',
      'HS512',
      '--ttl',
      '30',
      '--allow-short-ttl',
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^access-manager: warning: identity .* "@"/);
    const { header, payload } = decodeAccessToken(result.stdout.trim());
    expect(header.alg).toBe('HS512');
    expect(payload.grants).toEqual({ identity: 'a@b.c', voice: { incoming: { allow: true } } });
    const strict = inProcess(['mint', '--identity', 'a@b.c', '--strict-identity']);
    expect(strict.code).toBe(1);
  });

  it('says what was typed for a bad --ttl, in its own words', () => {
    expect(inProcess(['mint', '--identity', 'a', '--ttl', 'abc']).stderr).toBe(
      'access-manager: --ttl must be a whole number of seconds from 180 to 86400; got "abc". (invalid_ttl)\n',
    );
    expect(inProcess(['mint', '--identity', 'a', '--ttl', '-5']).stderr).toBe(
      'access-manager: --ttl must be a whole number of seconds from 180 to 86400; got "-5". (invalid_ttl)\n',
    );
    expect(inProcess(['mint', '--identity', 'a', '--ttl', '90000']).stderr).toBe(
      'access-manager: --ttl must be from 180 to 86400 seconds; got "90000". (invalid_ttl)\n',
    );
    expect(
      inProcess(['mint', '--identity', 'a', '--ttl', '0', '--allow-short-ttl']).stderr,
    ).toMatch(/--ttl must be from 1 to 86400 seconds; got "0"/);
    const missing = inProcess(['mint', '--identity', 'a', '--ttl']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'access-manager: --ttl needs a value. Run "access-manager help".\n',
    );
    expect(inProcess(['mint', '--identity', '--chat', 'IS1']).stderr).toMatch(
      /^access-manager: --identity needs a value\./,
    );
  });

  it('checks service and application SIDs for their prefix', () => {
    const sid = '00000000000000000000000000000001';
    expect(inProcess(['mint', '--identity', 'a', '--chat', `IS${sid}`]).code).toBe(0);
    const cases = [
      ['--chat', `AP${sid}`, /--chat must be a Conversations \(Chat\) service SID, "IS" followed/],
      [
        '--sync',
        'IS123',
        /--sync must be a Sync service SID, .*got 5 characters starting with "IS"/,
      ],
      ['--voice-app', `IS${sid}`, /--voice-app must be a TwiML application SID, "AP"/],
    ] as const;
    for (const [flag, value, message] of cases) {
      const result = inProcess(['mint', '--identity', 'a', flag, value]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/\(invalid_option\)\n$/);
    }
  });

  it('refuses a secret on the command line, without echoing it', () => {
    const result = inProcess(['decode', 'a.b.c', '--secret', 'typed-secret-value']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--secret is not taken on the command line/);
    expect(result.stderr).not.toContain('typed-secret-value');
  });

  it('rejects malformed tokens and usage errors with one line, never the token', () => {
    const token = mintAccessToken({
      accountSid: env.TWILIO_ACCOUNT_SID,
      apiKeySid: env.TWILIO_API_KEY,
      apiKeySecret: env.TWILIO_API_SECRET,
      identity: 'alice',
    });
    const malformed = inProcess(['decode', `${token}.extra`]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/malformed_token/);
    expect(malformed.stderr).not.toContain(token);
    expect(inProcess(['decode']).code).toBe(2);
    expect(inProcess([]).code).toBe(2);
    expect(inProcess(['frobnicate']).stderr).toMatch(/Unknown command "frobnicate"/);
    expect(inProcess(['mint']).stderr).toMatch(/mint needs --identity/);
    const noSecret = inProcess(['decode', token, '--verify'], { env: {} });
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toMatch(/--verify needs TWILIO_API_SECRET to be set/);
    const emptyStdin = inProcess(['decode', token, '--secret-stdin'], { stdin: () => '\n' });
    expect(emptyStdin.code).toBe(1);
    expect(emptyStdin.stderr).toMatch(/found no secret on standard input/);
    expect(inProcess(['decode', '-', '--secret-stdin']).code).toBe(2);
  });
});
