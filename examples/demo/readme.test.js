// The README's browser integration example must type-check as written against the real SDK
// packages (@twilio/conversations, @twilio/voice-sdk), under the repo's strict settings.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const work = join(here, '.readme-check');

afterAll(() => rmSync(work, { recursive: true, force: true }));

it("README.md's integration example type-checks against the real SDKs", async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const example = blocks.find((block) => block.includes('attachConversations(manager, (jwt)'));
  expect(example, 'the README has the browser example').toBeDefined();
  mkdirSync(work, { recursive: true });
  // What the example leaves to the app: its own UI functions.
  writeFileSync(
    join(work, 'app.d.ts'),
    [
      'declare function showMessage(message: unknown): void;',
      'declare function showIncomingCall(call: unknown): void;',
      'declare function showConnectionBadge(status: string): void;',
      'declare function report(code: string): void;',
    ].join('\n'),
  );
  writeFileSync(join(work, 'example.ts'), `${example}\nexport {};\n`);
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: {
        noEmit: true,
        types: [],
        lib: ['ES2022', 'DOM', 'DOM.Iterable', 'ESNext.Disposable'],
        // @twilio/conversations' own declarations need @types/ws under strict: skip checking them.
        skipLibCheck: true,
      },
      files: ['app.d.ts', 'example.ts'],
    }),
  );
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const result = await new Promise((resolve) => {
    execFile(tsc, ['-p', join(work, 'tsconfig.json')], (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
  expect(result.output).toBe('');
  expect(result.code).toBe(0);
}, 60_000);
