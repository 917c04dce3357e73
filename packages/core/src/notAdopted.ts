import type { AccessToken } from './accessToken.js';
import { decideAdoption } from './adoption.js';
import type { Logger } from './logger.js';
import type { TokenHold } from './tokenHold.js';
import type { AccessManagerEvent } from './types.js';

/** What telling why a token is not adopted reads of the manager, and where it tells it. */
export interface NotAdoptedHost {
  readonly hold: TokenHold;
  readonly logger: Logger;
  emit(event: AccessManagerEvent): void;
}

/**
 * Why a valid token is not adopted (see {@link decideAdoption}), in words for an error message,
 * logged and emitted as `tokenNotAdopted`; undefined when it is adopted. `refused`: a forced
 * refresh is under way (the held token was refused).
 */
export function whyNotAdopted(
  host: NotAdoptedHost,
  token: AccessToken,
  refused: boolean,
): string | undefined {
  const { hold } = host;
  const reason = decideAdoption(token, hold.context(refused));
  if (!reason) return undefined;
  const why = reason === 'same_token' ? 'is the token held' : `expires sooner than ${hold.token}`;
  host.logger.info(`Not adopted: ${token} ${why}.`);
  host.emit({ type: 'tokenNotAdopted', token, reason });
  return why;
}
