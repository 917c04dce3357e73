/**
 * The release command's errors: one base class with a stable `code`, as in the packages. A
 * message never contains a token or a registry URL's credentials.
 */
export class ReleaseError extends Error {
  /** @type {string} */
  code = 'release_error';
  name = 'ReleaseError';
}

/** No `--registry` was given: the release never falls back to npm's configured registry. */
export class MissingRegistryError extends ReleaseError {
  code = 'registry_missing';
  name = 'MissingRegistryError';
}

/** `--registry` is not an http(s) URL, or carries credentials. */
export class InvalidRegistryError extends ReleaseError {
  code = 'registry_invalid';
  name = 'InvalidRegistryError';
}

/** A registry beyond this machine without `--allow-remote-registry`. */
export class RegistryRefusedError extends ReleaseError {
  code = 'registry_refused';
  name = 'RegistryRefusedError';
}

/** A command-line argument the release command does not know, or a missing value. */
export class ReleaseUsageError extends ReleaseError {
  code = 'release_usage';
  name = 'ReleaseUsageError';
}

/** A packed tarball that must not be published (see packChecks.mjs), or a build missing. */
export class PackageCheckError extends ReleaseError {
  code = 'package_check_failed';
  name = 'PackageCheckError';
}

/** A step of the release (build, version, a check tool, publish) exited with a failure. */
export class ReleaseStepError extends ReleaseError {
  code = 'release_step_failed';
  name = 'ReleaseStepError';
}
