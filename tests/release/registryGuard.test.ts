import { describe, expect, it } from 'vitest';
import { checkRegistry } from '../../scripts/release/registryGuard.mjs';

describe('checkRegistry', () => {
  it.each([
    ['http://127.0.0.1:4873', 'http://127.0.0.1:4873/'],
    ['http://127.0.0.1:4873/', 'http://127.0.0.1:4873/'],
    ['http://127.1.2.3:1/', 'http://127.1.2.3:1/'],
    ['http://localhost:4873/npm', 'http://localhost:4873/npm/'],
    ['http://[::1]:4873/', 'http://[::1]:4873/'],
    [' http://127.0.0.1:9/ ', 'http://127.0.0.1:9/'],
  ])('allows %s, a registry on this machine', (registry, expected) => {
    expect(checkRegistry(registry)).toBe(expected);
  });

  it.each([
    'https://registry.npmjs.org/',
    'https://registry.npmjs.org',
    'http://registry.npmjs.org/',
    'https://registry.yarnpkg.com/',
    'https://npm.pkg.github.com/',
    'http://10.0.0.5:4873/',
    'http://127.0.0.1.example.com/',
    'http://localhost.example.com:4873/',
  ])('refuses %s without --allow-remote-registry', (registry) => {
    expect(() => checkRegistry(registry)).toThrow(
      expect.objectContaining({ code: 'registry_refused' }),
    );
    expect(() => checkRegistry(registry, { allowRemoteRegistry: false })).toThrow(
      expect.objectContaining({ name: 'RegistryRefusedError' }),
    );
  });

  it('allows a remote registry only with --allow-remote-registry', () => {
    expect(checkRegistry('https://registry.npmjs.org', { allowRemoteRegistry: true })).toBe(
      'https://registry.npmjs.org/',
    );
  });

  it.each([undefined, '', '   '])('requires a registry (%j): never npm config', (registry) => {
    expect(() => checkRegistry(registry)).toThrow(
      expect.objectContaining({ code: 'registry_missing' }),
    );
  });

  it.each([
    'registry.npmjs.org',
    '127.0.0.1:4873',
    'file:///tmp/registry',
    'ftp://127.0.0.1/',
    'http://127.0.0.1:4873/?x=1',
    'http://127.0.0.1:4873/#top',
  ])('rejects %s, not an http(s) registry URL', (registry) => {
    expect(() => checkRegistry(registry, { allowRemoteRegistry: true })).toThrow(
      expect.objectContaining({ code: 'registry_invalid' }),
    );
  });

  it('rejects credentials in the URL without repeating them', () => {
    let message = '';
    try {
      checkRegistry('http://admin:s3cr3t-token@127.0.0.1:4873/');
    } catch (error) {
      expect(error).toMatchObject({ code: 'registry_invalid' });
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain('s3cr3t-token');
    expect(message).not.toContain('admin');
  });
});
