import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { defineConfig } from 'vitest/config';

// React 18 lives in a directory of its own (test/react18, installed as a `file:` dependency), so
// that its react-dom is linked to its own react; the React 18 project resolves every import of
// react and react-dom there, @testing-library/react's included (inlined, so that vite resolves
// its imports too).
const env18 = createRequire(import.meta.url).resolve('@access-manager/react-18-env/package.json');
const require18 = createRequire(env18);
const react18 = dirname(require18.resolve('react/package.json'));
const reactDom18 = dirname(require18.resolve('react-dom/package.json'));
// Its ES module build, whose imports vite resolves (the CommonJS one would `require` React 19).
const testingLibrary = `${dirname(createRequire(import.meta.url).resolve('@testing-library/react/package.json'))}/dist/@testing-library/react.esm.js`;

const project = (react: '18' | '19') => ({
  extends: true as const,
  test: {
    name: `react-${react}`,
    include: ['src/**/*.test.{ts,tsx}'],
    // React 18's development build reports an error thrown in an effect through a DOM event
    // (invokeGuardedCallbackDev): happy-dom re-throws it into React, jsdom reports it as a browser does.
    environment: react === '18' ? 'jsdom' : 'happy-dom',
    env: { REACT_VERSION: react },
    server: { deps: { inline: react === '18' ? [/@testing-library\/react/] : [] } },
  },
  resolve:
    react === '18'
      ? {
          alias: [
            { find: /^@testing-library\/react$/, replacement: testingLibrary },
            { find: /^react$/, replacement: `${react18}/index.js` },
            { find: /^react\/(.*)$/, replacement: `${react18}/$1.js` },
            { find: /^react-dom$/, replacement: `${reactDom18}/index.js` },
            { find: /^react-dom\/(.*)$/, replacement: `${reactDom18}/$1.js` },
          ],
        }
      : {},
});

export default defineConfig({
  test: { projects: [project('19'), project('18')], testTimeout: 20_000 },
});
