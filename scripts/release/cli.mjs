#!/usr/bin/env node
// The release command: `npx --yes pnpm@10 release --registry <url> [--dry-run]` from the root.
//
//   1. refuses a registry beyond this machine unless --allow-remote-registry (registryGuard.mjs)
//   2. builds clean: every published package's dist/ is removed, then turbo builds (a cache hit
//      restores exactly what a clean build made into the emptied folder); then size-limit
//   3. versions with changesets when changesets are pending (not in a dry run)
//   4. packs each package once with pnpm (workspace ranges resolved, devDependencies and
//      scripts dropped by .pnpmfile.cjs, prepack's dist check), checks each tarball
//      (packChecks.mjs), and runs publint --strict and attw on those the registry lacks
//   5. publishes each checked tarball whose version the registry does not have yet, with npm
//      and an explicit --registry (a dry run lists them, publishes nothing, contacts nothing)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PackageCheckError, ReleaseError, ReleaseStepError, ReleaseUsageError } from './errors.mjs';
import { checkPackedPackage } from './packChecks.mjs';
import { checkRegistry } from './registryGuard.mjs';

const usage = `Usage: npx --yes pnpm@10 release --registry <url> [--allow-remote-registry] [--dry-run]
  --registry <url>           where to publish; required (npm's configured registry is never used)
  --allow-remote-registry    allow a registry that is not on this machine (the public one)
  --dry-run                  build, check and pack, publish nothing, contact no registry
`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const say = (line) => process.stdout.write(`${line}\n`);

/**
 * Runs a command from `cwd`; rejects with a ReleaseStepError when it fails. With `capture`, its
 * output is returned instead of shown.
 */
function run(command, args, { cwd = root, capture = false, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      reject(new ReleaseStepError(`${path.basename(command)} could not start`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else {
        const error = new ReleaseStepError(
          `${path.basename(command)} ${args.slice(0, 3).join(' ')} exited with ${code}`,
        );
        Object.assign(error, { stdout, stderr, exitCode: code });
        reject(error);
      }
    });
  });
}

/** pnpm must be on PATH: turbo looks for it there, and the root script runs through it. */
function requirePnpm() {
  const found = (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, 'pnpm')));
  if (!found) {
    throw new ReleaseUsageError(
      'pnpm is not on PATH: run the release from the root as npx --yes pnpm@10 release',
    );
  }
}

/** The published packages: every non-private package under packages/. */
function publishedPackages() {
  return readdirSync(path.join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(root, 'packages', entry.name))
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')),
    }))
    .filter(({ manifest }) => manifest.private !== true);
}

const pendingChangesets = () =>
  readdirSync(path.join(root, '.changeset')).filter(
    (file) => file.endsWith('.md') && file !== 'README.md',
  );

/** Reads the manifest, the file list and the Markdown files of a tarball. */
async function readTarball(tarball) {
  const { stdout: listing } = await run('tar', ['-tzf', tarball], { capture: true });
  const files = listing
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
  const read = async (file) =>
    (await run('tar', ['-xOzf', tarball, `package/${file}`], { capture: true })).stdout;
  const manifest = JSON.parse(await read('package.json'));
  const markdown = {};
  for (const file of files.filter((name) => name.endsWith('.md')))
    markdown[file] = await read(file);
  return { manifest, files, markdown };
}

/** Runs `tasks` with at most `limit` at a time; rejects with the first failure after all end. */
async function inParallel(tasks, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]().then(
        (value) => ({ value }),
        (error) => ({ error }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  const failed = results.find((result) => 'error' in result);
  if (failed) throw failed.error;
  return results.map((result) => result.value);
}

/** Whether the registry already has `name@version` (read-only; 404 means no). */
async function isPublished(name, version, registry, npmScopeArgs) {
  try {
    const { stdout } = await run(
      'npm',
      ['view', `${name}@${version}`, 'version', '--registry', registry, ...npmScopeArgs],
      { capture: true },
    );
    return stdout.trim() !== '';
  } catch (error) {
    if (/E404|404 Not Found/.test(error.stderr ?? '')) return false;
    throw error;
  }
}

export async function release(argv) {
  let options;
  try {
    ({ values: options } = parseArgs({
      args: argv,
      options: {
        registry: { type: 'string' },
        'allow-remote-registry': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ReleaseUsageError(`${error.message}\n${usage}`);
  }
  if (options.help) {
    process.stdout.write(usage);
    return;
  }
  const dryRun = options['dry-run'];
  // The guard comes first: nothing is built, versioned or packed for a refused registry.
  const registry = dryRun
    ? undefined
    : checkRegistry(options.registry, { allowRemoteRegistry: options['allow-remote-registry'] });
  if (dryRun && options.registry !== undefined) {
    throw new ReleaseUsageError('--dry-run contacts no registry: leave out --registry');
  }
  requirePnpm();

  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  // The build comes before versioning: its output does not depend on a version, and a release
  // whose sources did not change is then served by turbo's cache instead of rebuilt.
  const packages = publishedPackages();
  say(`release: clean build of ${packages.map(({ manifest }) => manifest.name).join(', ')}`);
  for (const { dir } of packages) rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  await run('pnpm', [
    'exec',
    'turbo',
    'run',
    'build',
    '--output-logs=errors-only',
    ...packages.map(({ manifest }) => `--filter=${manifest.name}`),
  ]);

  say(`release: size-limit (${elapsed()})`);
  await run(bin('size-limit'), [], { capture: true }).catch((error) => {
    process.stderr.write(error.stdout ?? '');
    throw error;
  });

  const changesets = pendingChangesets();
  if (changesets.length === 0) say('release: no pending changeset; the versions stay as they are');
  else if (dryRun)
    say(`release: pending changesets (not applied in a dry run): ${changesets.join(', ')}`);
  else {
    say(`release: changeset version (${changesets.join(', ')})`);
    await run(bin('changeset'), ['version']);
  }
  // Read again: versioning changed them.
  for (const entry of packages) {
    entry.manifest = JSON.parse(readFileSync(path.join(entry.dir, 'package.json'), 'utf8'));
  }

  const tarballDir = mkdtempSync(path.join(tmpdir(), 'access-manager-release-'));
  try {
    say(
      `release: pack each package, then check its tarball: manifest, files, links (${elapsed()})`,
    );
    // One pnpm process packs them all (each package's prepack runs in its folder).
    await run(
      'pnpm',
      [
        '--recursive',
        ...packages.map(({ manifest }) => `--filter=${manifest.name}`),
        'pack',
        '--pack-destination',
        tarballDir,
      ],
      { capture: true },
    );
    const packed = [];
    const problems = [];
    for (const file of readdirSync(tarballDir).filter((name) => name.endsWith('.tgz'))) {
      const tarball = path.join(tarballDir, file);
      const contents = await readTarball(tarball);
      problems.push(...checkPackedPackage(contents));
      packed.push({ name: contents.manifest.name, version: contents.manifest.version, tarball });
    }
    if (problems.length > 0) throw new PackageCheckError(problems.join('\n'));
    if (packed.length !== packages.length) {
      throw new PackageCheckError(`pnpm packed ${packed.length} of ${packages.length} packages`);
    }

    // A scope's own registry setting in an .npmrc would win over --registry: name it too.
    const scopeArgs = registry ? [`--@access-manager:registry=${registry}`] : [];
    const published = dryRun
      ? packed.map(() => false)
      : await inParallel(
          packed.map(
            ({ name, version }) =>
              () =>
                isPublished(name, version, registry, scopeArgs),
          ),
          4,
        );
    const toPublish = packed.filter((_, index) => !published[index]);
    for (const { name, version } of packed.filter((_, index) => published[index])) {
      say(`release: ${name}@${version} is already published; kept`);
    }

    // pnpm packs the same bytes from the same files (fixed mtimes), so a tarball that passed
    // publint and attw once (say in the dry run before a release) is not checked again: the
    // record names the tarball's sha256 and the two tools' versions.
    const checkedDir = path.join(root, 'node_modules', '.cache', 'access-manager-release');
    const toolVersions = ['publint', '@arethetypeswrong/cli']
      .map((tool) => {
        const manifestPath = path.join(root, 'node_modules', tool, 'package.json');
        return `${tool}@${JSON.parse(readFileSync(manifestPath, 'utf8')).version}`;
      })
      .join(' ');
    const checkKey = (tarball) =>
      createHash('sha256').update(readFileSync(tarball)).update(toolVersions).digest('hex');
    const toCheck = toPublish.filter(
      ({ tarball }) => !existsSync(path.join(checkedDir, checkKey(tarball))),
    );
    say(
      `release: publint --strict and attw on ${toCheck.length} tarball(s); ${toPublish.length - toCheck.length} passed them before with the same bytes (${elapsed()})`,
    );
    await inParallel(
      toCheck.map(({ tarball }) => async () => {
        await run(bin('publint'), ['run', tarball, '--strict'], { capture: true });
        await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], {
          capture: true,
        });
        mkdirSync(checkedDir, { recursive: true });
        writeFileSync(
          path.join(checkedDir, checkKey(tarball)),
          `${path.basename(tarball)} ${toolVersions}\n`,
        );
      }),
      2,
    );

    if (dryRun) {
      for (const { name, version } of toPublish) {
        say(`release: would publish ${name}@${version} if the registry lacks it`);
      }
      say(`release: dry run: nothing was published (${elapsed()})`);
      return;
    }
    await inParallel(
      toPublish.map(({ name, version, tarball }) => async () => {
        await run(
          'npm',
          ['publish', tarball, '--registry', registry, ...scopeArgs, '--access', 'public'],
          { capture: true },
        );
        say(`release: published ${name}@${version} (${elapsed()})`);
      }),
      4,
    );
    if (changesets.length > 0) {
      say(
        'release: commit the versions and CHANGELOGs, then tag them: npx --yes pnpm@10 changeset tag',
      );
    }
  } finally {
    rmSync(tarballDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  release(process.argv.slice(2)).catch((error) => {
    if (error instanceof ReleaseError) {
      process.stderr.write(`release: ${error.code}: ${error.message}\n`);
      if (error.stdout || error.stderr)
        process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
      process.exitCode =
        error instanceof ReleaseUsageError || error.code.startsWith('registry_') ? 2 : 1;
    } else {
      process.stderr.write(`release: ${error?.stack ?? error}\n`);
      process.exitCode = 1;
    }
  });
}
