#!/usr/bin/env node
// The soak: the demo in headless Chromium for a while, faults injected through the page's own
// controls, then a table. See README.md beside this file.
//
//   npx --yes pnpm@10 soak --minutes 30 --tabs 2
//   node examples/demo/soak/soak.js --minutes 3
//
// Exit status: 0 passed, 1 failed (the table says why), 2 a mistake on the command line, 3 the
// soak could not run (no browser, the demo did not start).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from '@access-manager/testing';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../startDemoServer.js';
import { parseSoakArgs, USAGE, UsageError } from './cli.js';
import { FAULTS } from './faults.js';
import { Observer } from './observer.js';
import { formatTable } from './table.js';
import { cyclesOf, failuresOf, LIMITS, theilSen } from './verdict.js';

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line) => console.error(`soak ${new Date().toISOString().slice(11, 19)} ${line}`);

/** Thrown when the soak cannot run at all (exit 3), as opposed to a run that failed (exit 1). */
class CannotRun extends Error {}

// ---- the demo server ---------------------------------------------------------------------------

/**
 * Starts examples/demo/server.js on a free port, preloaded with exitWithParent.js, so that it goes
 * away with this process even when this one is killed.
 */
async function startDemo(ttl, cleanups) {
  const {
    child,
    log: lines,
    url: started,
  } = startDemoServer(ttl, {
    preload: join(here, 'exitWithParent.js'),
    timeoutMs: 60_000,
  });
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  });
  const url = await started.catch((error) => {
    throw new CannotRun(error.message);
  });
  const rss = () => {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return kb ? Number(kb[1]) * 1024 : undefined;
    } catch {
      return undefined; // not Linux, or the server is gone
    }
  };
  return { url, rss, lines };
}

// ---- the browser -------------------------------------------------------------------------------

/** One tab of the demo, with a DevTools session for memory figures and freezes. */
async function openTab(context, url, index, errors, sockets) {
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.page.push(`tab ${index + 1}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.console.push(message.text());
  });
  page.on('websocket', (socket) => {
    const address = new URL(socket.url());
    const name = address.pathname === '/signal' ? 'voice /signal' : `ws :${address.port}`;
    sockets.set(name, (sockets.get(name) ?? 0) + 1);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const cdp = await context.newCDPSession(page);
  return { index: index + 1, page, cdp, frozen: false };
}

/** Heap after a GC, and Chromium's DOM counters, of a tab that is not frozen. */
async function memoryOf(tab) {
  await tab.cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await tab.cdp.send('Runtime.getHeapUsage');
  const { nodes, jsEventListeners } = await tab.cdp.send('Memory.getDOMCounters');
  return { heap: usedSize, nodes, listeners: jsEventListeners };
}

// ---- the run -----------------------------------------------------------------------------------

async function soak(options, cleanups) {
  if (!hasChromium()) throw new CannotRun(`no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`);
  const startedAt = Date.now();
  const endAt = startedAt + options.minutes * 60_000;
  const errors = { console: [], page: [] };
  const sockets = new Map();
  const outside = [];
  const requests = [];

  log(`starting the demo (${options.ttl} s tokens)`);
  const demo = await startDemo(options.ttl, cleanups);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  cleanups.push(() => Promise.race([browser.close(), sleep(10_000)]));
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  context.on('request', (request) => {
    const address = new URL(request.url());
    if (address.hostname !== '127.0.0.1') outside.push(request.url());
    else if (address.pathname === '/token') requests.push(Date.now());
  });
  const tabs = [];
  for (let i = 0; i < options.tabs; i++) {
    tabs.push(await openTab(context, demo.url, i, errors, sockets));
  }
  log(`${demo.url} open in ${tabs.length} tab${tabs.length > 1 ? 's' : ''}`);
  if (options.leakKbPerMin) {
    // A deliberate leak, to see the leak check fail: every 5 s, a twelfth of the rate, in plain
    // arrays of doubles (8 bytes each, on the V8 heap: a typed array's bytes are not).
    await tabs[0].page.evaluate(
      (doubles) => {
        const kept = [];
        globalThis.soakLeak = kept;
        setInterval(() => kept.push(new Array(doubles).fill(Math.random())), 5_000);
      },
      Math.round((options.leakKbPerMin * 1024) / 12 / 8),
    );
  }

  const observer = new Observer({ url: demo.url, tabs });
  observer.start();
  cleanups.push(() => observer.stop());

  // ---- warm-up: every tab and client on one token
  const windows = [];
  const warm = await waitFor(observer, (now) => now.healthy, startedAt + 90_000);
  if (!warm) throw new CannotRun('the demo did not become healthy within 90 s of start');
  windows.push({ kind: 'start', from: startedAt, to: warm.at + 2_000 });
  log(`healthy ${((warm.at - startedAt) / 1000).toFixed(1)} s after start`);

  // ---- memory, every so often, from the end of warm-up
  const samples = tabs.map(() => []);
  const rss = [];
  const sampleEveryMs = Math.min(60_000, Math.max(10_000, (options.minutes * 60_000) / 30));
  const sampleMemory = async () => {
    for (const tab of tabs) {
      if (tab.frozen) continue;
      try {
        samples[tab.index - 1].push({ at: Date.now(), ...(await memoryOf(tab)) });
      } catch {
        // A tab busy or closing: the next sample counts.
      }
    }
    const bytes = demo.rss();
    if (bytes !== undefined) rss.push(bytes);
  };
  await sampleMemory();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await sleep(sampleEveryMs);
      if (sampling) await sampleMemory();
    }
  })();

  // ---- faults, one at a time, each after a quiet spell
  const ctx = {
    tabs,
    /** A tab to work the page's controls from: the first one not frozen. */
    page: () => tabs.find((t) => !t.frozen).page,
    click: (selector) => ctx.page().click(selector, { timeout: 10_000 }),
    select: (selector, value) => ctx.page().selectOption(selector, value, { timeout: 10_000 }),
    /** The page's toggle, clicked until the server says it is as wanted. */
    setDown: async (down) => {
      for (let i = 0; i < 5; i++) {
        if ((await observer.serverState()).down === down) return;
        await ctx.click('#toggle-down');
        await sleep(1_200); // the page reads the server's state each second
      }
      throw new Error(`the token server did not go ${down ? 'down' : 'up'}`);
    },
    // Headless Chromium keeps a visible page running under Page.setWebLifecycleState 'frozen'
    // (see the demo's e2e): the debugger's pause is what stops its timers.
    freeze: async (i) => {
      const tab = tabs[i];
      tab.frozen = true;
      await tab.cdp.send('Debugger.enable');
      await tab.cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
      await tab.cdp.send('Debugger.pause');
    },
    thaw: async (i) => {
      const tab = tabs[i];
      await tab.cdp.send('Debugger.resume');
      await tab.cdp.send('Page.setWebLifecycleState', { state: 'active' });
      await tab.cdp.send('Debugger.disable');
      tab.frozen = false;
    },
  };
  cleanups.push(async () => {
    for (const tab of tabs) if (tab.frozen) await ctx.thaw(tab.index - 1).catch(() => {});
  });

  const faults = [];
  let quietFrom = warm.at;
  for (let n = 0; ; n++) {
    const fault = FAULTS[n % FAULTS.length];
    const startAt = quietFrom + options.quietS * 1000;
    // Only a fault that can end, and be recovered from, before the run does.
    if (startAt + (fault.durationMs ?? 0) + 10_000 > endAt) break;
    await sleep(startAt - Date.now());
    const record = await runFault(fault, ctx, observer);
    faults.push(record);
    windows.push({ kind: fault.kind, from: record.injectedAt, to: record.endedAt + 2_000 });
    log(
      `${fault.what}: ${record.recoveryMs === undefined ? 'NOT recovered' : `recovered in ${(record.recoveryMs / 1000).toFixed(2)} s`}`,
    );
    quietFrom = record.endedAt;
  }
  await sleep(endAt - Date.now());

  sampling = false;
  await sampler;
  await sampleMemory();
  await observer.stop();
  const server = await observer.serverState();
  return summarize({
    options,
    browserVersion: browser.version(),
    observer,
    requests,
    windows,
    faults,
    samples,
    rss,
    errors,
    sockets,
    outside,
    server,
    warmAt: warm.at,
  });
}

/** Resolves with the first snapshot for which `check` holds, or undefined at `deadline`. */
async function waitFor(observer, check, deadline) {
  while (Date.now() < deadline) {
    const now = await observer.next();
    if (check(now)) return now;
  }
  return undefined;
}

/** Injects a fault, lifts it, and waits for recovery; returns what it measured. */
async function runFault(fault, ctx, observer) {
  const before = await observer.next();
  const injectedAt = Date.now();
  await fault.inject(ctx);
  let from = injectedAt;
  if (fault.durationMs) {
    await sleep(fault.durationMs);
    await fault.lift(ctx);
    from = Date.now();
  }
  const deadline = from + LIMITS.recoveryMs;
  const back = await waitFor(observer, (now) => fault.recovered(now, before), deadline);
  if (fault.fromNextAdoption) {
    from = observer.adoptions.find((a) => a.at > injectedAt)?.at ?? from;
  }
  const endedAt = back?.at ?? Date.now();
  return {
    kind: fault.kind,
    injectedAt,
    endedAt,
    recoveryMs: back ? Math.max(0, back.at - from) : undefined,
  };
}

// ---- the summary -------------------------------------------------------------------------------

function summarize(run) {
  const { observer, samples, options } = run;
  const cycles = cyclesOf({
    adoptions: observer.adoptions,
    requests: run.requests,
    deliveries: observer.deliveries,
    windows: run.windows,
  });
  // The leak check starts past warm-up: a page's first minute fills caches and compiles code.
  const judgeFrom = run.warmAt + Math.max(60_000, (options.minutes * 60_000) / 5);
  const heap = samples.map((tabSamples, i) => {
    const judged = tabSamples.filter((s) => s.at >= judgeFrom);
    const slope = theilSen(judged.map((s) => ({ at: s.at, value: s.heap })));
    return {
      tab: i + 1,
      samples: judged.length,
      judgedMinutes: judged.length > 1 ? (judged.at(-1).at - judged[0].at) / 60_000 : 0,
      first: tabSamples[0]?.heap,
      last: tabSamples.at(-1)?.heap,
      slopeKbPerMin: slope === undefined ? undefined : (slope * 60_000) / 1024,
      listenersFirst: tabSamples[0]?.listeners,
      listenersLast: tabSamples.at(-1)?.listeners,
      nodesFirst: tabSamples[0]?.nodes,
      nodesLast: tabSamples.at(-1)?.nodes,
    };
  });
  const summary = {
    options,
    browserVersion: run.browserVersion,
    cycles,
    faults: run.faults,
    heap,
    rssBytes: {
      first: run.rss[0],
      last: run.rss.at(-1),
      max: run.rss.length ? Math.max(...run.rss) : undefined,
    },
    errors: run.errors,
    sockets: [...run.sockets.entries()].sort(),
    outside: run.outside,
    tokenServer: run.server.fetches,
    polls: observer.polls,
    // The series behind the figures, for the JSON only.
    memory: samples,
    rssSeries: run.rss,
    windows: run.windows,
  };
  summary.failures = failuresOf(summary);
  return summary;
}

// ---- main --------------------------------------------------------------------------------------

let options;
try {
  options = parseSoakArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`soak: ${error.message}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const cleanups = [];
let cleaned;
const cleanUp = () => {
  cleaned ??= (async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.race([Promise.resolve().then(cleanup), sleep(15_000)]).catch(() => {});
    }
  })();
  return cleaned;
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    cleanUp().finally(() => process.exit(130));
  });
}
// A run that hangs (a browser that stops answering) ends anyway, cleaned up, and fails.
const watchdog = setTimeout(
  () => {
    log('the run took 10 minutes longer than asked: stopping');
    cleanUp().finally(() => process.exit(3));
  },
  (options.minutes + 10) * 60_000,
);

let status;
try {
  const summary = await soak(options, cleanups);
  console.log(formatTable(summary));
  if (options.json) writeFileSync(options.json, `${JSON.stringify(summary, null, 1)}\n`);
  status = summary.failures.length ? 1 : 0;
} catch (error) {
  console.error(`soak: ${error instanceof CannotRun ? '' : 'failed: '}${error?.stack ?? error}`);
  status = error instanceof CannotRun ? 3 : 1;
} finally {
  await cleanUp();
  clearTimeout(watchdog);
}
process.exit(status);
