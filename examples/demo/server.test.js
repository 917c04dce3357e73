// The demo server's command line: --help prints the usage, and a mistake or a busy port prints
// one clear line, never a stack trace.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const server = join(dirname(fileURLToPath(import.meta.url)), 'server.js');
const run = (...args) =>
  new Promise((resolve) => {
    execFile(process.execPath, [server, ...args], { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });

it('--help prints the usage and exits 0', async () => {
  const { code, stdout, stderr } = await run('--help');
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Usage: node examples\/demo\/server\.js \[options\]/);
  expect(stdout).toMatch(/--ttl SECONDS/);
  expect(stderr).toBe('');
});

it.each([
  [['--verbose'], "demo: Unknown option '--verbose'. Try --help.\n"],
  [['--ttl', '5'], "demo: --ttl takes whole seconds from 10 to 86400, not '5'.\n"],
  [['--port', 'http'], "demo: --port takes a port number from 0 to 65535, not 'http'.\n"],
])('%j prints one line and exits 2', async (args, line) => {
  const { code, stdout, stderr } = await run(...args);
  expect(code).toBe(2);
  expect(stderr).toBe(line);
  expect(stdout).toBe('');
});

it('a busy port prints one line and exits 1', async () => {
  const busy = createServer();
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const { port } = busy.address();
  try {
    const { code, stderr } = await run('--port', String(port));
    expect(code).toBe(1);
    expect(stderr).toBe(
      `demo: 127.0.0.1:${port} is in use: stop what uses it, or pass another --port (0 picks a free one).\n`,
    );
  } finally {
    busy.close();
  }
}, 60_000);
