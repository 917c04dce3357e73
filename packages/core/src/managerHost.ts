import type { AccessToken } from './accessToken.js';
import type { AccessManagerError } from './errors.js';
import type { TokenHold } from './tokenHold.js';
import type { CheckedToken } from './tokenPolicy.js';
import type { RefreshReason } from './types.js';

/**
 * What the manager's parts (the refresher, a pushed token, an SDK's signal) read of it, its
 * {@link TokenHold}, and ask of it. The manager builds one object for all of them; each part
 * declares the slice it uses (`RefreshHost`, `PushHost`, `SignalHost`).
 */
export interface ManagerHost {
  readonly hold: TokenHold;
  closed(): boolean;
  /** How many times the manager was reset (see `EventDelivery.resets`). */
  resets(): number;
  report(error: AccessManagerError): void;
  /** Why a valid token is not adopted, in words (and its `tokenNotAdopted`); undefined to adopt. */
  whyNot(token: AccessToken, refused: boolean): string | undefined;
  adopt(checked: CheckedToken): void;
  /** Publishes the state on `state$` if it changed. */
  publish(): void;
  /** The manager's `refresh()`; undefined without `fetchToken` (push-only). */
  refresh: ((options: { reason: RefreshReason; force: boolean }) => Promise<unknown>) | undefined;
}

/**
 * From now on, while the manager is neither closed nor reset: false once the user a step was for
 * moved on (a subscriber that heard of it signed out or closed), so that the step says and does
 * nothing more.
 */
export function current(host: Pick<ManagerHost, 'closed' | 'resets'>): () => boolean {
  const resets = host.resets();
  return () => !host.closed() && host.resets() === resets;
}
