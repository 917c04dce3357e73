import { describe, expect, it } from 'vitest';
import { redact } from './logger.js';

describe('redact', () => {
  it('replaces a secret of four characters or more wherever it appears', () => {
    expect(redact('bad s3cret, s3cretive', ['s3cret'])).toBe('bad [redacted], [redacted]ive');
  });

  it('replaces a secret shorter than four characters where it stands as a whole token', () => {
    expect(redact('db password k3y rejected', ['k3y'])).toBe('db password [redacted] rejected');
    expect(redact('k3y', ['k3y'])).toBe('[redacted]');
    expect(redact('(k3y) "k3y": k3y.', ['k3y'])).toBe('([redacted]) "[redacted]": [redacted].');
    expect(redact('key=a+b; x', ['a+b'])).toBe('key=[redacted]; x');
    expect(redact('secret: é', ['é'])).toBe('secret: [redacted]');
    // Every character a regular expression treats specially, and the hyphen.
    for (const secret of ['a-b', '$1', '\\', '.*', '[]', '(?', '{}', '|/', '^']) {
      expect(redact(`x ${secret} y`, [secret]), secret).toBe('x [redacted] y');
    }
  });

  it('leaves a short secret inside a longer word alone, so that words stay readable', () => {
    expect(redact('k3yboard mak3y k3y_1 a', ['k3y'])).toBe('k3yboard mak3y k3y_1 a');
    expect(redact('a value and a', ['a'])).toBe('[redacted] value and [redacted]');
    expect(redact('anything', [''])).toBe('anything');
  });

  it('replaces anything shaped like a JWT', () => {
    expect(redact('got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln here')).toBe('got [token] here');
  });
});
