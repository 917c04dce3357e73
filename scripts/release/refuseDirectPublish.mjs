// prepublishOnly of every published package: `npm publish` or `pnpm publish` in a package's
// folder would skip the clean build, the checks and the registry guard, and npm would publish
// `workspace:` ranges as they are. The release command publishes the checked tarballs instead
// (a tarball's publish runs no script).
const name = process.env.npm_package_name ?? 'this package';
process.stderr.write(
  `${name} is published only by the release command, from the repository root:\n` +
    '  npx --yes pnpm@10 release --registry <url>   (add --dry-run to see what it would do)\n',
);
process.exitCode = 1;
