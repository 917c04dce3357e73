import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type AccessTokenPayload,
  type DecodedAccessToken,
  decodeAccessToken,
  verifyAccessTokenSignature,
} from './decodeAccessToken.js';
import {
  AccessTokenError,
  InvalidOptionError,
  InvalidTtlError,
  MissingCredentialsError,
} from './errors.js';
import { ChatGrant, type Grant, SyncGrant, VideoGrant, VoiceGrant } from './grants.js';
import { redact } from './logger.js';
import { mintAccessToken } from './mintAccessToken.js';
import { type Algorithm, MAX_TTL, MIN_TTL } from './validation.js';

/** Where the command line reads and writes; injectable so that tests run it in-process too. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Reads standard input, for `decode -` and `--secret-stdin`. */
  stdin(): string;
}

const version = (): string =>
  (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

const usage = `Usage:
  access-manager mint --identity <id> [grants] [--ttl <seconds>] [--region <r>] [--algorithm HS256|HS384|HS512]
      grants: --chat <IS...>  --sync <IS...>  --voice-app <AP...>  --voice-incoming  --video [room]
      credentials from TWILIO_ACCOUNT_SID, TWILIO_API_KEY, TWILIO_API_SECRET
      --allow-short-ttl (ttl under 180 s, for development)  --strict-identity
  access-manager decode <jwt | -> [--verify [--secret-env <NAME>] | --secret-stdin]
      prints header, grants and expiry; "-" reads the token from standard input; --verify
      checks the signature with the secret in TWILIO_API_SECRET (or the variable --secret-env
      names), --secret-stdin with the secret read from the first line of standard input (with
      "-", the token is on the next line)
  access-manager --version
`;

class UsageError extends Error {
  override name = 'UsageError';
}

/** `--video` takes an optional room: with no value, it grants every room. */
function withOptionalVideoRoom(args: readonly string[]): string[] {
  return args.map((arg, index) => {
    const next = args[index + 1];
    return arg === '--video' && (next === undefined || next.startsWith('-')) ? '--video=' : arg;
  });
}

/** What a user typed, for an error message: quoted, and cut if long. */
const typed = (value: string): string =>
  JSON.stringify(value.length > 24 ? `${value.slice(0, 24)}...` : value);

/**
 * Options that take a value get it, or our own message: node:util's parser would call `--ttl -5`
 * ambiguous and `--ttl` at the end "argument missing". A value that looks like a negative number
 * is taken as the value, for the option's own check to judge.
 */
function withValues(args: readonly string[], valued: ReadonlySet<string>): string[] {
  const result: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!valued.has(arg)) {
      result.push(arg);
      continue;
    }
    const next = args[index + 1];
    if (next === undefined || (next.startsWith('-') && !/^-\d/.test(next))) {
      throw new UsageError(`${arg} needs a value.`);
    }
    result.push(`${arg}=${next}`);
    index += 1;
  }
  return result;
}

function parseTtl(value: string, allowShort: boolean): number {
  const range = `from ${allowShort ? 1 : MIN_TTL} to ${MAX_TTL}`;
  if (!/^\d+$/.test(value)) {
    throw new InvalidTtlError(
      `--ttl must be a whole number of seconds ${range}; got ${typed(value)}.`,
    );
  }
  const ttl = Number(value);
  if (!allowShort && ttl >= 1 && ttl < MIN_TTL) {
    throw new InvalidTtlError(
      `--ttl ${ttl} is under ${MIN_TTL} seconds; add --allow-short-ttl to allow it (development and tests only).`,
    );
  }
  if (ttl < (allowShort ? 1 : MIN_TTL) || ttl > MAX_TTL) {
    throw new InvalidTtlError(`--ttl must be ${range} seconds; got ${typed(value)}.`);
  }
  return ttl;
}

const sidPattern = (prefix: string): RegExp => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);

/** A service or application SID: its prefix and 32 hex characters, as for the account and key. */
function checkSid(value: string | undefined, flag: string, prefix: string, what: string): void {
  if (value === undefined || sidPattern(prefix).test(value)) return;
  // Named by length and first characters, as the other SID slots are: never echoed in full.
  const shown =
    value === ''
      ? 'an empty value'
      : `${value.length} characters starting with ${JSON.stringify(value.slice(0, 2))}`;
  throw new InvalidOptionError(
    `${flag} must be ${what}, "${prefix}" followed by 32 hexadecimal characters; got ${shown}.`,
  );
}

const mintValued = new Set([
  '--identity',
  '--chat',
  '--sync',
  '--voice-app',
  '--ttl',
  '--region',
  '--algorithm',
]);

function mint(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: withValues(withOptionalVideoRoom(args), mintValued),
    options: {
      identity: { type: 'string' },
      chat: { type: 'string' },
      sync: { type: 'string' },
      'voice-app': { type: 'string' },
      'voice-incoming': { type: 'boolean' },
      video: { type: 'string' },
      ttl: { type: 'string' },
      region: { type: 'string' },
      algorithm: { type: 'string' },
      'allow-short-ttl': { type: 'boolean' },
      'strict-identity': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`mint takes no argument "${positionals[0]}".`);
  if (values.identity === undefined) throw new UsageError('mint needs --identity.');
  const missing = ['TWILIO_ACCOUNT_SID', 'TWILIO_API_KEY', 'TWILIO_API_SECRET'].filter(
    (name) => !io.env[name],
  );
  if (missing.length > 0) {
    throw new MissingCredentialsError(`Set ${missing.join(', ')} in the environment.`);
  }
  checkSid(values.chat, '--chat', 'IS', 'a Conversations (Chat) service SID');
  checkSid(values.sync, '--sync', 'IS', 'a Sync service SID');
  checkSid(values['voice-app'], '--voice-app', 'AP', 'a TwiML application SID');
  const allowShort = values['allow-short-ttl'] === true;
  const ttl = values.ttl === undefined ? undefined : parseTtl(values.ttl, allowShort);
  const grants: Grant[] = [];
  if (values.chat !== undefined) grants.push(new ChatGrant({ serviceSid: values.chat }));
  if (values.sync !== undefined) grants.push(new SyncGrant({ serviceSid: values.sync }));
  if (values['voice-app'] !== undefined || values['voice-incoming']) {
    grants.push(
      new VoiceGrant({
        outgoingApplicationSid: values['voice-app'],
        incomingAllow: values['voice-incoming'] === true,
      }),
    );
  }
  if (values.video !== undefined) grants.push(new VideoGrant({ room: values.video || undefined }));
  const token = mintAccessToken({
    accountSid: io.env['TWILIO_ACCOUNT_SID']!,
    apiKeySid: io.env['TWILIO_API_KEY']!,
    apiKeySecret: io.env['TWILIO_API_SECRET']!,
    identity: values.identity,
    grants,
    ttl,
    region: values.region,
    algorithm: values.algorithm as Algorithm | undefined,
    allowShortTtl: allowShort,
    strictIdentity: values['strict-identity'] === true,
    logger: { warn: (message) => io.stderr(`access-manager: warning: ${message}\n`) },
    now: io.now,
  });
  io.stdout(`${token}\n`);
  return 0;
}

function duration(totalSeconds: number): string {
  const seconds = Math.abs(totalSeconds);
  const parts = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ] as const;
  const shown = parts.filter(([amount]) => amount > 0).map(([amount, unit]) => `${amount}${unit}`);
  return shown.length > 0 ? shown.join(' ') : '0s';
}

const time = (value: unknown): string =>
  typeof value === 'number' && Number.isFinite(value)
    ? new Date(value * 1000).toISOString()
    : `(not a number: ${JSON.stringify(value)})`;

function describeToken(decoded: DecodedAccessToken, verified: string, nowMs: number): string {
  const { header, payload } = decoded;
  const claims = payload as AccessTokenPayload;
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(value === '' ? label : `${label.padEnd(11)}${value}`);
  };
  row(
    'header',
    Object.entries(header)
      .map(([key, value]) => `${key === 'twr' ? 'region' : key} ${String(value)}`)
      .join(', '),
  );
  if (claims.jti !== undefined) row('id', String(claims.jti));
  if (claims.sub !== undefined) row('account', String(claims.sub));
  if (claims.iss !== undefined) row('api key', String(claims.iss));
  const grants =
    claims.grants !== null && typeof claims.grants === 'object'
      ? (claims.grants as Record<string, unknown>)
      : {};
  row('identity', grants['identity'] === undefined ? '(none)' : String(grants['identity']));
  const entries = Object.entries(grants).filter(([key]) => key !== 'identity');
  row('grants', entries.length === 0 ? '(none)' : '');
  for (const [key, value] of entries) lines.push(`  ${key.padEnd(12)}${JSON.stringify(value)}`);
  if (claims.iat !== undefined) row('issued', time(claims.iat));
  if (claims.nbf !== undefined) row('not before', time(claims.nbf));
  if (typeof claims.exp === 'number') {
    const left = Math.floor(claims.exp - nowMs / 1000);
    const when = left > 0 ? `in ${duration(left)}` : `expired ${duration(left)} ago`;
    row('expires', `${time(claims.exp)} (${when})`);
    if (typeof claims.iat === 'number') row('lifetime', duration(claims.exp - claims.iat));
  } else {
    row('expires', claims.exp === undefined ? '(no exp claim)' : time(claims.exp));
  }
  row('signature', verified);
  return `${lines.join('\n')}\n`;
}

function decode(args: string[], io: CliIo): number {
  if (args.some((arg) => arg === '--secret' || arg.startsWith('--secret='))) {
    throw new UsageError(
      '--secret is not taken on the command line, where ps and shell history show it: use --verify with TWILIO_API_SECRET set (or --secret-env <NAME>), or --secret-stdin.',
    );
  }
  const { values, positionals } = parseArgs({
    args: withValues(args, new Set(['--secret-env'])),
    options: {
      verify: { type: 'boolean' },
      'secret-env': { type: 'string' },
      'secret-stdin': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError('decode takes one token.');
  const fromStdin = values['secret-stdin'] === true;
  const variable = values['secret-env'];
  if (fromStdin && (values.verify || variable !== undefined)) {
    throw new UsageError(
      '--secret-stdin reads the secret from standard input: drop --verify and --secret-env.',
    );
  }
  const given = positionals[0];
  if (fromStdin && given === undefined) {
    throw new UsageError(
      'With --secret-stdin the secret is on standard input: give the token as an argument, or "-" to read it from the line after the secret.',
    );
  }
  // Standard input is read once: it may hold the secret and then the token.
  const lines = fromStdin || given === undefined || given === '-' ? io.stdin() : '';
  let token: string;
  let secret: string | undefined;
  if (fromStdin) {
    const [first, ...rest] = lines.split(/\r?\n/);
    secret = first;
    if (given === '-') {
      // Neither in argv, where `ps` and shell history would show them.
      token = rest.join('\n').trim();
      if (!secret || token === '') {
        throw new UsageError(
          'With --secret-stdin and "-", standard input holds the secret on its first line and the token on the next line.',
        );
      }
    } else {
      token = given!;
    }
    if (!secret)
      throw new MissingCredentialsError('--secret-stdin found no secret on standard input.');
  } else {
    token = given === undefined || given === '-' ? lines.trim() : given;
  }
  if (token === '') throw new UsageError('decode needs a token (or "-" to read standard input).');
  if (!fromStdin && (values.verify || variable !== undefined)) {
    const name = variable ?? 'TWILIO_API_SECRET';
    secret = io.env[name];
    if (!secret) throw new MissingCredentialsError(`--verify needs ${name} to be set.`);
  }
  if (secret === undefined) {
    io.stdout(
      describeToken(
        decodeAccessToken(token),
        'not verified (pass --verify or --secret-stdin)',
        io.now(),
      ),
    );
    return 0;
  }
  const decoded = verifyAccessTokenSignature(token, secret);
  io.stdout(describeToken(decoded, `verified (${String(decoded.header.alg)})`, io.now()));
  return 0;
}

/**
 * What the command does when its output cannot be written. A reader that went away
 * (`access-manager mint ... | head -c0`) makes the write fail with EPIPE, which Node reports as
 * an unhandled 'error' event with a stack trace: instead, the command ends at once, silently,
 * with 141 (128 + SIGPIPE), the status a shell shows for a C tool killed by the same closed pipe.
 * Any other write error is one line on standard error and status 1.
 */
export function exitOnOutputError(error: NodeJS.ErrnoException): never {
  if (error.code !== 'EPIPE') {
    try {
      process.stderr.write(
        `access-manager: cannot write the output (${error.code ?? 'write error'}).\n`,
      );
    } catch {}
  }
  process.exit(error.code === 'EPIPE' ? 141 : 1);
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  now: () => Date.now(),
  stdin: () => readFileSync(0, 'utf8'),
};

/**
 * The `access-manager` command: `mint` prints a token minted with the credentials of the
 * environment, `decode` prints a token's header, grants and expiry. Returns the exit code: 0, 1
 * for an error (one line on standard error), 2 for a usage error.
 *
 * @example
 * ```sh
 * access-manager mint --identity alice --chat IS0123... --ttl 3600 | access-manager decode - --verify
 * ```
 */
export function main(argv: readonly string[], io: CliIo = processIo): number {
  const [command, ...args] = argv;
  // Whatever goes wrong, the line printed must not echo a secret or a token given to us (a
  // secret typed after --secret, which is refused, included).
  const secrets = [io.env['TWILIO_API_SECRET']];
  const named = args.indexOf('--secret-env');
  if (named >= 0 && args[named + 1] !== undefined) secrets.push(io.env[args[named + 1]!]);
  const secretAt = args.findIndex((arg) => arg === '--secret' || arg.startsWith('--secret='));
  if (secretAt >= 0) {
    const arg = args[secretAt]!;
    secrets.push(arg === '--secret' ? args[secretAt + 1] : arg.slice('--secret='.length));
  }
  try {
    if (command === 'mint') return mint(args, io);
    if (command === 'decode') return decode(args, io);
    if (command === '--version' || command === '-v' || command === 'version') {
      io.stdout(`${version()}\n`);
      return 0;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      io.stdout(usage);
      return 0;
    }
    throw new UsageError(
      command === undefined ? 'Missing command.' : `Unknown command "${command.slice(0, 20)}".`,
    );
  } catch (error) {
    // node:util's parseArgs throws TypeErrors coded ERR_PARSE_ARGS_*.
    const usageError =
      error instanceof UsageError ||
      String((error as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS');
    // parseArgs appends a paragraph on positionals after "--": the first sentence is the point.
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /\. To specify a positional.*$/s,
      '.',
    );
    const code = error instanceof AccessTokenError ? ` (${error.code})` : '';
    const hint = usageError ? ' Run "access-manager help".' : '';
    io.stderr(`access-manager: ${redact(message.split('\n')[0]!, secrets)}${code}${hint}\n`);
    return usageError ? 2 : 1;
  }
}
