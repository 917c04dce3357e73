import { type AccessManagerError, StaleTokenError } from './errors.js';
import { current, type ManagerHost } from './managerHost.js';

/** What a pushed token reads of the manager, and asks of it. */
export type PushHost = Pick<
  ManagerHost,
  'hold' | 'closed' | 'resets' | 'whyNot' | 'adopt' | 'report' | 'publish' | 'refresh'
>;

const noop = (): void => {};

/**
 * `AccessManager.updateToken`: checks a token the app pushed and adopts it, or throws why not (a
 * typed error, also reported) and keeps the token held; an expired one starts a refresh when the
 * manager can fetch. The same token again is a no-op, unless an SDK refused it. Synchronous, so
 * that the token is held when `updateToken` returns its promise.
 */
export function adoptPushed(host: PushHost, token: string): void {
  const { hold } = host;
  if (hold.token && token === hold.token.jwt && !hold.refusedNow()) return;
  // A subscriber that heard of it signed the user out, or closed: the app that moved on hears nothing.
  const live = current(host);
  try {
    const checked = hold.check(token);
    const why = host.whyNot(checked.token, false);
    if (why) throw new StaleTokenError(`Token ${checked.token.id} ${why}.`);
    host.adopt(checked);
  } catch (error) {
    // The caller hears why in any case.
    if (!live()) throw error;
    host.report(error as AccessManagerError);
    // Unless an error subscriber signed the user out (or closed): then nothing is fetched.
    const expired = (error as AccessManagerError).code === 'token_expired';
    if (expired && host.refresh && live()) {
      host.refresh({ reason: 'expired', force: false }).catch(noop);
    }
    host.publish();
    throw error;
  }
}
