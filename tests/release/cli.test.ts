// The release command's guard, run as a user runs it. Each case must stop before any step: a
// refused registry builds, versions, packs and publishes nothing. Nothing here contacts a
// registry (the one local URL used points at a port where nothing listens).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './repoCopy.js';

const cli = join(repoRoot, 'scripts', 'release', 'cli.mjs');
const release = (args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 20_000 });

describe('the release command refuses before doing anything', () => {
  it.each([
    [['--registry', 'https://registry.npmjs.org/'], 'registry_refused'],
    [['--registry', 'https://registry.npmjs.org'], 'registry_refused'],
    [[], 'registry_missing'],
    [['--registry', 'not a url'], 'registry_invalid'],
    [['--registry', 'http://127.0.0.1:9/', '--bogus'], 'release_usage'],
    [['--dry-run', '--registry', 'https://registry.npmjs.org/'], 'release_usage'],
    [['--registry'], 'release_usage'],
  ])('%j: exits 2 with %s', (args, code) => {
    const result = release(args);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(`release: ${code}: `);
    // No step began: the first step always says what it does.
    expect(result.stdout).toBe('');
  });

  it('never repeats credentials given in the URL', () => {
    const result = release(['--registry', 'http://someone:npm_secret-value@127.0.0.1:9/']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('registry_invalid');
    expect(`${result.stdout}${result.stderr}`).not.toContain('npm_secret-value');
  });

  it('a publish from a package folder is refused (npm would ship workspace: ranges)', () => {
    const result = spawnSync(
      'npm',
      ['publish', '--dry-run', '--registry', 'http://127.0.0.1:9/', '--ignore-scripts=false'],
      { cwd: join(repoRoot, 'packages', 'sync'), encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      '@access-manager/sync is published only by the release command',
    );
  });
});
