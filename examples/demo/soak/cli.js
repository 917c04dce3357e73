// The soak's command line: its options, its usage, and one clear line for every mistake.
import { parseArgs } from 'node:util';

export const USAGE = `Usage: npx --yes pnpm@10 soak [options]
       node examples/demo/soak/soak.js [options]

Runs the demo (the real Conversations, Chat, Sync and Voice clients against the local fake
Twilio endpoints) in headless Chromium for a while, injects faults through the page's own
controls (and the debugger, for freezes), and prints a table: cycles, fetches per cycle,
deliveries missed, recovery per fault kind, heap and listeners, server RSS, console errors.
Exits 1 on a leak (heap slope), a delivery missed outside a fault, more than one fetch in a
fault-free cycle, a fault not recovered from, or a request beyond 127.0.0.1.

Options:
  --minutes N       how long, 1 to 1440 (default 30)
  --tabs N          pages of the demo open in one browser, 1 to 4 (default 1)
  --ttl SECONDS     token lifetime, 15 to 600 (default 20)
  --quiet SECONDS   fault-free time after each recovery, before the next fault (default 45)
  --json PATH       also write every figure as JSON to PATH
  --leak-kb-per-min N
                    make the first tab leak N kB a minute (to see the leak check fail)
  --help            print this and exit

CHROMIUM_PATH names the browser (default /usr/bin/chromium).`;

/** A mistake on the command line: printed as one line, never as a stack trace. */
export class UsageError extends Error {
  name = 'UsageError';
}

const whole = (name, raw, min, max) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not '${raw}'.`);
  }
  return value;
};

/** The options, checked: `{ help: true }`, or every option with its default. */
export function parseSoakArgs(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        minutes: { type: 'string', default: '30' },
        tabs: { type: 'string', default: '1' },
        ttl: { type: 'string', default: '20' },
        quiet: { type: 'string', default: '45' },
        json: { type: 'string' },
        'leak-kb-per-min': { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    const first = String(error.message).split('. ')[0].replace(/\.$/, '');
    throw new UsageError(`${first}. Try --help.`);
  }
  if (values.help) return { help: true };
  return {
    help: false,
    minutes: whole('minutes', values.minutes, 1, 1440),
    tabs: whole('tabs', values.tabs, 1, 4),
    ttl: whole('ttl', values.ttl, 15, 600),
    quietS: whole('quiet', values.quiet, 10, 3600),
    json: values.json,
    leakKbPerMin: whole('leak-kb-per-min', values['leak-kb-per-min'], 0, 100_000),
  };
}
