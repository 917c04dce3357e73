import { InvalidRegistryError, MissingRegistryError, RegistryRefusedError } from './errors.mjs';

/**
 * Hosts that are this machine. A release to anything else (the public npm registry first of
 * all) needs `--allow-remote-registry`, so that a test run or a dry run that is handed the wrong
 * URL can never publish to the world.
 */
const isLoopback = (hostname) =>
  hostname === 'localhost' ||
  hostname === '[::1]' ||
  hostname === '::1' ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/**
 * Decides whether the release may publish to `registry`. Pure: it reads no configuration and
 * contacts nothing.
 *
 * @param {string | undefined} registry the `--registry` argument, exactly as given
 * @param {{ allowRemoteRegistry?: boolean }} [options]
 * @returns {string} the registry URL, normalised to end in `/`
 * @throws {MissingRegistryError | InvalidRegistryError | RegistryRefusedError}
 *
 * @example
 * checkRegistry('http://127.0.0.1:4873'); // 'http://127.0.0.1:4873/'
 * checkRegistry('https://registry.npmjs.org/'); // throws RegistryRefusedError
 * checkRegistry('https://registry.npmjs.org/', { allowRemoteRegistry: true }); // allowed
 */
export function checkRegistry(registry, options = {}) {
  if (registry === undefined || registry.trim() === '') {
    throw new MissingRegistryError(
      'the release needs --registry <url>: it never falls back to the registry npm is configured with',
    );
  }
  let url;
  try {
    url = new URL(registry.trim());
  } catch {
    throw new InvalidRegistryError('--registry is not a URL (expected http://host:port/)');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRegistryError(`--registry must be an http or https URL, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    // Said without the URL: it holds a secret.
    throw new InvalidRegistryError(
      '--registry must not carry credentials: put the token in your .npmrc for that registry',
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidRegistryError('--registry must not have a query or a fragment');
  }
  if (!isLoopback(url.hostname) && options.allowRemoteRegistry !== true) {
    throw new RegistryRefusedError(
      `refusing to publish to ${url.origin}: without --allow-remote-registry the release publishes only to a registry on this machine (127.0.0.1, localhost, [::1])`,
    );
  }
  const href = url.href;
  return href.endsWith('/') ? href : `${href}/`;
}
