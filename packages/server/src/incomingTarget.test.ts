import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { incomingTarget } from './incomingTarget.js';

const incoming = (url: string, rawHeaders: string[]): IncomingMessage =>
  ({ url, rawHeaders, socket: { localAddress: '127.0.0.1', localPort: 3000 } }) as never;

describe('incomingTarget', () => {
  it('builds the URL from Host and path, and notes a declared body', () => {
    expect(incomingTarget(incoming('/t?x=1', ['Host', 'a.example:8080']))).toEqual({
      url: 'http://a.example:8080/t?x=1',
      declaresBody: false,
    });
    expect(incomingTarget(incoming('/t', ['host', 'a', 'Content-Length', '3'])).declaresBody).toBe(
      true,
    );
    expect(incomingTarget(incoming('/t', ['host', 'a', 'content-length', '0'])).declaresBody).toBe(
      false,
    );
    expect(
      incomingTarget(incoming('/t', ['host', 'a', 'Transfer-Encoding', 'chunked'])).declaresBody,
    ).toBe(true);
    // HTTP/1.0 without Host: this end of the connection.
    expect(incomingTarget(incoming('/t', [])).url).toBe('http://127.0.0.1:3000/t');
  });

  it('never lets the Host header choose the path, query or user of the URL (fast-check)', () => {
    const hostCharacter = fc.constantFrom(...'aZ09.-_~:[]@/?#% \\"<>{}|^`!$&\'()*+,;=\t'.split(''));
    const pathCharacter = fc.constantFrom(...'aZ09/?#%.:@[]-_~!$&\'()*+,;="<>{}|\\^`'.split(''));
    fc.assert(
      fc.property(
        fc.string({ unit: hostCharacter, minLength: 1, maxLength: 12 }),
        fc.string({ unit: pathCharacter, maxLength: 12 }),
        (host, rest) => {
          const path = `/${rest}`;
          const { url } = incomingTarget(incoming(path, ['Host', host]));
          if (url === undefined) return;
          const parsed = new URL(url);
          const expected = new URL(`http://fixed.example${path}`);
          expect(parsed.pathname).toBe(expected.pathname);
          expect(parsed.search).toBe(expected.search);
          expect(parsed.username).toBe('');
          expect(parsed.host).toBe(new URL(`http://${host}/`).host);
        },
      ),
      { seed: 18, numRuns: 1000 },
    );
  });
});
