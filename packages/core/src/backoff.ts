/**
 * Delay before retry number `attempt` (1-based): exponential, capped at `maxDelayMs`, with full
 * jitter (a uniform draw between 0 and the cap) so that many clients do not retry in step.
 */
export const backoffDelay = (
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number => {
  // A `random` outside [0, 1) (a raw Uint32, NaN) would give a delay of hours or NaN: the middle.
  const r = random();
  return (
    (r >= 0 && r < 1 ? r : 0.5) * Math.min(maxDelayMs, minDelayMs * 2 ** Math.max(0, attempt - 1))
  );
};
