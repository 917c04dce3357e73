import { nodeBuiltin } from './runtime.js';

// Looked up once: Buffer's native base64url is several times faster than the portable path on a
// token's few hundred bytes, and every runtime with node:buffer has it.
const NodeBuffer = nodeBuiltin('node:buffer')?.Buffer;
const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true });

/** The base64url form (no padding) of bytes. */
export function bytesToBase64url(bytes: Uint8Array): string {
  if (NodeBuffer !== undefined) {
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  }
  let binary = '';
  // Chunks keep String.fromCharCode's argument count far below engines' limits.
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The base64url form of a string's UTF-8 bytes. */
export function textToBase64url(text: string): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(text, 'utf8').toString('base64url');
  return bytesToBase64url(encoder.encode(text));
}

/** The bytes of base64url text; the caller has checked that it holds base64url characters only. */
export function base64urlToBytes(text: string): Uint8Array<ArrayBuffer> {
  if (NodeBuffer !== undefined) {
    const buffer = NodeBuffer.from(text, 'base64url');
    return new Uint8Array(
      buffer.buffer,
      buffer.byteOffset,
      buffer.byteLength,
    ) as Uint8Array<ArrayBuffer>;
  }
  const padded = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** The UTF-8 text of base64url text; throws on bytes that are not UTF-8. */
export function base64urlToText(text: string): string {
  return decoder.decode(base64urlToBytes(text));
}

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array<ArrayBuffer> => encoder.encode(text);
