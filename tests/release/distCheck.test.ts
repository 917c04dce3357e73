import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDist } from '../../scripts/release/distCheck.mjs';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A package folder with these files (path → text). */
function packageWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-check-'));
  made.push(dir);
  const manifest = {
    name: '@access-manager/example',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    bin: { example: './bin/example.js' },
  };
  for (const [file, text] of Object.entries({
    'package.json': JSON.stringify(manifest),
    ...files,
  })) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const built = {
  'bin/example.js': '',
  'src/index.ts': '',
  'src/index.test.ts': '',
  'src/deep/clock.ts': '',
  'dist/index.js': '',
  'dist/index.js.map': '',
  'dist/index.d.ts': '',
  'dist/index.d.ts.map': '',
  'dist/deep/clock.js': '',
  'dist/deep/clock.d.ts': '',
};

describe('checkDist (prepack)', () => {
  it('passes a clean build', () => {
    expect(checkDist(packageWith(built))).toEqual([]);
  });

  it('refuses a package never built (a fresh clone): the entry is missing', () => {
    const problems = checkDist(packageWith({ 'src/index.ts': '', 'bin/example.js': '' }));
    expect(problems).toEqual([
      '@access-manager/example: ./dist/index.d.ts is missing: build before packing (npx --yes pnpm@10 build)',
      '@access-manager/example: ./dist/index.js is missing: build before packing (npx --yes pnpm@10 build)',
    ]);
  });

  it('refuses the output of a source that was renamed or deleted', () => {
    const problems = checkDist(
      packageWith({ ...built, 'dist/oldName.js': '', 'dist/oldName.d.ts.map': '' }),
    ).sort();
    expect(problems).toEqual([
      '@access-manager/example: dist/oldName.d.ts.map has no source in src/ (left from an older build): rebuild clean',
      '@access-manager/example: dist/oldName.js has no source in src/ (left from an older build): rebuild clean',
    ]);
  });
});
