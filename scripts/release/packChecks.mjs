import path from 'node:path';

const DEPENDENCY_FIELDS = [
  'dependencies',
  'peerDependencies',
  'optionalDependencies',
  'devDependencies',
];

/**
 * The relative links of a Markdown text: inline `[text](target)` and `![alt](target)`, and
 * reference definitions `[label]: target`. Absolute URLs, `mailto:` and same-page `#anchors` are
 * left out; so is anything inside a code fence or inline code.
 *
 * @param {string} markdown
 * @returns {string[]} each target as written, without its `#anchor` or title
 */
export function relativeLinks(markdown) {
  const prose = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  const targets = [];
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+["'(][^)]*)?\)/g)) {
    targets.push(match[1]);
  }
  for (const match of prose.matchAll(/^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) {
    targets.push(match[1]);
  }
  return targets
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.replace(/#.*$/, ''))
    .filter((target) => target !== '');
}

/**
 * What must hold for a packed tarball before it is published. Pure: it judges the manifest and
 * the files that `pnpm pack` put in the tarball, as read from the tarball itself.
 *
 * @param {{
 *   manifest: Record<string, unknown>;
 *   files: readonly string[];
 *   markdown: Readonly<Record<string, string>>;
 * }} packed `files` relative to the package root (`dist/index.js`); `markdown` maps each shipped
 *   `.md` file to its text
 * @returns {string[]} one line for each problem; empty when the tarball may be published
 *
 * @example
 * checkPackedPackage({ manifest, files: ['package.json', 'README.md'], markdown: { 'README.md': text } });
 */
export function checkPackedPackage({ manifest, files, markdown }) {
  const problems = [];
  const shipped = new Set(files);
  const name = typeof manifest.name === 'string' ? manifest.name : '(no name)';

  for (const field of DEPENDENCY_FIELDS) {
    const deps = manifest[field];
    if (deps === undefined) continue;
    for (const [dep, range] of Object.entries(/** @type {Record<string, string>} */ (deps))) {
      if (/^(workspace|file|link|portal):/.test(range)) {
        problems.push(`${field}.${dep} is "${range}": a registry user cannot install it`);
      }
    }
  }
  if (manifest.devDependencies !== undefined) {
    problems.push(
      'devDependencies are published (they name private packages): .pnpmfile.cjs beforePacking did not run',
    );
  }
  if (manifest.scripts !== undefined) {
    problems.push('scripts are published (they call the monorepo tools)');
  }
  if (manifest.private === true) problems.push('the package is private');
  const publishConfig = /** @type {Record<string, unknown> | undefined} */ (manifest.publishConfig);
  if (publishConfig?.registry !== undefined) {
    problems.push('publishConfig.registry is set: the release command alone says where to publish');
  }
  if (typeof manifest.license !== 'string') problems.push('no license field');
  if (!files.some((file) => /^LICEN[CS]E(\.md|\.txt)?$/i.test(file))) {
    problems.push('no LICENSE file in the tarball');
  }
  const engines = /** @type {Record<string, unknown> | undefined} */ (manifest.engines);
  if (typeof engines?.node !== 'string') problems.push('no engines.node');
  if (!shipped.has('README.md')) problems.push('no README.md in the tarball');

  for (const target of exportTargets(manifest)) {
    if (!shipped.has(target))
      problems.push(`${target} (from exports, main or types) is not in the tarball`);
  }
  const bin = manifest.bin;
  const bins = typeof bin === 'string' ? [bin] : Object.values(bin ?? {});
  for (const target of bins) {
    const file = path.posix.normalize(String(target));
    if (!shipped.has(file)) problems.push(`bin points to ${file}, which is not in the tarball`);
  }

  for (const [file, text] of Object.entries(markdown)) {
    for (const target of relativeLinks(text)) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
      const isShippedDirectory = files.some((shippedFile) =>
        shippedFile.startsWith(`${resolved}/`),
      );
      if (resolved.startsWith('..') || (!shipped.has(resolved) && !isShippedDirectory)) {
        problems.push(
          `${file} links to ${target}, which is not in the tarball (it breaks on the registry's page)`,
        );
      }
    }
  }
  return problems.map((problem) => `${name}: ${problem}`);
}

/** Every file an `exports` map (and `main`, `types`) points to, relative to the package root. */
function exportTargets(manifest) {
  const targets = new Set();
  const visit = (value) => {
    if (typeof value === 'string') {
      if (!value.includes('*')) targets.add(path.posix.normalize(value));
    } else if (value !== null && typeof value === 'object') {
      for (const inner of Object.values(value)) visit(inner);
    }
  };
  visit(manifest.exports);
  visit(manifest.main);
  visit(manifest.types);
  return [...targets];
}
