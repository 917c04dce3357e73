// What each module of a bundle costs, min+gzip: the bundle is built unminified, each module's code
// is left out in turn, and the rest is minified and gzipped again. The difference is what that
// module adds (modules share words, so the column sums to less than the total). Not a budget:
// size-limit guards the budgets (.size-limit.json); this says where the bytes are.
//
//   node bench/core/size-breakdown.js [entry] [external,...]
//
// Default: the README's integration example (bench/core/size-integration.js), the SDKs external.
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const entry = process.argv[2] ?? fileURLToPath(new URL('./size-integration.js', import.meta.url));
const external = (process.argv[3] ?? '@twilio/*,twilio-*').split(',');
const bundled = await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  external,
  legalComments: 'none',
});
// Without its exports, a bundle minus one module still parses.
const code = bundled.outputFiles[0].text.replace(/\nexport \{[^}]*\};\s*$/, '\n');
const modules = code.split(/^(?=\/\/ [^\n]+\.m?js\n)/m);
const gzipped = async (text) =>
  gzipSync((await transform(text, { minify: true, format: 'esm' })).code, { level: 9 }).length;
const total = await gzipped(code);
const rows = [];
for (const [i, module] of modules.entries()) {
  const name = module.split('\n')[0];
  if (!name.startsWith('// ')) continue;
  const without = await gzipped(modules.filter((_, j) => j !== i).join(''));
  rows.push({ module: name.slice(3).replace(/.*node_modules\//, ''), gzip: total - without });
}
rows.sort((a, b) => b.gzip - a.gzip);
console.log(`${entry}: ${total} B min+gzip`);
console.table(rows);
