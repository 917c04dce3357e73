// The README's server examples, each run in its real runtime (workerd through miniflare, Deno,
// Bun, the Vercel Edge VM, Node with Express), each answering over HTTP (or dispatchFetch), and
// each token compared byte for byte with the official twilio helper's for the same claims and
// clock. The runtimes are dev dependencies that ship their binaries inside the npm package.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { jwtVerify } from 'jose';
import { Miniflare } from 'miniflare';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeAccessToken } from './decodeAccessToken.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = join(packageDir, 'examples');
const bin = (name: string) => join(packageDir, 'node_modules', '.bin', name);
const env = {
  TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
  TWILIO_API_KEY: 'SKfedcba9876543210fedcba9876543210',
  TWILIO_API_SECRET: 'runtime-test-secret-0123456789ab',
  TWILIO_CONVERSATIONS_SERVICE_SID: 'IS00000000000000000000000000000001',
};
const session = { authorization: 'Bearer demo-session' };
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0, 250);
const timeout = 60_000;

/** The official helper's token for the examples' claims, at `iat` (seconds). */
function officialToken(identity: string, iat: number, grants = true): string {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(iat * 1000);
  try {
    const { AccessToken } = twilio.jwt;
    const token = new AccessToken(
      env.TWILIO_ACCOUNT_SID,
      env.TWILIO_API_KEY,
      env.TWILIO_API_SECRET,
      {
        identity,
      },
    );
    if (grants) {
      token.addGrant(
        new AccessToken.ChatGrant({ serviceSid: env.TWILIO_CONVERSATIONS_SERVICE_SID }),
      );
    }
    return token.toJwt();
  } finally {
    vi.useRealTimers();
  }
}

/** A 200 answer from an example: the token is the official helper's, byte for byte. */
async function expectOfficialToken(status: number, text: string): Promise<void> {
  expect(status, text).toBe(200);
  const body = JSON.parse(text) as { token: string; identity: string; expiresAt: string };
  expect(body.identity).toBe('user-42');
  const iat = decodeAccessToken(body.token).payload.iat as number;
  expect(body.token).toBe(officialToken('user-42', iat));
  const { payload } = await jwtVerify(body.token, new TextEncoder().encode(env.TWILIO_API_SECRET));
  expect(payload.exp).toBe(iat + 3600);
  expect(body.expiresAt).toBe(new Date((iat + 3600) * 1000).toISOString());
}

const expectUnauthorized = (status: number, text: string): void => {
  expect(status).toBe(401);
  expect(JSON.parse(text)).toEqual({ error: 'unauthorized' });
};

// A project of its own, as a user has: the examples beside a node_modules that links this
// package (resolved through its package.json) and express.
let projectDir: string;
beforeAll(() => {
  projectDir = mkdtempSync(join(tmpdir(), 'access-manager-runtimes-'));
  mkdirSync(join(projectDir, 'node_modules', '@access-manager'), { recursive: true });
  symlinkSync(packageDir, join(projectDir, 'node_modules', '@access-manager', 'server'), 'dir');
  symlinkSync(
    join(packageDir, 'node_modules', 'express'),
    join(projectDir, 'node_modules', 'express'),
    'dir',
  );
  writeFileSync(join(projectDir, 'package.json'), '{ "type": "module", "private": true }\n');
  cpSync(examplesDir, projectDir, { recursive: true });
});
afterAll(() => {
  rmSync(projectDir, { recursive: true, force: true });
});

/** Bundles as a Worker or Vercel Edge build does: no Node built-in may be imported. */
async function bundle(
  entry: { file: string } | { source: string },
  conditions: string[],
  format: 'esm' | 'iife' = 'esm',
): Promise<string> {
  const result = await build({
    ...('file' in entry
      ? { entryPoints: [join(projectDir, entry.file)] }
      : { stdin: { contents: entry.source, resolveDir: projectDir, loader: 'ts' } }),
    absWorkingDir: projectDir,
    bundle: true,
    write: false,
    metafile: true,
    format,
    ...(format === 'iife' ? { globalName: 'routeModule' } : {}),
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  const imported = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.map((entry) => entry.path),
  );
  expect(imported.filter((path) => path.startsWith('node:'))).toEqual([]);
  expect(code).not.toMatch(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']node:/);
  return code;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts an example server and waits until it answers; `stop` ends it. */
async function startServer(command: string, args: string[]) {
  const port = await freePort();
  const child: ChildProcess = spawn(command, args, {
    cwd: projectDir,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? tmpdir(),
      ...env,
      PORT: String(port),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}/api/token`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}: ${output}`);
    try {
      await fetch(url, { method: 'HEAD' });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${command} did not answer: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const get = async (headers: Record<string, string> = {}) => {
    const response = await fetch(url, { headers });
    return { status: response.status, text: await response.text() };
  };
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    return output;
  };
  return { get, stop };
}

/** Runs an example server: the official token with a session, 401 without; then stops it. */
async function expectServesExample(command: string, args: string[]) {
  const server = await startServer(command, args);
  try {
    const ok = await server.get(session);
    await expectOfficialToken(ok.status, ok.text);
    const refused = await server.get();
    expectUnauthorized(refused.status, refused.text);
  } finally {
    await server.stop();
  }
}

/**
 * Mints with both the synchronous and the Web Crypto mint at a fixed clock and prints both, in
 * whatever runtime runs it; `mintAccessToken` reports its error code where there is no
 * node:crypto.
 */
const probeSource = `
import { ChatGrant, mintAccessToken, mintAccessTokenAsync } from '@access-manager/server';
const options = {
  accountSid: ${JSON.stringify(env.TWILIO_ACCOUNT_SID)},
  apiKeySid: ${JSON.stringify(env.TWILIO_API_KEY)},
  apiKeySecret: ${JSON.stringify(env.TWILIO_API_SECRET)},
  identity: 'zoë "z"',
  grants: [new ChatGrant({ serviceSid: ${JSON.stringify(env.TWILIO_CONVERSATIONS_SERVICE_SID)} })],
  now: () => ${NOW},
};
export async function probe() {
  let sync;
  try {
    sync = mintAccessToken(options);
  } catch (error) {
    sync = error.code;
  }
  return { sync, webCrypto: await mintAccessTokenAsync(options) };
}
`;
const probeExpected = () => officialToken('zoë "z"', Math.floor(NOW / 1000));

describe('Cloudflare Workers (workerd through miniflare, no nodejs_compat)', () => {
  it(
    'serves the README Worker: the official token with a session, 401 without',
    async () => {
      const script = await bundle({ file: 'worker.ts' }, ['workerd', 'worker', 'browser']);
      const worker = new Miniflare({
        modules: true,
        script,
        compatibilityDate: '2025-09-01',
        bindings: env,
      });
      try {
        const ok = await worker.dispatchFetch('http://localhost/api/token', { headers: session });
        await expectOfficialToken(ok.status, await ok.text());
        const refused = await worker.dispatchFetch('http://localhost/api/token');
        expectUnauthorized(refused.status, await refused.text());
        const other = await worker.dispatchFetch('http://localhost/elsewhere');
        expect(other.status).toBe(404);
        await other.text();
      } finally {
        await worker.dispose();
      }
    },
    timeout,
  );

  it(
    'mints with Web Crypto; the synchronous mint says what to use instead',
    async () => {
      const script = await bundle(
        {
          source: `${probeSource}\nexport default { fetch: async () => Response.json(await probe()) };`,
        },
        ['workerd', 'worker', 'browser'],
      );
      const worker = new Miniflare({ modules: true, script, compatibilityDate: '2025-09-01' });
      try {
        const answer = (await (await worker.dispatchFetch('http://localhost/')).json()) as {
          sync: string;
          webCrypto: string;
        };
        expect(answer).toEqual({ sync: 'unsupported_runtime', webCrypto: probeExpected() });
      } finally {
        await worker.dispose();
      }
    },
    timeout,
  );
});

describe('Vercel Edge (edge-light, in @edge-runtime/vm)', () => {
  it(
    'serves the README Next.js route handler: the official token with a session, 401 without',
    async () => {
      const code = await bundle(
        { file: 'next-route.ts' },
        ['edge-light', 'worker', 'browser'],
        'iife',
      );
      const vm = new EdgeVM({
        // What Next gives edge routes: process.env, and no other part of process.
        extend: (context) => Object.assign(context, { process: { env: { ...env } } }),
      });
      vm.evaluate(code);
      const call = async (headers: Record<string, string>) => {
        vm.context['headersForTest'] = headers;
        const response = (await vm.evaluate(
          `routeModule.GET(new Request('http://localhost/api/token', { headers: headersForTest }))`,
        )) as Response;
        return { status: response.status, text: await response.text() };
      };
      // The README shows the Node.js runtime first; the same route module runs here on Edge.
      expect(vm.evaluate('routeModule.runtime')).toBe('nodejs');
      const ok = await call(session);
      await expectOfficialToken(ok.status, ok.text);
      const refused = await call({});
      expectUnauthorized(refused.status, refused.text);
    },
    timeout,
  );

  it(
    'mints with Web Crypto there',
    async () => {
      const code = await bundle(
        { source: probeSource },
        ['edge-light', 'worker', 'browser'],
        'iife',
      );
      const vm = new EdgeVM();
      vm.evaluate(code);
      const answer = await vm.evaluate('routeModule.probe()');
      expect(JSON.parse(JSON.stringify(answer))).toEqual({
        sync: 'unsupported_runtime',
        webCrypto: probeExpected(),
      });
    },
    timeout,
  );
});

/** Runs the probe as a module in a runtime's command line. */
function runProbe(command: string, args: string[]): { sync: string; webCrypto: string } {
  const file = join(projectDir, 'probe.mjs');
  writeFileSync(file, `${probeSource}\nconsole.log(JSON.stringify(await probe()));\n`);
  const result = spawnSync(command, [...args, file], {
    cwd: projectDir,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir(), NO_COLOR: '1' },
    timeout: 30_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
    sync: string;
    webCrypto: string;
  };
}

const denoArgs = [
  'run',
  '--node-modules-dir=manual',
  '--allow-read',
  '--allow-env',
  '--allow-net=127.0.0.1',
];

describe('Deno (the deno npm package)', () => {
  it(
    'serves the README Deno.serve example: the official token with a session, 401 without',
    async () => {
      await expectServesExample(bin('deno'), [...denoArgs, 'deno.ts']);
    },
    timeout,
  );

  it(
    'mints the official token with node:crypto and with Web Crypto',
    () => {
      const expected = probeExpected();
      expect(runProbe(bin('deno'), denoArgs)).toEqual({ sync: expected, webCrypto: expected });
    },
    timeout,
  );
});

// The bun npm package ships a glibc x64/arm64 binary; where it cannot run, say so and skip.
const bunCheck = spawnSync(bin('bun'), ['--version'], { encoding: 'utf8', timeout: 10_000 });
const bunRuns = bunCheck.status === 0;
const bunSkipReason = bunRuns
  ? ''
  : `bun from npm does not run on this machine: ${(bunCheck.error?.message ?? bunCheck.stderr ?? '').trim()}`;
if (!bunRuns) console.warn(`runtimes.test.ts: skipping the Bun tests; ${bunSkipReason}`);

describe('Bun (the bun npm package)', () => {
  it.skipIf(!bunRuns)(
    'serves the README Bun.serve example: the official token with a session, 401 without',
    async () => {
      await expectServesExample(bin('bun'), ['run', 'bun.ts']);
    },
    timeout,
  );

  it.skipIf(!bunRuns)(
    'mints the official token with node:crypto and with Web Crypto',
    () => {
      const expected = probeExpected();
      expect(runProbe(bin('bun'), ['run'])).toEqual({ sync: expected, webCrypto: expected });
    },
    timeout,
  );
});

describe('Node with Express', () => {
  it(
    'serves the README Express example: the official token with a session, 401 without',
    async () => {
      await expectServesExample(process.execPath, ['express.mjs']);
    },
    timeout,
  );
});

describe('the README', () => {
  it('shows each example exactly as it is run here', () => {
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    for (const file of ['worker.ts', 'next-route.ts', 'deno.ts', 'bun.ts', 'express.mjs']) {
      const source = readFileSync(join(examplesDir, file), 'utf8');
      expect(readme.includes(source), `README.md shows examples/${file} as it is`).toBe(true);
    }
  });
});
