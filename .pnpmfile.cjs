// pnpm reads this file for `pnpm pack` and `pnpm publish` (pnpm >= 10.28). It has no install hooks.
//
// beforePacking: what a user installs from the registry carries only what a user needs. The
// published package.json loses `devDependencies` (they name the private @access-manager/testing
// package and `file:` paths that exist only in this repository; npm never installs a dependency's
// devDependencies anyway) and `scripts` (they call the monorepo's tools by relative paths).
// The package.json in the repository stays as it is.
module.exports = {
  hooks: {
    beforePacking(manifest) {
      const { devDependencies: _devDependencies, scripts: _scripts, ...published } = manifest;
      return published;
    },
  },
};
