import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files under `dir`, relative to it, with `/` separators. */
function listFiles(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

/**
 * Whether a package's `dist/` may be packed: every file its `exports`, `main`, `types` and `bin`
 * need exists (a pack from a fresh clone otherwise ships a package whose entry is missing), and
 * nothing in `dist/` is left from a source that no longer exists (tsc does not delete the output
 * of a renamed or deleted file).
 *
 * @param {string} packageDir
 * @returns {string[]} one line for each problem
 */
export function checkDist(packageDir) {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const problems = [];
  const needed = new Set();
  const visit = (value) => {
    if (typeof value === 'string') needed.add(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(manifest.exports);
  visit(manifest.main);
  visit(manifest.types);
  visit(manifest.bin);
  for (const target of needed) {
    if (target.includes('*') || !path.posix.normalize(target).startsWith('dist/')) continue;
    if (!existsSync(path.join(packageDir, target))) {
      problems.push(`${target} is missing: build before packing (npx --yes pnpm@10 build)`);
    }
  }
  const sources = new Set(
    listFiles(path.join(packageDir, 'src')).map((file) => file.replace(/\.(ts|tsx|mts)$/, '')),
  );
  for (const file of listFiles(path.join(packageDir, 'dist'))) {
    const stem = file.replace(/(\.d)?\.(js|mjs|ts|mts)(\.map)?$/, '');
    if (stem !== file && !sources.has(stem)) {
      problems.push(`dist/${file} has no source in src/ (left from an older build): rebuild clean`);
    }
  }
  return problems.map((problem) => `${manifest.name}: ${problem}`);
}

// As a prepack script: `node ../../scripts/release/distCheck.mjs` in a package's folder.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkDist(process.cwd());
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exitCode = 1;
  }
}
