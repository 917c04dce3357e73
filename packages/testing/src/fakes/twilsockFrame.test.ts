import { describe, expect, it } from 'vitest';
import { decodeTwilsockFrame, encodeTwilsockFrame, TwilsockFrameError } from './twilsockFrame.js';

describe('twilsock frames', () => {
  it('writes the magic line with the header byte length and payload_size in the header', () => {
    const frame = encodeTwilsockFrame({ method: 'reply', id: 'TM1' }, { ok: true }).toString();
    const [magic, header, payload] = frame.split('\r\n');
    expect(magic).toBe(`TWILSOCK V3.0 ${Buffer.byteLength(header ?? '')}`);
    expect(JSON.parse(header ?? '')).toEqual({ method: 'reply', id: 'TM1', payload_size: 11 });
    expect(payload).toBe('{"ok":true}');
  });

  it('round-trips multi-byte text, counting bytes rather than characters', () => {
    const bytes = encodeTwilsockFrame(
      { method: 'message', id: 'TM2', note: 'é' },
      { name: 'Zoë ☃' },
    );
    const { header, payload } = decodeTwilsockFrame(bytes);
    expect(header).toMatchObject({ method: 'message', id: 'TM2', note: 'é' });
    expect(header.payload_size).toBe(Buffer.byteLength('{"name":"Zoë ☃"}'));
    expect(payload).toEqual({ name: 'Zoë ☃' });
  });

  it('decodes an ArrayBuffer, a frame without payload and a text/plain payload', () => {
    const empty = encodeTwilsockFrame({ method: 'update', id: 'TM3', token: 'x' });
    const buffer = new Uint8Array(empty).buffer; // a plain ArrayBuffer, as the browser socket gives
    expect(decodeTwilsockFrame(buffer)).toEqual({
      header: { method: 'update', id: 'TM3', token: 'x', payload_size: 0 },
      payload: undefined,
    });
    const text = encodeTwilsockFrame({ method: 'm', id: 'TM4', payload_type: 'text/plain' }, 'hi');
    expect(decodeTwilsockFrame(new Uint8Array(text)).payload).toBe('hi');
  });

  it('rejects what is not a V3.0 frame', () => {
    expect(() => decodeTwilsockFrame(Buffer.from('hello'))).toThrow(TwilsockFrameError);
    expect(() => decodeTwilsockFrame(Buffer.from('TWILSOCK V2.0 2\r\n{}\r\n'))).toThrow(
      TwilsockFrameError,
    );
    expect(() => decodeTwilsockFrame(Buffer.from('TWILSOCK V3.0 2\r\n{}\r\n'))).toThrow(
      /without method/,
    );
  });
});
