// Benchmarks of @access-manager/core, each side by side with a peer in the same run.
// Run: npx --yes pnpm@10 --filter @access-manager/bench-core bench   (after a build)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AccessManager } from '@access-manager/core';
import { makeToken } from '@access-manager/testing';
import FakeTimers from '@sinonjs/fake-timers';
import { BehaviorSubject } from 'rxjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const TwilioCommon = require('twilio-common');
const gc =
  globalThis.gc ??
  (() => {
    throw new Error('run with node --expose-gc');
  });
const nowS = () => Math.floor(Date.now() / 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const row = (benchmark, ours, peer, goal, met) =>
  rows.push({ benchmark, ours, peer, goal, met: met ? 'yes' : 'NO' });

// 1. Fan-out: one token update delivered to 10,000 token$ subscribers vs BehaviorSubject.next.
{
  const SUBSCRIBERS = 10_000;
  const UPDATES = 200;
  const ROUNDS = 7;
  const tokens = Array.from({ length: (ROUNDS + 1) * UPDATES + 1 }, (_, i) =>
    makeToken({ iat: nowS() - 50_000 + i, ttl: 86_400 }),
  );
  let received = 0;
  const onToken = () => {
    received++;
  };
  const manager = new AccessManager({ token: tokens[0], wakeSignals: false });
  for (let i = 0; i < SUBSCRIBERS; i++) manager.token$.subscribe(onToken);
  const subject = new BehaviorSubject(manager.getState().token);
  for (let i = 0; i < SUBSCRIBERS; i++) subject.subscribe(onToken);
  const ours = [];
  const peer = [];
  let next = 1;
  const runOurs = async () => {
    const start = next;
    const t = performance.now();
    for (let i = 0; i < UPDATES; i++) await manager.updateToken(tokens[next++]);
    const perUpdate = (performance.now() - t) / UPDATES;
    if (manager.token !== tokens[start + UPDATES - 1]) throw new Error('an update was not adopted');
    return perUpdate;
  };
  const runPeer = () => {
    const value = manager.getState().token;
    const t = performance.now();
    for (let i = 0; i < UPDATES; i++) subject.next(value);
    return (performance.now() - t) / UPDATES;
  };
  // Round 0 warms both up and is not counted; then the order alternates, so neither side always
  // runs first (after the other's garbage).
  for (let round = 0; round <= ROUNDS; round++) {
    let o;
    let p;
    if (round % 2) {
      p = runPeer();
      o = await runOurs();
    } else {
      o = await runOurs();
      p = runPeer();
    }
    if (round > 0) {
      ours.push(o);
      peer.push(p);
    }
  }
  if (received !== SUBSCRIBERS * 2 * (1 + (ROUNDS + 1) * UPDATES))
    throw new Error(`delivered ${received}`);
  const ratio = median(ours) / median(peer);
  row(
    'fan-out: 1 update to 10,000 token$ subscribers (median of 7 x 200)',
    `${(median(ours) * 1000).toFixed(0)} µs`,
    `${(median(peer) * 1000).toFixed(0)} µs (BehaviorSubject.next)`,
    '<= 1.5x',
    ratio <= 1.5,
  );
  rows.at(-1).ours += ` (${ratio.toFixed(2)}x)`;
  manager.close();
}

// 2. Memory: 10,000 idle managers, each holding its own valid token.
{
  const COUNT = 10_000;
  const measure = (create) => {
    const tokens = Array.from({ length: COUNT }, () => makeToken({ iat: nowS(), ttl: 3600 }));
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = tokens.map(create);
    gc();
    gc();
    const after = process.memoryUsage().heapUsed;
    return { perManager: (after - before) / COUNT, held };
  };
  const ours = measure((token) => new AccessManager({ token, wakeSignals: false }));
  const peer = measure((token) => new TwilioCommon.AccessManager(token));
  // let twilio-common finish its asynchronous token parsing before it is measured again
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  for (const manager of ours.held) manager.close();
  row(
    'memory: heap per idle manager (10,000 managers)',
    `${ours.perManager.toFixed(0)} B`,
    `${peer.perManager.toFixed(0)} B (twilio-common)`,
    '<= peer',
    ours.perManager <= peer.perManager,
  );
  // twilio-common has no close(): clear its timers so that the process can exit
  for (const manager of peer.held) {
    clearTimeout(manager._tokenWillExpireTimer);
    clearTimeout(manager._tokenExpiredTimer);
  }
}

// 3. Wake-ups: how often an idle manager holding a 1-hour token wakes the event loop in an hour.
{
  const countWakeUps = async (create) => {
    const clock = FakeTimers.install({
      now: Date.now(),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    let wakeUps = 0;
    const { setTimeout: fakeSetTimeout, setInterval: fakeSetInterval } = globalThis;
    const counted = (fn, args) => () => {
      wakeUps++;
      fn(...args);
    };
    globalThis.setTimeout = (fn, ms, ...args) => fakeSetTimeout(counted(fn, args), ms);
    globalThis.setInterval = (fn, ms, ...args) => fakeSetInterval(counted(fn, args), ms);
    const manager = create(makeToken({ iat: nowS(), ttl: 3600 }));
    await clock.tickAsync(3_600_000);
    globalThis.setTimeout = fakeSetTimeout;
    globalThis.setInterval = fakeSetInterval;
    manager.close?.();
    clock.uninstall();
    return wakeUps;
  };
  const ours = await countWakeUps((token) => new AccessManager({ token, wakeSignals: false }));
  const peer = await countWakeUps((token) => new TwilioCommon.AccessManager(token));
  row(
    'wake-ups: idle manager, 1-hour token, 1 hour',
    `${ours}`,
    `${peer} (twilio-common)`,
    '<= 130',
    ours <= 130,
  );
}

// 4. Bundle: the size-limit entries, and twilio-common's own minified browser bundle.
{
  const root = join(here, '..', '..');
  let out;
  try {
    out = execFileSync(join(root, 'node_modules', '.bin', 'size-limit'), ['--json'], {
      cwd: root,
      encoding: 'utf8',
    });
  } catch (error) {
    out = error.stdout; // size-limit exits non-zero when an entry is over its limit
  }
  const peer = gzipSync(readFileSync(require.resolve('twilio-common/dist/twilio-common.min.js')), {
    level: 9,
  }).length;
  // The budgets of issue 8 (Core v2): the README's integration example with its rxjs code, and
  // the whole core entry with rxjs external. AccessManager alone has no budget of its own.
  const goals = { 0: 7000, 1: 4500 };
  JSON.parse(out)
    .filter((entry) => entry.name.startsWith('core:'))
    .forEach((entry, i) => {
      row(
        `bundle (min+gz): ${entry.name}`,
        `${(entry.size / 1000).toFixed(2)} kB`,
        i === 0 ? `${(peer / 1000).toFixed(2)} kB (twilio-common.min.js)` : '',
        goals[i] ? `<= ${goals[i] / 1000} kB` : '',
        goals[i] ? entry.size <= goals[i] : true,
      );
    });
}

console.log(`Node ${process.version}, ${new Date().toISOString()}`);
console.table(rows);
process.exit(0);
