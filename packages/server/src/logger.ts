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

/**
 * Replaces every occurrence of the given secrets, and anything shaped like a JWT, so that a log
 * line built from a foreign error message (an `authorize` callback's, say) cannot leak either.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let safe = text.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[token]');
  for (const secret of secrets) {
    // A one- or two-character "secret" would blank out ordinary words; such a secret is
    // rejected by validation anyway, and the message then names its length only.
    if (secret !== undefined && secret.length >= 4) safe = safe.split(secret).join('[redacted]');
  }
  return safe;
}
