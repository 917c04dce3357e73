import { AbortedError, ClosedError, TokenRefusedError } from './errors.js';
import { current, type ManagerHost } from './managerHost.js';
import type { AccessManagerEvent } from './types.js';

/** What an SDK's signal reads of the manager, and asks of it. */
export interface SignalHost
  extends Pick<ManagerHost, 'hold' | 'closed' | 'resets' | 'report' | 'publish' | 'refresh'> {
  emit(event: AccessManagerEvent): void;
}

/**
 * `AccessManager.reportSdkSignal`: what an attached SDK client said of the token it holds.
 * `expired` marks the token refused (once, however many SDKs refuse it); then, with `fetchToken`,
 * a refresh (forced when refused), or, push-only, the event for the app to act on: at most one
 * `tokenExpired`, and one `tokenWillExpire`, per token within 10 s (`TokenHold.tell`) whoever said it
 * first (the manager's deadline or an SDK); no warning after a token's `tokenExpired`. A subscriber
 * that hears the refusal and pushes a replacement ends it; one that signs out aborts it.
 */
export function reportSdkSignal(
  host: SignalHost,
  kind: 'willExpire' | 'expired',
): Promise<unknown> {
  const { hold } = host;
  const token = hold.token;
  const resets = host.resets();
  const live = current(host);
  if (host.closed()) return Promise.reject(new ClosedError());
  // Refused now, not already by another SDK (that one's tokenExpired was given).
  const refused = kind === 'expired' && hold.refuse();
  if (refused) {
    // Token after token refused, each adopted for the one refused before: not one gone stale.
    const { refusals } = hold;
    if (refusals > 1) {
      const why = `${refusals} tokens refused in a row, the last ${token}: is the token server's clock behind?`;
      host.report(new TokenRefusedError(why, { retryable: true }));
    }
    host.publish();
  }
  // A subscriber that heard the refusal pushed a replacement: nothing more to do for it.
  if (token && hold.token !== token && live()) {
    return Promise.resolve();
  }
  // A subscriber that heard the refusal signed the user out: nothing to refresh for them.
  if (resets !== host.resets())
    return Promise.reject(new AbortedError('The AccessManager was reset.'));
  if (host.refresh) return host.refresh({ reason: 'sdk', force: kind === 'expired' });
  const held = hold.held();
  // Push-only, the app is asked: once for what SDKs say at one moment, again when they say it again.
  const type = kind === 'expired' ? 'tokenExpired' : 'tokenWillExpire';
  if (held && hold.tell(type)) {
    const { token } = held;
    const expiresInMs = Math.max(0, held.expireAt - hold.now());
    host.emit(
      type === 'tokenExpired'
        ? { type, token, source: 'sdk' }
        : { type, token, expiresInMs, source: 'sdk' },
    );
  }
  return Promise.resolve();
}
