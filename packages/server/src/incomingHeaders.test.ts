import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncomingHeaders } from './incomingHeaders.js';

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/);
const value = fc.stringMatching(/^[ -~]{0,20}$/).map((text) => text.trim());
const rawHeaders = fc
  .array(
    fc.tuple(fc.oneof(name, fc.constantFrom('Cookie', 'cookie', 'Set-Cookie', 'X-A')), value),
    {
      maxLength: 12,
    },
  )
  .map((pairs) => pairs.flat());

const reference = (raw: string[]): Headers => {
  const headers = new Headers();
  for (let index = 0; index < raw.length; index += 2) headers.append(raw[index]!, raw[index + 1]!);
  return headers;
};

describe('IncomingHeaders behaves as Headers over the same raw list', () => {
  it('get and has, before anything fills it', () => {
    fc.assert(
      fc.property(rawHeaders, name, (raw, probe) => {
        const lookups = [probe, ...raw.filter((_, index) => index % 2 === 0)];
        for (const key of lookups) {
          for (const spelled of [key, key.toUpperCase(), key.toLowerCase()]) {
            expect(new IncomingHeaders(raw).get(spelled)).toBe(reference(raw).get(spelled));
            expect(new IncomingHeaders(raw).has(spelled)).toBe(reference(raw).has(spelled));
          }
        }
      }),
    );
  });

  it('iteration, getSetCookie and mutation', () => {
    fc.assert(
      fc.property(rawHeaders, name, value, (raw, key, text) => {
        expect([...new IncomingHeaders(raw)]).toEqual([...reference(raw)]);
        expect(new IncomingHeaders(raw).getSetCookie()).toEqual(reference(raw).getSetCookie());
        const mine = new IncomingHeaders(raw);
        const theirs = reference(raw);
        mine.append(key, text);
        theirs.append(key, text);
        expect(mine.get(key)).toBe(theirs.get(key));
        mine.set('x-set', text);
        theirs.set('x-set', text);
        mine.delete(key);
        theirs.delete(key);
        expect([...mine.entries()]).toEqual([...theirs.entries()]);
        expect([...mine.keys()]).toEqual([...theirs.keys()]);
        expect([...mine.values()]).toEqual([...theirs.values()]);
      }),
    );
  });

  it('throws the TypeError of Headers for an invalid name', () => {
    expect(() => new IncomingHeaders(['a', 'b']).get('bad name')).toThrow(TypeError);
  });

  it('is a Headers, usable to build a Request', () => {
    const headers = new IncomingHeaders(['Authorization', 'Bearer x', ':path', '/']);
    expect(headers).toBeInstanceOf(Headers);
    const request = new Request('http://localhost/', { headers });
    expect(request.headers.get('authorization')).toBe('Bearer x');
  });
});
