// What `changeset version` does with this repository's configuration and ranges: a core minor
// keeps every adapter's version, and private workspaces are never versioned. Run on a copy of the
// repository (no node_modules needed), so that the work tree stays as it is.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRepository, repoRoot } from './repoCopy.js';

const changeset = join(repoRoot, 'node_modules', '.bin', 'changeset');
const published = ['chat', 'conversations', 'core', 'react', 'server', 'sync', 'video', 'voice'];
const privateWorkspaces = [
  'packages/testing',
  'examples/demo',
  'examples/react',
  'bench/core',
  'bench/adapters',
  'bench/server',
];

const manifestOf = (root: string, dir: string) =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    version: string;
    peerDependencies?: Record<string, string>;
  };

describe('changeset version', () => {
  let copy = '';
  let before: Record<string, string> = {};

  beforeAll(() => {
    copy = copyRepository('changeset-version-');
    before = Object.fromEntries(
      [...published.map((name) => `packages/${name}`), ...privateWorkspaces].map((dir) => [
        dir,
        manifestOf(copy, dir).version,
      ]),
    );
    writeFileSync(
      join(copy, '.changeset', 'core-feature.md'),
      "---\n'@access-manager/core': minor\n---\n\nA new feature.\n",
    );
    writeFileSync(
      join(copy, '.changeset', 'sync-fix.md'),
      "---\n'@access-manager/sync': patch\n---\n\nA fix.\n",
    );
    execFileSync(changeset, ['version'], { cwd: copy, stdio: 'pipe' });
  });
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  const bump = (version: string, part: 'minor' | 'patch') => {
    const [major, minor, patch] = version.split('.').map(Number) as [number, number, number];
    return part === 'minor' ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
  };

  it('a core minor bumps the core alone: the adapters keep their versions', () => {
    const core = 'packages/core';
    expect(manifestOf(copy, core).version).toBe(bump(before[core]!, 'minor'));
    for (const name of ['chat', 'conversations', 'react', 'server', 'video', 'voice']) {
      const dir = `packages/${name}`;
      expect(manifestOf(copy, dir).version, dir).toBe(before[dir]);
      expect(existsSync(join(copy, dir, 'CHANGELOG.md')), `${dir}/CHANGELOG.md`).toBe(false);
    }
  });

  it("an adapter's patch is its own, and its peer range of the core stays", () => {
    const sync = 'packages/sync';
    expect(manifestOf(copy, sync).version).toBe(bump(before[sync]!, 'patch'));
    expect(manifestOf(copy, sync).peerDependencies?.['@access-manager/core']).toBe(
      manifestOf(repoRoot, sync).peerDependencies?.['@access-manager/core'],
    );
    expect(readFileSync(join(copy, sync, 'CHANGELOG.md'), 'utf8')).toContain('A fix.');
  });

  it('the adapters accept the new core: each peer range holds its version', async () => {
    const { satisfies } = await import('semver');
    const coreVersion = manifestOf(copy, 'packages/core').version;
    for (const name of ['chat', 'conversations', 'react', 'sync', 'video', 'voice']) {
      const range = manifestOf(copy, `packages/${name}`).peerDependencies?.[
        '@access-manager/core'
      ]?.replace(/^workspace:/, '');
      expect(range, name).toBeDefined();
      expect(satisfies(coreVersion, range!), `${name}: ${range} holds ${coreVersion}`).toBe(true);
    }
  });

  it('private workspaces are not versioned and get no CHANGELOG', () => {
    for (const dir of privateWorkspaces) {
      expect(manifestOf(copy, dir).version, dir).toBe(before[dir]);
      expect(existsSync(join(copy, dir, 'CHANGELOG.md')), `${dir}/CHANGELOG.md`).toBe(false);
    }
  });
});
