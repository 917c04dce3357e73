/**
 * The twilsock V3 wire format, as the real client (`twilsock` on npm) writes and parses it:
 * `TWILSOCK V3.0 <header byte length>\r\n<header JSON>\r\n<payload>`, where the header's
 * `payload_size` is the payload's byte length.
 */

/** A twilsock frame header. `method` and `id` are always there; the rest depends on the method. */
export interface TwilsockHeader {
  method: string;
  id: string;
  payload_size?: number;
  payload_type?: string;
  [field: string]: unknown;
}

/** One decoded frame: its header and its payload (parsed JSON, plain text, or `undefined`). */
export interface TwilsockFrame {
  header: TwilsockHeader;
  payload: unknown;
}

/** Thrown when bytes are not a twilsock V3.0 frame. */
export class TwilsockFrameError extends Error {
  override name = 'TwilsockFrameError';
}

const MAGIC = 'TWILSOCK V3.0 ';
const CRLF = '\r\n';

/** Encodes a frame (`payload_size` is computed). `payload` is sent as JSON unless it is a string. */
export function encodeTwilsockFrame(header: TwilsockHeader, payload?: unknown): Buffer {
  const body =
    payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headerJson = JSON.stringify({ ...header, payload_size: Buffer.byteLength(body) });
  return Buffer.from(`${MAGIC}${Buffer.byteLength(headerJson)}${CRLF}${headerJson}${CRLF}${body}`);
}

/** Decodes a frame; throws {@link TwilsockFrameError} on anything else. */
export function decodeTwilsockFrame(data: Buffer | ArrayBuffer | Uint8Array): TwilsockFrame {
  const bytes = Buffer.isBuffer(data)
    ? data
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const lineEnd = bytes.indexOf(CRLF);
  if (lineEnd < 0) throw new TwilsockFrameError('no magic line');
  const magic = bytes.subarray(0, lineEnd).toString('latin1');
  if (!magic.startsWith(MAGIC)) throw new TwilsockFrameError(`not a V3.0 frame: ${magic}`);
  const headerSize = Number(magic.slice(MAGIC.length));
  if (!Number.isInteger(headerSize) || headerSize <= 0) {
    throw new TwilsockFrameError(`bad header size: ${magic}`);
  }
  const headerStart = lineEnd + CRLF.length;
  const header = JSON.parse(
    bytes.subarray(headerStart, headerStart + headerSize).toString('utf8'),
  ) as TwilsockHeader;
  if (typeof header.method !== 'string') throw new TwilsockFrameError('header without method');
  const payloadSize = header.payload_size ?? 0;
  if (payloadSize === 0) return { header, payload: undefined };
  const payloadStart = headerStart + headerSize + CRLF.length;
  const text = bytes.subarray(payloadStart, payloadStart + payloadSize).toString('utf8');
  const type = header.payload_type ?? 'application/json';
  return { header, payload: type.startsWith('application/json') ? JSON.parse(text) : text };
}
