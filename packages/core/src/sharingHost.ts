import type { ClockSkew } from './clockSkew.js';
import type { Logger } from './logger.js';
import type { SharedToken, TabSharingHost } from './tabSharing.js';
import type { Plan, TokenHold } from './tokenHold.js';
import type { CheckedToken } from './tokenPolicy.js';

/** What the manager hands `shareAcrossTabs`: its {@link TokenHold}, and a few reads and one act. */
export interface SharingFacts {
  hold: TokenHold;
  logger: Logger;
  /** Under `identity: 'any'`, another tab's token is held to the token held instead of the anchor. */
  identityAny: boolean;
  closed(): boolean;
  /** Whether a forced refresh is under way (the held token was refused). */
  refused(): boolean;
  adopt(checked: CheckedToken, plan: Plan): void;
  /** Another tab's clock estimate for the token held (it rests on a server time): plan anew. */
  estimate(skew: ClockSkew, plan: Plan): void;
  /** Another tab's refresh retries at this time (local clock). */
  retrying(at: number): void;
}

/** The clock offset to share with another tab: only one that rests on a stated server time. */
export const sharedOffset = (skew: ClockSkew): number | undefined =>
  skew.source === 'server' ? skew.offsetMs : undefined;

/**
 * The tab-sharing glue: what the manager lets its channel do (see `TabSharingHost`). It gives the
 * token held while it has not expired; checks another tab's token as any token, its server time
 * being this tab's clock moved by the sender's stated offset (without one, it is not taken as
 * just minted: this tab does not know when it was); and holds it to the identity and account of
 * the anchor, or of the token held under `identity: 'any'` (a tab does not change user because
 * another tab did). `tabSharing()` builds it, so that an app that does not share tabs does not
 * bundle it.
 */
export const sharingHost = ({ hold, ...facts }: SharingFacts): TabSharingHost => ({
  logger: facts.logger,
  held: () => {
    const { token, deadlines } = hold;
    // Not a token an SDK refused here: another tab would only hand it to its own SDKs.
    if (!token || !deadlines || hold.refusedNow() || hold.now() >= deadlines.expireAt) return null;
    return { jwt: token.jwt, offsetMs: sharedOffset(hold.skew) };
  },
  check: ({ jwt, offsetMs }: SharedToken) => {
    if (facts.closed()) return null;
    const serverTime = offsetMs === undefined ? undefined : hold.now() + offsetMs;
    return hold.check(jwt, { jwt, serverTime }, true, facts.identityAny ? hold.token : hold.anchor);
  },
  context: () => hold.context(facts.refused()),
  adopt: facts.adopt,
  estimate: ({ jwt, offsetMs }, plan) => {
    if (jwt !== hold.token?.jwt) return false;
    if (offsetMs !== undefined && !facts.closed()) {
      facts.estimate({ ...hold.skew, offsetMs, source: 'server' }, plan);
    }
    return true;
  },
  retrying: (at) => facts.closed() || facts.retrying(at),
});
