// Starts the demo server (server.js) on a free port of 127.0.0.1, for the end-to-end tests and
// the soak: one place that knows how it is started and how it says where it listens.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const serverPath = join(dirname(fileURLToPath(import.meta.url)), 'server.js');

/**
 * Spawns `server.js --port 0 --ttl <ttl>`. `log` collects everything it prints; `url` resolves
 * with the page's address once the server prints it, and rejects when the server exits first or
 * says nothing within `timeoutMs`. `preload` is a module run before the server (`node --import`);
 * the child then gets an IPC channel, so that the preload can watch its parent.
 *
 * @example
 * ```js
 * const demo = startDemoServer(20);
 * const url = await demo.url;
 * demo.child.kill('SIGTERM');
 * ```
 */
export function startDemoServer(ttl, { preload, timeoutMs = 30_000 } = {}) {
  const log = [];
  const child = spawn(
    process.execPath,
    [
      ...(preload ? ['--import', pathToFileURL(preload).href] : []),
      serverPath,
      '--port',
      '0',
      '--ttl',
      String(ttl),
    ],
    { stdio: ['ignore', 'pipe', 'pipe', ...(preload ? ['ipc'] : [])] },
  );
  child.stdout.on('data', (chunk) => log.push(String(chunk)));
  child.stderr.on('data', (chunk) => log.push(String(chunk)));
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the demo did not start in ${timeoutMs / 1000} s: ${log.join('')}`));
    }, timeoutMs);
    const onData = () => {
      const match = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(log.join(''));
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}): ${log.join('').slice(-500)}`));
    });
  });
  return { child, log, url };
}
