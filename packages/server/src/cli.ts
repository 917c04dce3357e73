import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type AccessTokenPayload,
  type DecodedAccessToken,
  decodeAccessToken,
  verifyAccessTokenSignature,
} from './decodeAccessToken.js';
import { AccessTokenError, MissingCredentialsError } from './errors.js';
import { ChatGrant, type Grant, SyncGrant, VideoGrant, VoiceGrant } from './grants.js';
import { redact } from './logger.js';
import { mintAccessToken } from './mintAccessToken.js';
import type { Algorithm } from './validation.js';

/** Where the command line reads and writes; injectable so that tests run it in-process too. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Reads standard input, for `decode -`. */
  stdin(): string;
}

const usage = `Usage:
  access-manager mint --identity <id> [grants] [--ttl <seconds>] [--region <r>] [--algorithm HS256|HS384|HS512]
      grants: --chat <IS...>  --sync <IS...>  --voice-app <AP...>  --voice-incoming  --video [room]
      credentials from TWILIO_ACCOUNT_SID, TWILIO_API_KEY, TWILIO_API_SECRET
      --allow-short-ttl (ttl under 180 s, for development)  --strict-identity
  access-manager decode <jwt | -> [--secret <secret> | --verify]
      prints header, grants and expiry; checks the signature with --secret, or with
      TWILIO_API_SECRET under --verify
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

function mint(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({
    args: withOptionalVideoRoom(args),
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
  let ttl: number | undefined;
  if (values.ttl !== undefined) {
    ttl = /^\d+$/.test(values.ttl) ? Number(values.ttl) : Number.NaN;
  }
  const token = mintAccessToken({
    accountSid: io.env['TWILIO_ACCOUNT_SID']!,
    apiKeySid: io.env['TWILIO_API_KEY']!,
    apiKeySecret: io.env['TWILIO_API_SECRET']!,
    identity: values.identity,
    grants,
    ttl,
    region: values.region,
    algorithm: values.algorithm as Algorithm | undefined,
    allowShortTtl: values['allow-short-ttl'] === true,
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
  const { values, positionals } = parseArgs({
    args,
    options: { secret: { type: 'string' }, verify: { type: 'boolean' } },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError('decode takes one token.');
  const given = positionals[0];
  const token = given === undefined || given === '-' ? io.stdin().trim() : given;
  if (token === '') throw new UsageError('decode needs a token (or "-" to read standard input).');
  let secret = values.secret;
  if (secret === undefined && values.verify) {
    secret = io.env['TWILIO_API_SECRET'];
    if (!secret) throw new MissingCredentialsError('--verify needs TWILIO_API_SECRET to be set.');
  }
  if (secret === undefined) {
    io.stdout(
      describeToken(decodeAccessToken(token), 'not verified (pass --secret or --verify)', io.now()),
    );
    return 0;
  }
  const decoded = verifyAccessTokenSignature(token, secret);
  io.stdout(describeToken(decoded, `verified (${String(decoded.header.alg)})`, io.now()));
  return 0;
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
  // Whatever goes wrong, the line printed must not echo a secret or a token given to us.
  const secrets = [io.env['TWILIO_API_SECRET']];
  const secretAt = args.findIndex((arg) => arg === '--secret' || arg.startsWith('--secret='));
  if (secretAt >= 0) {
    const arg = args[secretAt]!;
    secrets.push(arg === '--secret' ? args[secretAt + 1] : arg.slice('--secret='.length));
  }
  try {
    if (command === 'mint') return mint(args, io);
    if (command === 'decode') return decode(args, io);
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
