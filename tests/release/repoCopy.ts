import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The root of the repository these tests belong to. */
export const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * Copies the repository's files (tracked, and new ones not ignored: what `git add -A` would take)
 * into a new folder under the system's temp dir, so that a test can version or release without
 * touching the work tree. Returns the copy's root (`copy` when given, an existing empty folder);
 * the caller removes it.
 */
export function copyRepository(prefix: string, copy = mkdtempSync(join(tmpdir(), prefix))): string {
  mkdirSync(copy, { recursive: true });
  const files = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
    .split('\0')
    .filter((file) => file !== '');
  // tar keeps modes and symlinks; -T reads the list from standard input.
  execFileSync('sh', ['-c', `tar -cf - --null -T - | tar -xf - -C "${copy}"`], {
    cwd: repoRoot,
    input: files.join('\0'),
    maxBuffer: 64 * 1024 * 1024,
  });
  return copy;
}
