/**
 * A draw of `random`, or 0.5 when it is outside [0, 1) (a raw Uint32, NaN): such a draw would put
 * a retry or a refresh hours out, past the token's expiry, or at NaN (never).
 */
export const draw = (random: () => number): number => {
  const r = random();
  return r >= 0 && r < 1 ? r : 0.5;
};

/**
 * Delay before retry number `attempt` (1-based): exponential, capped at `maxDelayMs`, with full
 * jitter (a uniform draw between 0 and the cap) so that many clients do not retry in step.
 */
export const backoffDelay = (
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number => draw(random) * Math.min(maxDelayMs, minDelayMs * 2 ** Math.max(0, attempt - 1));
