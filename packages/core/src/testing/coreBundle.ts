// Test support, not published: the built core bundled for a browser page.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');

/** `dist/index.js` with rxjs and jwt-decode, as one ES module for a page; throws when not built. */
export async function bundleCoreForBrowser(): Promise<string> {
  if (!existsSync(DIST)) {
    throw new Error(`${DIST} is missing: build the core first (pnpm build in packages/core).`);
  }
  const bundle = await build({
    entryPoints: [DIST],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return bundle.outputFiles[0]?.text ?? '';
}
