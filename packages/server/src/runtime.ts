import type * as NodeBuffer from 'node:buffer';
import type * as NodeCrypto from 'node:crypto';
import type * as NodeStream from 'node:stream';
import { UnsupportedRuntimeError } from './errors.js';

interface NodeBuiltins {
  'node:buffer': typeof NodeBuffer;
  'node:crypto': typeof NodeCrypto;
  'node:stream': typeof NodeStream;
}

type GetBuiltinModule = (id: string) => unknown;

/**
 * A Node built-in module, or undefined where the runtime has none. It is looked up through
 * `process.getBuiltinModule` (Node 20.16+, Bun, Deno, and Workers with `nodejs_compat`) rather
 * than imported: an `import 'node:crypto'` would make a Worker without `nodejs_compat`, Vercel
 * Edge and every bundler that targets them refuse the whole package, while a method call on a
 * global is invisible to bundlers and simply finds nothing there.
 */
export function nodeBuiltin<Name extends keyof NodeBuiltins>(
  name: Name,
): NodeBuiltins[Name] | undefined {
  const get = (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule } }).process
    ?.getBuiltinModule;
  if (typeof get !== 'function') return undefined;
  try {
    return (get(name) ?? undefined) as NodeBuiltins[Name] | undefined;
  } catch {
    // A runtime that has the method but not the module (a partial polyfill) has none.
    return undefined;
  }
}

/** As {@link nodeBuiltin}, for the code that cannot work without the module: `toNodeListener`. */
export function requireNodeBuiltin<Name extends keyof NodeBuiltins>(
  name: Name,
  what: string,
): NodeBuiltins[Name] {
  const found = nodeBuiltin(name);
  if (found === undefined) {
    throw new UnsupportedRuntimeError(
      `${what} needs ${name}, which this runtime does not provide (process.getBuiltinModule found nothing).`,
    );
  }
  return found;
}
