/** What an SDK client tells about its token: it will expire soon, or it was refused as expired. */
export type ClientSignal = 'willExpire' | 'expired';

/**
 * What a link does about a signal: hand the client the manager's token (`push`), ask for a new
 * one (`refresh`), ask for a new one because the client's was refused (`force`), or nothing. A
 * refresh or force goes through `manager.reportSdkSignal`, which, on a push-only manager (no
 * `fetchToken`), tells the app instead (`tokenWillExpire` / `tokenExpired` with source `sdk`).
 */
export type SignalAction = 'push' | 'refresh' | 'force' | 'none';

/** What a link knows when a signal comes. Times are milliseconds on the manager's clock estimate. */
export interface SignalFacts {
  kind: ClientSignal;
  /** How long the manager's token has left; null when it holds none. */
  managerLeftMs: number | null;
  /** Whether the client holds the manager's token. */
  clientHoldsManagerToken: boolean;
  /** Whether the manager's token was pushed and the push failed (the client refused it). */
  managerTokenRefused: boolean;
  /** How long the token the client holds has left; null when unknown. */
  clientLeftMs: number | null;
  /** How long the token the client held before the last push has left, if that push changed it. */
  previousLeftMs: number | null;
  /** Time since the last push that changed the client's token (Infinity: none). */
  sinceChangeMs: number;
  /** Whether the manager has a refresh planned. */
  refreshPlanned: boolean;
  /** How long after a change a warning is taken to be about the token before. */
  cooldownMs: number;
}

/** Twilio's three-minute warning, plus half a minute of clock error. */
export const WARNING_HORIZON_MS = 210_000;

/**
 * What an SDK signal means, as a pure function of what the link knows (tested as a table):
 * 1. The client is behind the manager: it needs the manager's token, not a new one (unless the
 *    client just refused that very token).
 * 2. `expired`: the client's token was refused, so a new one is needed: force.
 * 3. `willExpire` about the token before (a push changed the client's token moments ago, or the
 *    previous token is still valid: a Voice Device keeps the old token's timer):
 *    nothing. About a token in its last minutes by the manager's reckoning, with a refresh
 *    planned: nothing, the plan covers it. Otherwise, and in particular when the manager thinks
 *    the token has long to live (Twilio's clock disagrees with ours: that is what the warning is
 *    for): refresh.
 */
export function decideSignal(facts: SignalFacts): SignalAction {
  const { cooldownMs } = facts;
  // (null, for no token, is never valid, nor near its end.)
  if (
    !facts.clientHoldsManagerToken &&
    (facts.managerLeftMs ?? 0) > 0 &&
    !facts.managerTokenRefused
  ) {
    return 'push';
  }
  if (facts.kind === 'expired') return 'force';
  // While the token before is still valid (give or take the cooldown, for clock error), a warning
  // may be its own: a Voice Device keeps the old token's timer after `updateToken`.
  const aboutPrevious =
    facts.sinceChangeMs < cooldownMs || (facts.previousLeftMs ?? -Infinity) > -cooldownMs;
  if (aboutPrevious) return 'none';
  if ((facts.clientLeftMs ?? Infinity) <= WARNING_HORIZON_MS && facts.refreshPlanned) return 'none';
  return 'refresh';
}
