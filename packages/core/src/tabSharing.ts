import type { AccessToken } from './accessToken.js';
import { type AdoptionContext, decideAdoption, type NotAdoptedReason } from './adoption.js';
import type { Deadlines } from './deadlines.js';
import type { AccessManagerError } from './errors.js';
import type { Logger } from './logger.js';
import { type SharingFacts, sharingHost } from './sharingHost.js';
import type { CheckedToken } from './tokenPolicy.js';

/** How the managers of one browser share their tokens: what {@link tabSharing} takes. */
export interface TabSharingOptions {
  /**
   * The `BroadcastChannel` name; default `'access-manager'`. Managers share only with managers on
   * the same name, so put in it what separates users when one origin may have two signed in
   * (a user id): a tab that starts has no token yet to tell another user's from its own.
   */
  channel?: string;
  /** How long a manager that starts without a token waits for another tab's; default 150 ms. */
  waitMs?: number;
}

/**
 * A token as it travels between tabs. `offsetMs`: the sender's estimate of the server's clock
 * minus the local one, when it rests on a time the token server stated. Tabs of one browser
 * read one device clock, so that estimate holds as it is in the receiving tab, however late the
 * message comes; a server time itself would be stale by then.
 */
export interface SharedToken {
  jwt: string;
  offsetMs?: number | undefined;
}

/**
 * What a manager lets its channel do: read the token it holds, check a token as any other, judge
 * it, and adopt it as a token taken from another tab. The manager stays the one owner of its
 * token; the channel only asks.
 */
export interface TabSharingHost {
  /** The token to give another tab: the one held, while it has not expired. */
  held(): SharedToken | null;
  /** Checks a posted token exactly as any token (throws its typed error); null once closed. */
  check(token: SharedToken): CheckedToken | null;
  /** What the manager knows of the token it holds, for {@link decideSharedAdoption}. */
  context(): AdoptionContext;
  /** Adopts a checked token that another tab fetched: it plans its refresh with `followerDeadlines`. */
  adopt(checked: CheckedToken, plan: (deadlines: Deadlines) => Deadlines): void;
  /**
   * Another tab posted the token held, with its clock estimate: when it differs, this tab takes
   * it (the sender's rests on a server time it trusted) and plans anew, as a follower. True when
   * `token` is the token held.
   */
  estimate(token: SharedToken, plan: (deadlines: Deadlines) => Deadlines): boolean;
  /** Another tab's refresh retries at this time (tabs of one browser read one clock). */
  retrying(at: number): void;
  logger: Logger;
}

/**
 * The `shareAcrossTabs` option: what {@link tabSharing} returns. Given what the manager hands it,
 * it opens the manager's end of the channel, or returns null where it cannot.
 */
export type ShareAcrossTabs = (manager: SharingFacts) => TabSharing | null;

/** Why a checked token from another tab is not adopted. */
export type NotSharedReason = NotAdoptedReason | 'expires_no_later';

/**
 * Whether a token from another tab, which passed every check a token must pass, replaces the one
 * held: what {@link decideAdoption} says, and only when it expires later than the one held, or in
 * the same second with the greater JWT (a total order: every tab settles on one token). So tabs
 * never swap tokens of equal use back and forth, and every adoption moves the refresh point on or
 * makes its tab a follower. `null` to adopt, or why not. Pure.
 */
export function decideSharedAdoption(
  candidate: AccessToken,
  context: AdoptionContext,
): NotSharedReason | null {
  const { held } = context;
  if (!held || context.refusedBySdk) return decideAdoption(candidate, context);
  const later = candidate.expiresAt.getTime() - held.expiresAt.getTime();
  // Two tokens that expire in the same second (two tabs that fetched at once): the greater JWT
  // wins in every tab, so that one tab leads and the other follows, as when they expire apart.
  // Not during a forced refresh: a token of the same second was not fetched after it was forced.
  const tie = later === 0 && !context.refused && candidate.jwt > held.jwt;
  return decideAdoption(candidate, context) ?? (later > 0 || tie ? null : 'expires_no_later');
}

/**
 * The deadlines of a token taken from another tab: its refresh point a fifth of the lead later
 * than the fetching tab's, at 72-80 % of the lead before expiry instead of 90-100 %. So the tab
 * that fetched last fetches next, at least a tenth of the lead (30 s of a one-hour token) before
 * any other, and the others fetch only when it is gone, frozen or late. Jitter alone would leave
 * tabs whose refresh points fall within one fetch's round trip both fetching. Pure.
 */
export const followerDeadlines = (deadlines: Deadlines): Deadlines => ({
  ...deadlines,
  refreshAt: deadlines.refreshAt + (deadlines.expireAt - deadlines.refreshAt) / 5,
});

/**
 * One manager's end of the channel that the managers of one origin share tokens on. No lock and
 * no storage: a manager posts each token it fetches and adopts, answers a starting manager's
 * question with the token it holds, and nothing ever waits on another tab but a starting manager,
 * for `waitMs`. Two tabs that fetch at once are harmless (Twilio tokens do not rotate).
 */
export interface TabSharing {
  /** How long a starting manager waits for an answer before its first fetch. */
  readonly waitMs: number;
  /** Gives every other manager on the channel this token. */
  post(token: SharedToken | null): void;
  /**
   * Tells every other manager on the channel that this one's refresh retries at `at`: they wait
   * for its outcome instead of retrying too (a bounded wait: see `Refresher.heard`).
   */
  retrying(at: number): void;
  /** Asks the other managers for the tokens they hold; returns how long to wait for one. */
  ask(): number;
  /** Leaves the channel. Idempotent. */
  close(): void;
}

/**
 * A token another tab posted: the same checks as any token, and adopted only when it expires
 * later than the one held (`decideSharedAdoption`). Nothing is reported but a debug line: another
 * tab's token is no error of this one.
 */
function offer(host: TabSharingHost, shared: SharedToken): void {
  if (host.estimate(shared, followerDeadlines)) {
    host.logger.debug('Tab sharing: the token held, posted again.');
    return;
  }
  try {
    const checked = host.check(shared);
    if (!checked) return;
    const why = decideSharedAdoption(checked.token, host.context());
    if (!why) host.adopt(checked, followerDeadlines);
    else host.logger.debug(`Tab sharing: ${checked.token} not adopted (${why}).`);
  } catch (error) {
    host.logger.debug(`Tab sharing: ignored a token (${(error as AccessManagerError).code}).`);
  }
}

/**
 * Shares tokens with the managers of the other tabs of this origin (`BroadcastChannel`): the
 * `shareAcrossTabs` option. Injected, so that an app that does not share pays nothing for it.
 * Where there is no `BroadcastChannel`, or where the platform refuses one (an opaque origin: a
 * sandboxed iframe, a `data:` document), it does nothing, and says so in an `info` line.
 *
 * @example
 * ```ts
 * import { AccessManager, fetchTokenFrom, tabSharing } from '@access-manager/core';
 *
 * const manager = new AccessManager({
 *   fetchToken: fetchTokenFrom('/api/twilio-token'),
 *   shareAcrossTabs: tabSharing({ channel: `twilio-token:${session.userId}` }),
 * });
 * ```
 */
export const tabSharing =
  (options: TabSharingOptions = {}): ShareAcrossTabs =>
  (manager) => {
    try {
      const host = sharingHost(manager);
      const waitMs = options.waitMs ?? 150;
      // Throws where there is none, or where the platform refuses one (`NotSupportedError`).
      const channel = new BroadcastChannel(options.channel ?? 'access-manager');
      const post = (message: SharedToken | { retryAt: number } | { ask: true } | null) => {
        if (message) channel.postMessage(message);
      };
      channel.onmessage = ({ data }: MessageEvent) => {
        if (data?.ask === true) {
          post(host.held());
        } else if (Number.isFinite(data?.retryAt)) {
          host.retrying(data.retryAt);
        } else if (typeof data?.jwt === 'string') {
          const { offsetMs } = data;
          offer(host, {
            jwt: data.jwt,
            offsetMs: Number.isFinite(offsetMs) ? offsetMs : undefined,
          });
        }
      };
      // Node: a channel that only listens must not keep the process alive (as an idle timer).
      (channel as { unref?: () => void }).unref?.();
      return {
        waitMs,
        post,
        retrying: (retryAt) => post({ retryAt }),
        ask: () => {
          post({ ask: true });
          return waitMs;
        },
        close: () => {
          channel.onmessage = null;
          channel.close();
        },
      };
    } catch (error) {
      manager.logger.info(
        `Tab sharing is off: no BroadcastChannel here (${(error as Error).name}).`,
      );
      return null;
    }
  };
