// What the soak concludes from what it recorded. Pure functions of the records, tested as tables
// in verdict.test.js: the runner (soak.js) only records and prints.

/** The real SDK clients whose deliveries count: each takes every token by updateToken. */
export const DELIVERED_TO = ['conversations', 'chat', 'sync', 'voice'];

/** The limits a run is judged by. Generous on purpose: the soak runs on loaded machines. */
export const LIMITS = {
  /**
   * Heap after GC, growth per minute past warm-up (Theil-Sen slope, per tab), for a run judged
   * over 10 minutes or more. 30 min of the demo grew 13.3 to 13.4 MB (issue 21); a leak of one
   * SDK client or subscription per cycle is hundreds of kB a cycle, several MB a minute.
   */
  heapKbPerMin: 300,
  /**
   * The same for a shorter run: in its first minutes the page still grows as it fills its
   * 200-line timeline (3-minute runs: 122 to 276 kB/min, with the DOM nodes 640 → 1,050).
   */
  heapKbPerMinShort: 1024,
  /** A run judged over fewer minutes than this is short. */
  shortJudgedMinutes: 10,
  /** A fault not recovered from within this long fails the run. */
  recoveryMs: 120_000,
  /** Most fetches a fault-free cycle may make. */
  fetchesPerCycle: 1,
};

/** min, median, max and n of some numbers; undefined fields for none. */
export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (!n) return { n: 0, min: undefined, median: undefined, max: undefined };
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n, min: sorted[0], median, max: sorted[n - 1] };
}

/**
 * Theil-Sen slope of points `{ at, value }` (value per ms): the median of the slopes between
 * every pair. One noisy sample (a GC that left something, a fault's allocations) moves it little,
 * where a least-squares slope would follow it. Undefined for fewer than two points.
 */
export function theilSen(points) {
  const slopes = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dt = points[j].at - points[i].at;
      if (dt > 0) slopes.push((points[j].value - points[i].value) / dt);
    }
  }
  return slopes.length ? stats(slopes).median : undefined;
}

const overlaps = (from, to, windows) => windows.some((w) => from <= w.to && to >= w.from);

/**
 * The refresh cycles of a run. A cycle is the life of one adopted token: from its adoption (first
 * seen in any tab) to the next adoption. Its fetches are the requests to /token that started in
 * it (the one that brought the next token among them). Its delivery is the next token reaching
 * each real client, as the fake Twilio endpoint saw it, before this token expired (`expMs`, on
 * the fakes' clock, which is this machine's). The last adoption starts a cycle that did not end:
 * it is left out. A cycle that touches a fault window (or start-up) is a fault cycle.
 *
 * @param {object} run
 * @param {Array<{ name: string, at: number, expMs: number }>} run.adoptions in order of `at`
 * @param {number[]} run.requests start times of the requests to /token
 * @param {Record<string, Record<string, number>>} run.deliveries token name → client → when the
 *   fake received it on the last of that client's connections to get it
 * @param {Array<{ from: number, to: number }>} run.windows faults and start-up
 * @param {string[]} [run.clients] the clients a delivery must reach
 */
export function cyclesOf({ adoptions, requests, deliveries, windows, clients = DELIVERED_TO }) {
  const cycles = [];
  for (let k = 0; k + 1 < adoptions.length; k++) {
    const token = adoptions[k];
    const next = adoptions[k + 1];
    const fetches = requests.filter((at) => at >= token.at && at < next.at).length;
    const reached = deliveries[next.name] ?? {};
    const missed = clients.filter((client) => !(reached[client] <= token.expMs));
    const end = Math.max(next.at, token.expMs);
    cycles.push({
      token: token.name,
      next: next.name,
      from: token.at,
      to: next.at,
      fetches,
      missed,
      faulted: overlaps(token.at - 1_000, end, windows),
    });
  }
  return cycles;
}

/** The heap growth allowed to a run whose heap was judged over `judgedMinutes`. */
export const heapLimitKbPerMin = (judgedMinutes, limits = LIMITS) =>
  judgedMinutes >= limits.shortJudgedMinutes ? limits.heapKbPerMin : limits.heapKbPerMinShort;

/**
 * The failures of a run, in words; none for a run that passed.
 *
 * @param {object} summary
 * @param {ReturnType<typeof cyclesOf>} summary.cycles
 * @param {Array<{ tab: number, slopeKbPerMin?: number, judgedMinutes: number }>} summary.heap
 * @param {Array<{ kind: string, recoveryMs?: number }>} summary.faults
 * @param {string[]} summary.outside requests beyond 127.0.0.1
 */
export function failuresOf({ cycles, heap, faults, outside }, limits = LIMITS) {
  const failures = [];
  const clean = cycles.filter((c) => !c.faulted);
  if (!clean.length) failures.push('no fault-free cycle completed: nothing was checked');
  for (const cycle of clean) {
    if (cycle.fetches > limits.fetchesPerCycle) {
      failures.push(
        `${cycle.fetches} fetches in the fault-free cycle of ${cycle.token} (at most ${limits.fetchesPerCycle})`,
      );
    }
    if (cycle.missed.length) {
      failures.push(
        `${cycle.next} did not reach ${cycle.missed.join(', ')} before ${cycle.token} expired, outside a fault`,
      );
    }
  }
  for (const { tab, slopeKbPerMin, judgedMinutes } of heap) {
    const limit = heapLimitKbPerMin(judgedMinutes, limits);
    if (slopeKbPerMin === undefined) failures.push(`tab ${tab}: too few heap samples to judge`);
    else if (slopeKbPerMin > limit) {
      failures.push(
        `tab ${tab}: heap grows ${Math.round(slopeKbPerMin)} kB/min after GC (limit ${limit}): a leak`,
      );
    }
  }
  for (const fault of faults) {
    if (fault.recoveryMs === undefined) {
      failures.push(`${fault.kind}: not recovered within ${limits.recoveryMs / 1000} s`);
    }
  }
  if (outside.length) failures.push(`requests beyond 127.0.0.1: ${outside.slice(0, 3).join(', ')}`);
  return failures;
}
