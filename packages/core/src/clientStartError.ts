import { AccessManagerError, type AccessManagerErrorOptions } from './errors.js';

/**
 * A factory link's new client could not be made or readied: its factory threw or rejected,
 * `spec.start` (Voice: `register()`) rejected, or the two did not settle within `startTimeoutMs`
 * (a factory whose network call hangs). The client was shut down (one that comes late is shut
 * down as it comes); the link makes a new one after a backoff. `twilioCode`: the SDK's error
 * code, when it gave one.
 *
 * @example
 * ```ts
 * link.state$.subscribe(({ lastError }) => {
 *   if (lastError instanceof ClientStartError) console.warn('voice', lastError.twilioCode);
 * });
 * ```
 */
export class ClientStartError extends AccessManagerError {
  override name = 'ClientStartError';
  declare readonly code: 'client_start_failed';
  declare readonly twilioCode: number | undefined;
  constructor(
    message: string,
    options: AccessManagerErrorOptions & { twilioCode?: number | undefined } = {},
  ) {
    super('client_start_failed', message, { retryable: true, ...options });
    this.twilioCode = options.twilioCode;
  }
}
