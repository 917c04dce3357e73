// The release, as maintainers and users meet it: Verdaccio 6 (from npm) on 127.0.0.1 with its
// storage in a temp folder; the release command publishes the packages to it from a copy of the
// repository; fresh folders outside the workspace install them with npm and with pnpm (strict)
// and build a Vite + React + TypeScript app written like the README's integration example
// (strict tsc with skipLibCheck false, no @types/node, then vite build), run a Node ESM and a
// CommonJS script with the core and the server, and run the CLI through npx. Then a core minor:
// versioned and published alone, and the installed app upgrades the core alone.
//
// Third-party packages (rxjs, React, the Twilio SDKs, Vite, TypeScript) come through Verdaccio's
// uplink to the registry npm is configured with; our @access-manager scope has no uplink, so it
// only ever comes from what the release published here. Nothing else leaves 127.0.0.1.
//
// Opt-in: RELEASE_E2E=1, or `npx --yes pnpm@10 test:release` from the root.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRepository, repoRoot } from './repoCopy.js';

const enabled = process.env['RELEASE_E2E'] === '1';
const VERDACCIO = 'verdaccio@6.8.0'; // 6.9 and later need Node 22
const published = ['chat', 'conversations', 'core', 'react', 'server', 'sync', 'video', 'voice'];
const adapters = ['chat', 'conversations', 'react', 'sync', 'video', 'voice'];

/** The environment of every command here: the caller's, less any npm or pnpm setting it carries. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|NPM_CONFIG_|PNPM_|VITEST|TURBO_HASH)/i.test(key)) env[key] = value;
  }
  return { ...env, CI: 'true', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...extra };
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or `timeoutMs`), with its output captured. */
function exec(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; input?: string },
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs} ms)`;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs a command and fails the test with its output when it fails. */
async function ok(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; input?: string },
): Promise<string> {
  const result = await exec(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.status} in ${options.cwd}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The counts in the release's "publint --strict and attw on N tarball(s); M passed them before". */
const checkedCounts = (output: string) => {
  const match = /publint --strict and attw on (\d+) tarball\(s\); (\d+) passed them before/.exec(
    output,
  );
  return match ? { checked: Number(match[1]), before: Number(match[2]) } : null;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const timings: [string, number][] = [];
async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await body();
  } finally {
    timings.push([name, Date.now() - started]);
  }
}

describe.skipIf(!enabled)('a release to a local Verdaccio, installed into fresh apps', () => {
  let work = '';
  let verdaccio: ChildProcess | undefined;
  let verdaccioLog = '';
  let registry = '';
  let env: NodeJS.ProcessEnv = {};
  let repo = '';
  let npmrc = '';
  const apps = { npm: '', pnpm: '', cli: '' };
  let pnpmInstall: Promise<string> | undefined;

  /** The registry's record of a package: its versions and dist-tags (404 → null). */
  async function packument(name: string) {
    const response = await fetch(`${registry}${name.replace('/', '%2f')}`);
    if (response.status === 404) return null;
    expect(response.status).toBe(200);
    return (await response.json()) as {
      versions: Record<string, Record<string, unknown>>;
      'dist-tags': Record<string, string>;
    };
  }

  const installedVersion = (app: string, name: string) =>
    (
      JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'access-manager-release-e2e-'));
    const upstream = execFileSync('npm', ['config', 'get', 'registry'], {
      encoding: 'utf8',
      env: cleanEnv({}),
    }).trim();
    const port = await freePort();
    registry = `http://127.0.0.1:${port}/`;
    writeFileSync(
      join(work, 'verdaccio.yaml'),
      [
        `storage: ${join(work, 'storage')}`,
        'auth:',
        '  htpasswd:',
        `    file: ${join(work, 'htpasswd')}`,
        '    max_users: 1',
        'uplinks:',
        '  upstream:',
        `    url: ${upstream}`,
        '    timeout: 60s',
        'packages:',
        "  '@access-manager/*':",
        '    access: $all',
        '    publish: $authenticated',
        "  '**':",
        '    access: $all',
        '    publish: $authenticated',
        '    proxy: upstream',
        'web:',
        '  enable: false',
        'log: { type: stdout, format: pretty, level: warn }',
        '',
      ].join('\n'),
    );
    await step('start Verdaccio', async () => {
      verdaccio = spawn(
        'npx',
        [
          '--yes',
          VERDACCIO,
          '--config',
          join(work, 'verdaccio.yaml'),
          '--listen',
          `127.0.0.1:${port}`,
        ],
        { cwd: work, env: cleanEnv({}), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      verdaccio.stdout?.on('data', (chunk) => {
        verdaccioLog += chunk;
      });
      verdaccio.stderr?.on('data', (chunk) => {
        verdaccioLog += chunk;
      });
      const deadline = Date.now() + 120_000;
      for (;;) {
        const up = await fetch(`${registry}-/ping`).then(
          (response) => response.ok,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline || verdaccio.exitCode !== null) {
          throw new Error(`Verdaccio did not start on ${registry}\n${verdaccioLog}`);
        }
        await sleep(250);
      }
    });
    // One user, whose token the release command's npm and the apps' installs use.
    const response = await fetch(`${registry}-/user/org.couchdb.user:release-e2e`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'release-e2e', password: `p-${port}-${Date.now()}` }),
    });
    expect(response.status).toBe(201);
    const { token } = (await response.json()) as { token: string };
    const registryHost = registry.replace(/^http:/, '');
    npmrc = [
      `registry=${registry}`,
      `${registryHost}:_authToken=${token}`,
      'fund=false',
      'audit=false',
      'update-notifier=false',
      '',
    ].join('\n');
    writeFileSync(join(work, 'npmrc'), npmrc);
    env = cleanEnv({ NPM_CONFIG_USERCONFIG: join(work, 'npmrc') });

    // The copy reuses the work tree's install: each entry of its root node_modules is a link to
    // the work tree's (.cache too: a tarball that passed publint and attw there, in a dry run
    // with the same bytes, is not checked again), and each package's own node_modules (relative
    // links into that root and to the sibling packages) is copied, so that a workspace link
    // points into the copy. The turbo cache is copied too: a build the work tree already made is
    // restored, not redone.
    repo = copyRepository('', join(work, 'repo'));
    mkdirSync(join(repo, 'node_modules'));
    for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
      symlinkSync(join(repoRoot, 'node_modules', entry), join(repo, 'node_modules', entry));
    }
    for (const name of [...published, 'testing']) {
      cpSync(
        join(repoRoot, 'packages', name, 'node_modules'),
        join(repo, 'packages', name, 'node_modules'),
        {
          recursive: true,
          verbatimSymlinks: true,
        },
      );
    }
    if (existsSync(join(repoRoot, '.turbo', 'cache'))) {
      cpSync(join(repoRoot, '.turbo', 'cache'), join(repo, '.turbo', 'cache'), { recursive: true });
    }
  }, 240_000);

  afterAll(async () => {
    if (verdaccio?.pid && verdaccio.exitCode === null) {
      const exited = new Promise((resolve) => verdaccio?.once('exit', resolve));
      process.kill(-verdaccio.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5_000)]);
      if (verdaccio.exitCode === null) process.kill(-verdaccio.pid, 'SIGKILL');
    }
    if (work) rmSync(work, { recursive: true, force: true });
    process.stdout.write(
      `release e2e timings: ${timings.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`).join(', ')}\n`,
    );
  }, 180_000);

  const pnpm = (args: string[], cwd: string, timeoutMs = 240_000) =>
    ok('npx', ['--yes', 'pnpm@10', ...args], { cwd, env, timeoutMs });

  it('a dry run builds, checks and packs every package, and publishes nothing', async () => {
    const output = await step('release --dry-run', () => pnpm(['release', '--dry-run'], repo));
    for (const name of published) {
      expect(output).toContain(`would publish @access-manager/${name}@0.1.0`);
    }
    const dryRunChecks = checkedCounts(output);
    expect(dryRunChecks && dryRunChecks.checked + dryRunChecks.before).toBe(8);
    expect(output).toContain('dry run: nothing was published');
    for (const name of published) expect(await packument(`@access-manager/${name}`)).toBeNull();
  }, 300_000);

  it('the release publishes every package, as a registry user needs it', async () => {
    const output = await step('release', () => pnpm(['release', '--registry', registry], repo));
    // The dry run checked the same bytes.
    expect(checkedCounts(output)).toEqual({ checked: 0, before: 8 });
    for (const name of published) {
      expect(output).toContain(`published @access-manager/${name}@0.1.0`);
      const record = await packument(`@access-manager/${name}`);
      expect(Object.keys(record?.versions ?? {})).toEqual(['0.1.0']);
      const manifest = record!.versions['0.1.0']!;
      expect(manifest['devDependencies'], name).toBeUndefined();
      expect(manifest['scripts'], name).toBeUndefined();
      const ranges = JSON.stringify([manifest['dependencies'], manifest['peerDependencies']]);
      expect(ranges, name).not.toMatch(/workspace:|file:|link:/);
    }
    const conversations = await packument('@access-manager/conversations');
    expect(
      (conversations!.versions['0.1.0']!['peerDependencies'] as Record<string, string>)[
        '@access-manager/core'
      ],
    ).toBe('>=0.1.0 <1');
  }, 300_000);

  const appFiles = (dir: string, manager: 'npm' | 'pnpm') => {
    mkdirSync(join(dir, 'src'), { recursive: true });
    const manifest = {
      name: `release-e2e-${manager}-app`,
      private: true,
      type: 'module',
      dependencies: {
        '@access-manager/conversations': '^0.1.0',
        '@access-manager/core': '^0.1.0',
        '@access-manager/react': '^0.1.0',
        '@access-manager/server': '^0.1.0',
        '@access-manager/voice': '^0.1.0',
        '@twilio/conversations': '3.0.1',
        '@twilio/voice-sdk': '2.18.5',
        react: '19.3.1',
        'react-dom': '19.3.1',
        rxjs: '7.8.2',
      },
      devDependencies: {
        // The Twilio SDKs' own declarations need Node's types (Buffer, 'events') and ws's, and
        // twilsock's name @twilio/replay-event-emitter without depending on it (with pnpm and
        // no hoisting, only an app's own dependency is found): ours need none of them, see
        // consumerTypes.test.ts.
        '@twilio/replay-event-emitter': '1.0.0',
        '@types/node': '20.19.43',
        '@types/react': '19.3.3',
        '@types/react-dom': '19.3.0',
        '@types/ws': '8.18.2',
        typescript: '5.9.3',
        vite: '8.3.8',
      },
    };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // pnpm strict: no hoisting (an undeclared import fails), and a peer range that does not
    // hold is an error, not a warning.
    writeFileSync(
      join(dir, '.npmrc'),
      manager === 'pnpm'
        ? `${npmrc}strict-peer-dependencies=true\nauto-install-peers=false\nhoist=false\n`
        : npmrc,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2022', 'DOM', 'DOM.Iterable'],
            module: 'ESNext',
            moduleResolution: 'Bundler',
            jsx: 'react-jsx',
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            types: [],
            isolatedModules: true,
            verbatimModuleSyntax: true,
            noUncheckedIndexedAccess: true,
            exactOptionalPropertyTypes: true,
          },
          include: ['src'],
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html>\n<html lang="en">\n  <head><meta charset="UTF-8" /><title>release e2e</title></head>\n  <body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body>\n</html>\n',
    );
    // The README's integration example, in a React app.
    writeFileSync(
      join(dir, 'src', 'main.tsx'),
      `import { AccessManager, combineLinks, fetchTokenFrom } from '@access-manager/core';
import { attachConversations } from '@access-manager/conversations';
import { AccessManagerProvider } from '@access-manager/react';
import { attachVoice } from '@access-manager/voice';
import { Client as ConversationsClient } from '@twilio/conversations';
import { Device } from '@twilio/voice-sdk';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const manager = new AccessManager({ fetchToken: fetchTokenFrom('/api/twilio-token') });
const conversations = attachConversations(manager, (jwt) => new ConversationsClient(jwt));
const voice = attachVoice(manager, (jwt) => new Device(jwt), { register: true });
const log = (line: string) => document.body.append(line);
conversations.client$.subscribe((client) => client.on('messageAdded', (message) => log(message.sid)));
voice.client$.subscribe((device) => device.on('incoming', () => log('incoming call')));
combineLinks([conversations, voice]).subscribe(({ status }) => log(status));
manager.on('error', (error) => log(error.code));

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <AccessManagerProvider manager={manager}>
        <p>one token for every client</p>
      </AccessManagerProvider>
    </StrictMode>,
  );
}
`,
    );
  };

  const credentials = {
    TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
    TWILIO_API_KEY: `SK${'2'.repeat(32)}`,
    TWILIO_API_SECRET: 'release-e2e-not-a-real-secret',
  };

  const build = async (app: string, label: string) => {
    await step(`${label}: tsc`, () =>
      ok(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: app, env }),
    );
    await step(`${label}: vite build`, () =>
      ok(join(app, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'error'], {
        cwd: app,
        env,
      }),
    );
    const assets = readFileSync(join(app, 'dist', 'index.html'), 'utf8');
    expect(assets).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
  };

  it('npm installs the packages into a fresh app: strict tsc (skipLibCheck false) and vite build', async () => {
    apps.npm = join(work, 'apps', 'npm-app');
    appFiles(apps.npm, 'npm');
    // Both installs mostly wait on the registry: pnpm's runs beside npm's, and its test awaits it.
    apps.pnpm = join(work, 'apps', 'pnpm-app');
    appFiles(apps.pnpm, 'pnpm');
    pnpmInstall = step('pnpm install (beside npm install)', () =>
      pnpm(['install'], apps.pnpm, 300_000),
    );
    pnpmInstall.catch(() => {}); // reported by the pnpm test
    await step('npm install', () =>
      ok('npm', ['install', '--no-audit', '--no-fund'], { cwd: apps.npm, env, timeoutMs: 300_000 }),
    );
    for (const name of ['core', 'conversations', 'voice', 'react', 'server']) {
      expect(installedVersion(apps.npm, `@access-manager/${name}`)).toBe('0.1.0');
    }
    await build(apps.npm, 'npm app');
  }, 420_000);

  it('a Node ESM and a CommonJS script use the core and the server', async () => {
    const script = (load: string) => `${load}
const token = mintAccessToken({
  accountSid: process.env.TWILIO_ACCOUNT_SID,
  apiKeySid: process.env.TWILIO_API_KEY,
  apiKeySecret: process.env.TWILIO_API_SECRET,
  identity: 'alice',
  grants: [new ChatGrant({ serviceSid: 'IS${'3'.repeat(32)}' })],
});
const manager = new AccessManager({ fetchToken: async () => token });
Promise.resolve(manager.updateToken(token)).then(() => {
  process.stdout.write(JSON.stringify({ identity: manager.identity, expired: manager.isExpired }));
  manager.close();
});
`;
    writeFileSync(
      join(apps.npm, 'esm.mjs'),
      script(
        "import { AccessManager } from '@access-manager/core';\nimport { ChatGrant, mintAccessToken } from '@access-manager/server';",
      ),
    );
    writeFileSync(
      join(apps.npm, 'cjs.cjs'),
      script(
        "const { AccessManager } = require('@access-manager/core');\nconst { ChatGrant, mintAccessToken } = require('@access-manager/server');",
      ),
    );
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      const output = await step(`node ${file}`, () =>
        ok(process.execPath, [file], {
          cwd: apps.npm,
          env: { ...env, ...credentials },
          timeoutMs: 30_000,
        }),
      );
      // It ends by itself: close() left no timer behind.
      expect(JSON.parse(output), file).toEqual({ identity: 'alice', expired: false });
    }
  }, 120_000);

  it('the CLI runs through npx from a fresh folder', async () => {
    apps.cli = join(work, 'apps', 'cli');
    mkdirSync(apps.cli, { recursive: true });
    writeFileSync(join(apps.cli, '.npmrc'), npmrc);
    const npx = (args: string[], input?: string) =>
      ok(
        'npx',
        ['--yes', '--package', '@access-manager/server@0.1.0', '--', 'access-manager', ...args],
        {
          cwd: apps.cli,
          env: { ...env, ...credentials },
          timeoutMs: 120_000,
          ...(input === undefined ? {} : { input }),
        },
      );
    expect((await step('npx --version', () => npx(['--version']))).trim()).toBe('0.1.0');
    const minted = await npx(['mint', '--identity', 'alice', '--chat', `IS${'3'.repeat(32)}`]);
    const jwt = minted.trim().split('\n').at(-1)!;
    expect(jwt.split('.')).toHaveLength(3);
    const decoded = await npx(['decode', '-', '--verify'], jwt);
    expect(decoded).toContain('alice');
  }, 300_000);

  it('pnpm installs the packages in strict mode (no hoisting, strict peers) and builds the app', async () => {
    expect(pnpmInstall, 'started by the npm test').toBeDefined();
    await pnpmInstall;
    expect(existsSync(join(apps.pnpm, 'node_modules', 'rxjs'))).toBe(true);
    // Not hoisted: a package the app does not declare is not reachable from it.
    expect(existsSync(join(apps.pnpm, 'node_modules', 'jwt-decode'))).toBe(false);
    await build(apps.pnpm, 'pnpm app');
  }, 420_000);

  it('a core minor is versioned and published alone; the apps upgrade the core alone', async () => {
    writeFileSync(
      join(repo, '.changeset', 'core-feature.md'),
      "---\n'@access-manager/core': minor\n---\n\nA feature release of the core.\n",
    );
    const output = await step('release of a core minor', () =>
      pnpm(['release', '--registry', registry], repo),
    );
    expect(output).toContain('published @access-manager/core@0.2.0');
    const minorChecks = checkedCounts(output);
    expect(minorChecks && minorChecks.checked + minorChecks.before).toBe(1);
    for (const name of adapters) {
      expect(output).toContain(`@access-manager/${name}@0.1.0 is already published; kept`);
      const record = await packument(`@access-manager/${name}`);
      expect(Object.keys(record!.versions), name).toEqual(['0.1.0']);
    }
    const core = await packument('@access-manager/core');
    expect(Object.keys(core!.versions)).toEqual(['0.1.0', '0.2.0']);
    expect(core!['dist-tags']['latest']).toBe('0.2.0');

    await step('npm upgrade', () =>
      ok('npm', ['install', '@access-manager/core@^0.2.0', '--no-audit', '--no-fund'], {
        cwd: apps.npm,
        env,
        timeoutMs: 300_000,
      }),
    );
    expect(installedVersion(apps.npm, '@access-manager/core')).toBe('0.2.0');
    for (const name of ['conversations', 'voice', 'react']) {
      expect(installedVersion(apps.npm, `@access-manager/${name}`)).toBe('0.1.0');
    }
    // npm ls exits non-zero on a peer range that does not hold.
    await ok('npm', ['ls', '--all'], { cwd: apps.npm, env });
    await build(apps.npm, 'npm app, core 0.2.0');

    await step('pnpm upgrade', () =>
      pnpm(['add', '@access-manager/core@^0.2.0'], apps.pnpm, 300_000),
    );
    const pnpmList = JSON.parse(await pnpm(['ls', '--json', '--depth', '0'], apps.pnpm)) as [
      { dependencies: Record<string, { version: string }> },
    ];
    const versions = Object.fromEntries(
      Object.entries(pnpmList[0].dependencies)
        .filter(([name]) => name.startsWith('@access-manager/'))
        .map(([name, { version }]) => [name, version]),
    );
    expect(versions).toEqual({
      '@access-manager/conversations': '0.1.0',
      '@access-manager/core': '0.2.0',
      '@access-manager/react': '0.1.0',
      '@access-manager/server': '0.1.0',
      '@access-manager/voice': '0.1.0',
    });
  }, 600_000);
});
