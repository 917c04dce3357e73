// The soak's judgement, as tables: which cycles count, what fails a run. (The soak itself runs
// minutes in Chromium: `node examples/demo/soak/soak.js --minutes 3`, see README.md.)
import { describe, expect, it } from 'vitest';
import { parseSoakArgs, UsageError } from './cli.js';
import { isHealthy } from './observer.js';
import { cyclesOf, failuresOf, LIMITS, stats, theilSen } from './verdict.js';

const ALL = ['conversations', 'chat', 'sync', 'voice'];
const reachedAt = (at) => Object.fromEntries(ALL.map((c) => [c, at]));

/** Three tokens adopted 14 s apart, each living 20 s; each next one reached everyone at once. */
const run = (overrides = {}) => ({
  adoptions: [
    { name: 'a/20', at: 0, expMs: 20_000 },
    { name: 'b/34', at: 14_000, expMs: 34_000 },
    { name: 'c/48', at: 28_000, expMs: 48_000 },
  ],
  requests: [13_900, 27_900],
  deliveries: { 'b/34': reachedAt(14_050), 'c/48': reachedAt(28_050) },
  windows: [],
  ...overrides,
});

describe('cyclesOf', () => {
  it('one cycle per adopted token but the last, with the fetches that started in it', () => {
    expect(cyclesOf(run())).toEqual([
      { token: 'a/20', next: 'b/34', from: 0, to: 14_000, fetches: 1, missed: [], faulted: false },
      {
        token: 'b/34',
        next: 'c/48',
        from: 14_000,
        to: 28_000,
        fetches: 1,
        missed: [],
        faulted: false,
      },
    ]);
  });

  it.each([
    ['a second fetch in the cycle', { requests: [5_000, 13_900, 27_900] }, [2, 1]],
    ['a fetch before the first adoption', { requests: [-10, 13_900, 27_900] }, [1, 1]],
    ['no fetch at all (adopted from another tab)', { requests: [27_900] }, [0, 1]],
  ])('counts fetches: %s', (_, overrides, fetches) => {
    expect(cyclesOf(run(overrides)).map((c) => c.fetches)).toEqual(fetches);
  });

  it.each([
    ['Voice got it after the old token expired', { voice: 20_001 }, ['voice']],
    ['Sync got it exactly at expiry', { sync: 20_000 }, []],
    ['Chat never got it', { chat: undefined }, ['chat']],
  ])('names the clients a delivery missed: %s', (_, change, missed) => {
    const deliveries = { ...run().deliveries, 'b/34': { ...reachedAt(14_050), ...change } };
    expect(cyclesOf(run({ deliveries }))[0].missed).toEqual(missed);
  });

  it.each([
    ['a fault inside the cycle', { from: 5_000, to: 6_000 }, [true, false]],
    ['a fault ending just before the cycle starts', { from: 0, to: 13_500 }, [true, true]],
    ['a fault after the token expired', { from: 48_500, to: 50_000 }, [false, false]],
    [
      'a fault past the first token\u2019s expiry, in the second cycle',
      { from: 21_000, to: 22_000 },
      [false, true],
    ],
  ])('marks fault cycles: %s', (_, window, faulted) => {
    expect(cyclesOf(run({ windows: [window] })).map((c) => c.faulted)).toEqual(faulted);
  });
});

describe('failuresOf', () => {
  const clean = (cycles = cyclesOf(run())) => ({
    cycles,
    heap: [{ tab: 1, slopeKbPerMin: 20, judgedMinutes: 20 }],
    faults: [{ kind: 'outage', recoveryMs: 900 }],
    outside: [],
  });

  it('passes a clean run', () => {
    expect(failuresOf(clean())).toEqual([]);
  });

  it.each([
    [
      'two fetches in a fault-free cycle',
      { cycles: cyclesOf(run({ requests: [5_000, 13_900, 27_900] })) },
      ['2 fetches in the fault-free cycle of a/20 (at most 1)'],
    ],
    [
      'a missed delivery outside a fault',
      {
        cycles: cyclesOf(
          run({ deliveries: { ...run().deliveries, 'c/48': { ...reachedAt(1), voice: 40_000 } } }),
        ),
      },
      ['c/48 did not reach voice before b/34 expired, outside a fault'],
    ],
    [
      'a leak in a long run',
      { heap: [{ tab: 2, slopeKbPerMin: 301, judgedMinutes: 24 }] },
      ['tab 2: heap grows 301 kB/min after GC (limit 300): a leak'],
    ],
    [
      'a leak in a short run',
      { heap: [{ tab: 1, slopeKbPerMin: 1_100, judgedMinutes: 2 }] },
      ['tab 1: heap grows 1100 kB/min after GC (limit 1024): a leak'],
    ],
    [
      'too few heap samples',
      { heap: [{ tab: 1, slopeKbPerMin: undefined, judgedMinutes: 0 }] },
      ['tab 1: too few heap samples to judge'],
    ],
    [
      'a fault never recovered from',
      { faults: [{ kind: 'clock 2 min behind' }] },
      ['clock 2 min behind: not recovered within 120 s'],
    ],
    [
      'a request beyond 127.0.0.1',
      { outside: ['https://sdk.twilio.com/x.mp3'] },
      ['requests beyond 127.0.0.1: https://sdk.twilio.com/x.mp3'],
    ],
    [
      'no fault-free cycle (nothing checked)',
      { cycles: cyclesOf(run({ windows: [{ from: 0, to: 60_000 }] })) },
      ['no fault-free cycle completed: nothing was checked'],
    ],
  ])('fails %s', (_, change, failures) => {
    expect(failuresOf({ ...clean(), ...change })).toEqual(failures);
  });

  it('lets a short run grow up to its own limit, not a long run', () => {
    const at = (judgedMinutes) => ({
      ...clean(),
      heap: [{ tab: 1, slopeKbPerMin: 500, judgedMinutes }],
    });
    expect(failuresOf(at(2))).toEqual([]);
    expect(failuresOf(at(LIMITS.shortJudgedMinutes))).toHaveLength(1);
  });

  it('excuses fetches and missed deliveries in fault cycles', () => {
    const cycles = cyclesOf(
      run({
        requests: [1_000, 2_000, 3_000, 13_900, 27_900],
        deliveries: { 'c/48': reachedAt(28_050) },
        windows: [{ from: 1_000, to: 3_000 }],
      }),
    );
    expect(cycles[0]).toMatchObject({ fetches: 4, missed: ALL, faulted: true });
    expect(failuresOf(clean(cycles))).toEqual([]);
  });
});

describe('theilSen and stats', () => {
  it('a steady growth is its slope, and one outlier does not move it', () => {
    const steady = [0, 1, 2, 3, 4, 5].map((i) => ({ at: i * 60_000, value: 1_000 * i }));
    expect(theilSen(steady) * 60_000).toBe(1_000);
    const spiked = steady.map((p, i) => (i === 2 ? { ...p, value: 1_000_000 } : p));
    expect(theilSen(spiked) * 60_000).toBe(1_000);
    expect(theilSen(steady.slice(0, 1))).toBeUndefined();
  });

  it('min, median and max', () => {
    expect(stats([3, 1, 2, 10])).toEqual({ n: 4, min: 1, median: 2.5, max: 10 });
    expect(stats([])).toEqual({ n: 0, min: undefined, median: undefined, max: undefined });
  });
});

describe('isHealthy', () => {
  const page = (token = 'b/34', change = {}) => ({
    token,
    status: 'valid',
    tokenStatus: 'valid',
    errorShown: false,
    rows: {
      ...Object.fromEntries(ALL.map((name) => [name, { online: true, token }])),
      video: { online: true, token: 'a/20' },
    },
    ...change,
  });
  const server = (tabs = 2, token = 'b/34') => ({
    twilio: Object.fromEntries(
      ALL.map((name) => [name, { open: Array.from({ length: tabs }, () => ({ token })) }]),
    ),
  });

  it.each([
    ['two tabs on one token, every client holding it', [page(), page()], server(), true],
    ['a frozen tab (not read)', [page(), null], server(), false],
    ['tabs on different tokens', [page(), page('c/48')], server(), false],
    ['an error shown', [page(), page('b/34', { errorShown: true })], server(), false],
    ['an expired token', [page('b/34', { tokenStatus: 'expired' }), page()], server(), false],
    ['one connection missing at the fake', [page(), page()], server(1), false],
    ['the fake sees another token', [page(), page()], server(2, 'a/20'), false],
  ])('%s', (_, pages, state, healthy) => {
    expect(isHealthy({ pages, server: state }, 2)).toBe(healthy);
  });
});

describe('parseSoakArgs', () => {
  it('has defaults, and one clear line for a mistake', () => {
    expect(parseSoakArgs([])).toMatchObject({ minutes: 30, tabs: 1, ttl: 20, quietS: 45 });
    expect(parseSoakArgs(['--minutes', '3', '--tabs', '2'])).toMatchObject({
      minutes: 3,
      tabs: 2,
    });
    expect(() => parseSoakArgs(['--tabs', '9'])).toThrow(
      new UsageError("--tabs takes a whole number from 1 to 4, not '9'."),
    );
    expect(() => parseSoakArgs(['--minute', '3'])).toThrow(/Unknown option '--minute'. Try --help/);
  });
});
