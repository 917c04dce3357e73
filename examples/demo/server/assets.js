// What the demo server serves besides /token: the page, its script bundled with esbuild at start,
// a silent sound for the Voice SDK, and the versions of the SDKs the page runs.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const demo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles a page module for the browser, in memory. */
async function bundle(entry, sourcemap) {
  const result = await esbuild.build({
    entryPoints: [join(demo, 'src', entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap,
    external: ['/real-video.js'],
    define: { global: 'globalThis' },
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/**
 * A tenth of a second of silence (8 kHz, 8-bit PCM WAV). The Voice SDK loads its ringtones and
 * tones from sdk.twilio.com when a Device is made; the page gives it this instead, so that no
 * request leaves 127.0.0.1.
 */
function silence() {
  const samples = 800;
  const wav = Buffer.alloc(44 + samples, 128); // 128 is the zero of unsigned 8-bit PCM
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(8000, 24); // sample rate
  wav.writeUInt32LE(8000, 28); // byte rate
  wav.writeUInt16LE(1, 32); // block align
  wav.writeUInt16LE(8, 34); // bits per sample
  wav.write('data', 36);
  wav.writeUInt32LE(samples, 40);
  return wav;
}

/** The version of an SDK the page bundles, from its package.json. */
async function versionOf(name) {
  const json = await readFile(join(demo, 'node_modules', name, 'package.json'), 'utf8');
  return JSON.parse(json).version;
}

const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

/** Bundles the page; `serve(path)` then gives `{ type, body }` for an asset, or undefined. */
export async function loadAssets() {
  const app = await bundle('app.ts', 'inline');
  /** Real mode's twilio-video (a megabyte): bundled when first asked for. */
  let realVideo;
  const wav = silence();
  const versions = Object.fromEntries(
    await Promise.all(
      [
        '@twilio/conversations',
        'twilio-chat',
        'twilio-sync',
        '@twilio/voice-sdk',
        'twilio-video',
      ].map(async (name) => [name, await versionOf(name)]),
    ),
  );
  return {
    versions,
    async serve(path) {
      if (path === '/app.js') return { type: 'text/javascript; charset=utf-8', body: app };
      if (path === '/real-video.js') {
        realVideo ??= bundle('realVideo.ts', false);
        return { type: 'text/javascript; charset=utf-8', body: await realVideo };
      }
      if (path === '/sounds/silence.wav') return { type: 'audio/wav', body: wav };
      const file = STATIC[path];
      if (!file) return undefined;
      return { type: file[1], body: await readFile(join(demo, 'public', file[0])) };
    },
  };
}
