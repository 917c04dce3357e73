// What http.bench.js and http.compare.js share: a token server (http.server.js) in a child
// process on 127.0.0.1, asked over IPC and stopped, and the autocannon load both put on it.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const serverFile = fileURLToPath(new URL('./http.server.js', import.meta.url));
export const headers = { authorization: 'Bearer alice' };

/** Starts http.server.js in `mode` with `env`; resolves when it listens. */
export async function start(mode, env = process.env) {
  const child = fork(serverFile, [mode], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
  const [{ port }] = await once(child, 'message');
  return { child, url: `http://127.0.0.1:${port}/token` };
}

/** Sends the server a message ('reset', 'stats') and resolves with its answer. */
export async function ask(child, message) {
  child.send(message);
  const [answer] = await once(child, 'message');
  return answer;
}

export async function stop(child) {
  child.send('stop');
  await once(child, 'exit');
}

/** `duration` seconds of load on `url` from `connections` connections, one request at a time each. */
export const load = (url, duration, connections) =>
  autocannon({ url, connections, pipelining: 1, duration, headers });
