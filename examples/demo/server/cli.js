// The demo server's command line: its options, its usage, and one clear line for every mistake.
import { parseArgs } from 'node:util';

export const USAGE = `Usage: node examples/demo/server.js [options]

Starts the access-manager demo on one local address: the page, a /token endpoint, and the fake
Twilio endpoints (twilsock for Conversations, Chat and Sync; Voice signaling) the real SDK
clients on the page connect to. No Twilio account needed.

Options:
  --ttl SECONDS   lifetime of each token, 10 to 86400 (default 3600; below Twilio's 180 s
                  minimum only for local use)
  --port PORT     port of the page and /token, 0 for any free one (default 4173)
  --host HOST     address to listen on (default 127.0.0.1). The fake Twilio endpoints always
                  listen on 127.0.0.1: open the page on this machine.
  --help          print this and exit

With TWILIO_ACCOUNT_SID, TWILIO_API_KEY and TWILIO_API_SECRET set, the tokens are real and the
SDKs connect to Twilio instead (see examples/demo/README.md).`;

/** A mistake on the command line: printed as one line, never as a stack trace. */
export class UsageError extends Error {
  name = 'UsageError';
}

/**
 * The options, checked: `{ help: true }` for --help, else `{ ttl, port, host }`. Throws
 * {@link UsageError} with a message fit to print as it is.
 */
export function parseCommandLine(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ttl: { type: 'string', default: '3600' },
        port: { type: 'string', default: '4173' },
        host: { type: 'string', default: '127.0.0.1' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    // Node's own wording ("Unknown option '--x'. To specify a positional argument...") is
    // longer than the mistake: keep its first sentence.
    const first = String(error.message).split('. ')[0].replace(/\.$/, '');
    throw new UsageError(`${first}. Try --help.`);
  }
  if (values.help) return { help: true };
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 10 || ttl > 86_400) {
    throw new UsageError(`--ttl takes whole seconds from 10 to 86400, not '${values.ttl}'.`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port takes a port number from 0 to 65535, not '${values.port}'.`);
  }
  return { help: false, ttl, port, host: values.host };
}
