import { describe, expect, it } from 'vitest';
import { checkPackedPackage, relativeLinks } from '../../scripts/release/packChecks.mjs';

const manifest = {
  name: '@access-manager/sync',
  version: '0.1.0',
  license: 'MIT',
  type: 'module',
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  engines: { node: '^20.19.0 || >=22.12.0' },
  peerDependencies: { '@access-manager/core': '>=0.1.0 <1', rxjs: '^7.8.0' },
};
const files = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
const readme = '# sync\n\nSee [the API](#api) and [npm](https://www.npmjs.com/).\n';

const check = (overrides: {
  manifest?: Record<string, unknown>;
  files?: string[];
  markdown?: Record<string, string>;
}) =>
  checkPackedPackage({
    manifest: overrides.manifest ?? manifest,
    files: overrides.files ?? files,
    markdown: overrides.markdown ?? { 'README.md': readme },
  });

describe('checkPackedPackage', () => {
  it('passes a tarball a registry user can install', () => {
    expect(check({})).toEqual([]);
  });

  it.each([
    ['workspace:^', 'peerDependencies'],
    ['workspace:>=0.1.0 <1', 'peerDependencies'],
    ['file:../core', 'dependencies'],
    ['link:../core', 'optionalDependencies'],
  ])('refuses a %s range in %s', (range, field) => {
    const problems = check({
      manifest: { ...manifest, [field]: { '@access-manager/core': range } },
    });
    expect(problems.join('\n')).toContain(`${field}.@access-manager/core is "${range}"`);
  });

  it.each([
    [{ devDependencies: { '@access-manager/testing': '0.0.0' } }, 'devDependencies are published'],
    [{ scripts: { build: 'tsc' } }, 'scripts are published'],
    [{ private: true }, 'private'],
    [{ publishConfig: { registry: 'https://registry.npmjs.org/' } }, 'publishConfig.registry'],
    [{ license: undefined }, 'no license field'],
    [{ engines: undefined }, 'no engines.node'],
    [
      { bin: { 'access-manager': './bin/access-manager.js' } },
      'bin points to bin/access-manager.js',
    ],
    [{ main: './dist/index.cjs' }, 'dist/index.cjs (from exports, main or types)'],
  ])('refuses a manifest with %j', (change, expected) => {
    const problems = check({ manifest: { ...manifest, ...change } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
    expect(problems[0]).toMatch(/^@access-manager\/sync: /);
  });

  it.each([
    [['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts'], 'no LICENSE file'],
    [['package.json', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'], 'no README.md'],
    [['package.json', 'README.md', 'LICENSE', 'dist/index.d.ts'], 'dist/index.js'],
  ])('refuses a tarball without a file it needs (%j)', (shipped, expected) => {
    expect(check({ files: shipped }).join('\n')).toContain(expected);
  });

  it.each([
    '[core](../core/README.md)',
    '[fakes](../testing/FAKES.md)',
    '[bench](../../bench/server)',
    '[guide](MIGRATING.md)',
    '[suite](src/suite.test.ts#L3)',
    '![shot](docs/demo.png)',
    '[ref]\n\n[ref]: ./CHANGES.md',
  ])('refuses a README link that breaks on the registry page: %s', (link) => {
    const problems = check({ markdown: { 'README.md': `# sync\n\n${link}\n` } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('README.md links to');
  });

  it('accepts links to shipped files and folders, anchors and absolute URLs', () => {
    const markdown = {
      'README.md':
        '[guide](MIGRATING.md#start) [dist](./dist) [index](dist/index.js) [top](#api) <https://example.com>',
      'MIGRATING.md': '[back](README.md) [mail](mailto:a@b.c)',
    };
    expect(check({ files: [...files, 'MIGRATING.md'], markdown })).toEqual([]);
  });
});

describe('relativeLinks', () => {
  it('leaves out code: a fenced block and inline code are not links', () => {
    const markdown = [
      '`[Symbol.dispose]()` and `a[0](x)`',
      '```ts',
      'const x = a[1](../core/README.md);',
      '```',
      '[real](../core/README.md "title")',
    ].join('\n');
    expect(relativeLinks(markdown)).toEqual(['../core/README.md']);
  });
});
