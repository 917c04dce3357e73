/**
 * Where this package reports what it notices. It never calls `console` by itself, and no secret or
 * token ever reaches a log line. `console`, pino and the core package's `Logger` fit as they are.
 *
 * @example
 * ```ts
 * createTokenHandler({ authorize, logger: console });
 * ```
 */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

const regExpSpecial = /[\\^$.*+?()[\]{}|/]/g;

/**
 * Replaces the given secrets, and anything shaped like a JWT, so that a log line built from a
 * foreign error message (an `authorize` callback's, say) cannot leak either. A secret of four
 * characters or more is replaced wherever it appears. A shorter one (Twilio's are 32 characters,
 * but the validation accepts any non-empty string) is replaced where it stands as a whole token,
 * not next to a letter, a digit or `_`: replacing it inside words would blank them out, and
 * there it says nothing about the secret that the word does not.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let safe = text.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[token]');
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    if (secret.length >= 4) {
      safe = safe.split(secret).join('[redacted]');
    } else {
      const escaped = secret.replace(regExpSpecial, '\\$&');
      const whole = new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu');
      safe = safe.replace(whole, '[redacted]');
    }
  }
  return safe;
}
