/**
 * Where the manager reports what it does. It never calls `console` by itself, and no token ever
 * reaches a log line: tokens are named by `jti` and expiry. `console` fits as it is.
 *
 * @example
 * ```ts
 * new AccessManager({ fetchToken, logger: console });
 * ```
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const ignore = (): void => {};

/** The default logger: says nothing. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
