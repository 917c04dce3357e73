import type { AccessToken } from './accessToken.js';

/** Why a valid token was not adopted. */
export type NotAdoptedReason = 'same_token' | 'expires_sooner';

/** What the manager knows of the token it holds when another valid token comes. */
export interface AdoptionContext {
  /** The token held, if any. */
  held: AccessToken | null;
  /** Whether the held token needs replacing: past its refresh point, or expired. */
  due: boolean;
  /** Whether the held token was refused (an SDK said so, through a forced refresh). */
  refused: boolean;
  /**
   * Whether an SDK refused the held token itself (`reportSdkSignal('expired')`): then any other
   * valid token is better than it, even one that expires sooner (a token minted while the token
   * server's clock was ahead outlives every fresh one).
   */
  refusedBySdk?: boolean;
}

/** How much later than the held token a candidate is minted to replace a refused one. */
const MINTED_AFTER_MS = 60_000;

const mintedAfter = (candidate: AccessToken, held: AccessToken): boolean =>
  !!candidate.issuedAt &&
  !!held.issuedAt &&
  candidate.issuedAt.getTime() - held.issuedAt.getTime() >= MINTED_AFTER_MS;

/**
 * Whether a token that passed every check replaces the one held: `null` to adopt, or why not.
 * Usefulness is judged by `exp`, and by `iat` only a minute apart (token servers behind one
 * load balancer have clocks seconds apart): when the held token is due or was refused, one that
 * expires sooner is no better, unless an SDK refused the held token itself, or the held token
 * was refused and the candidate was minted at least a minute after it; otherwise the newest
 * answer wins.
 * The token held is never adopted again. Pure.
 */
export function decideAdoption(
  candidate: AccessToken,
  context: AdoptionContext,
): NotAdoptedReason | null {
  const { held } = context;
  if (!held) return null;
  if (candidate.jwt === held.jwt) return 'same_token';
  if (context.refusedBySdk) return null;
  if ((context.due || context.refused) && candidate.expiresAt < held.expiresAt) {
    // Refused, the held token is no good: one minted a minute or more after it (past any spread
    // of the servers' clocks) is the server's answer now, though it lives shorter (the held one
    // came another way with a longer life); without it the forced refresh never ends.
    if (context.refused && mintedAfter(candidate, held)) return null;
    return 'expires_sooner';
  }
  return null;
}
