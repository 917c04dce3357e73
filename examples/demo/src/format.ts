/** The time of day of a moment, on this device's clock: `14:03:27`. */
export const clockTime = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/**
 * A duration as a person reads it: `4.2 s` under 10 s, `42 s` under 90 s, then `12 min 5 s`,
 * then `2 h 5 min`. Negative durations read as their size (callers say "ago" or "in").
 */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 10_000) return `${(abs / 1000).toFixed(1)} s`;
  const seconds = Math.round(abs / 1000);
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** A signed clock offset in minutes or seconds: `+2 min`, `-10 min`, `+0.3 s`. */
export const offset = (ms: number): string => `${ms < 0 ? '-' : '+'}${duration(ms)}`;
