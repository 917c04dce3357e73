// A consumer's TypeScript with what the issue names: strict, skipLibCheck false, lib ES2022 and
// DOM only, no @types/node. The core's and video's declarations use `[Symbol.dispose]`; they
// must compile there (TS2550 before the lib reference in their index.ts). Reads the built dist/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from './repoCopy.js';

const consumer = mkdtempSync(join(tmpdir(), 'consumer-types-'));
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

it('compiles against the core and video declarations without esnext.disposable or @types/node', () => {
  const modules = join(consumer, 'node_modules');
  mkdirSync(join(modules, '@access-manager'), { recursive: true });
  for (const name of ['core', 'video']) {
    symlinkSync(join(repoRoot, 'packages', name), join(modules, '@access-manager', name));
  }
  symlinkSync(
    realpathSync(join(repoRoot, 'packages', 'core', 'node_modules', 'rxjs')),
    join(modules, 'rxjs'),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: [],
      },
      include: ['main.ts'],
    }),
  );
  writeFileSync(
    join(consumer, 'main.ts'),
    [
      "import { AccessManager } from '@access-manager/core';",
      "import { connectVideo } from '@access-manager/video';",
      "const manager = new AccessManager({ fetchToken: async () => 'a.b.c' });",
      'manager.close();',
      'export { connectVideo };',
      '',
    ].join('\n'),
  );
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: consumer,
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}, 150_000);
