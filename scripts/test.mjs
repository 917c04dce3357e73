// The test phase of `pnpm test` (after build and lint): every package's typecheck and tests, one
// package at a time, and beside them the two long suites that mostly wait (a 3-minute soak of the
// demo in Chromium, then the release to a local registry and the installs from it). On two cores
// they overlap the package suites instead of adding 7 minutes after them. The side lane's output
// is kept in a file and printed after the package suites, so the two never interleave.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (command, args, stdio) =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio, env: process.env });
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });

const sideSuites = [
  [
    'soak, 3 minutes, 2 tabs',
    'node',
    ['examples/demo/soak/soak.js', '--minutes', '3', '--tabs', '2'],
  ],
  ['release to a local registry', 'npx', ['--yes', 'pnpm@10', 'run', 'test:release']],
];

const dir = mkdtempSync(join(tmpdir(), 'access-manager-test-'));
const logPath = join(dir, 'side.log');

async function sideLane() {
  const failed = [];
  for (const [name, command, args] of sideSuites) {
    appendFileSync(logPath, `\n+ ${name}: ${command} ${args.join(' ')}\n`);
    const fd = openSync(logPath, 'a');
    const started = Date.now();
    const code = await run(command, args, ['ignore', fd, fd]);
    closeSync(fd);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    appendFileSync(logPath, `+ ${name}: exit ${code} after ${seconds} s\n`);
    if (code !== 0) failed.push(name);
  }
  return failed;
}

const [packages, sideFailed] = await Promise.all([
  run('npx', ['turbo', 'run', 'typecheck', 'test', '--concurrency=1'], 'inherit'),
  sideLane(),
]);
process.stdout.write(
  `\n== side lane (ran beside the package suites)\n${readFileSync(logPath, 'utf8')}`,
);
rmSync(dir, { recursive: true, force: true });
if (packages !== 0) process.stderr.write('package typecheck or tests failed\n');
for (const name of sideFailed) process.stderr.write(`${name} failed\n`);
process.exit(packages !== 0 || sideFailed.length ? 1 : 0);
