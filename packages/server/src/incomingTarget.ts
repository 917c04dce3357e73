import type { IncomingMessage } from 'node:http';

/** What the `node:http` adapter needs to know of a request before a handler sees it. */
export interface IncomingTarget {
  /**
   * The request's URL, always well formed (`http://<Host><path>`, the path the request's), or
   * undefined when the request line and the `Host` header make none: the answer is then 400.
   */
  url: string | undefined;
  /** Whether the request declares a body (`content-length` above 0, or `transfer-encoding`). */
  declaresBody: boolean;
}

// A Host (RFC 9110 §7.2): a name of letters, digits, `-`, `.`, `_`, `~`, or an IP literal in
// brackets, and an optional port. Narrower than RFC 3986's reg-name, which also allows
// sub-delims and %-escapes that no host is spelled with and that a URL parser rewrites: what is
// left cannot carry a path, a query, user info or a space.
const hostPattern = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;
// An absolute-form request line (RFC 9112 §3.2.2): scheme, authority, then path and query.
const absoluteForm = /^https?:\/\/([^/?#]*)([/?][^#]*)?$/i;

// Whether a Host value makes a URL. A URL parser has the last word (an IPv4 address of 999, a
// malformed IPv6 literal), so each distinct value is parsed once and remembered; a server sees
// few. The bound keeps a client that sends a new Host each time from growing it.
const knownHosts = new Map<string, boolean>();

function isHost(host: string): boolean {
  let known = knownHosts.get(host);
  if (known === undefined) {
    const match = hostPattern.exec(host);
    known =
      match !== null &&
      (match[1] === undefined || Number(match[1]) <= 65_535) &&
      URL.canParse(`http://${host}/`);
    if (knownHosts.size >= 256) knownHosts.clear();
    knownHosts.set(host, known);
  }
  return known;
}

const none: IncomingTarget = { url: undefined, declaresBody: false };

/**
 * The URL of a `node:http` request, built as `@hono/node-server` and the fetch servers of Deno
 * and Bun do: from the `Host` header and an origin-form path, or from an absolute-form request
 * line. Whatever makes no such URL (a `Host` of `a b` or `evil.example/x?`, two
 * `Host` headers, a `*` or `ftp:` target) has none. Reads the raw headers once, in the same pass
 * noting whether a body is declared: `request.headers` would build an object of every header.
 */
export function incomingTarget(request: IncomingMessage): IncomingTarget {
  const raw = request.rawHeaders;
  let host: string | undefined;
  let declaresBody = false;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index]!;
    const length = name.length;
    if (length === 4) {
      if (name.toLowerCase() !== 'host') continue;
      if (host !== undefined) return none;
      host = raw[index + 1]!;
    } else if (length === 14) {
      if (raw[index + 1] !== '0' && name.toLowerCase() === 'content-length') declaresBody = true;
    } else if (length === 17 && name.toLowerCase() === 'transfer-encoding') {
      declaresBody = true;
    }
  }
  const socket = request.socket as { encrypted?: boolean } | null;
  const scheme = socket?.encrypted ? 'https://' : 'http://';
  // Express rewrites `url` under a mount path and keeps the full one in `originalUrl`.
  const target = (request as { originalUrl?: string }).originalUrl ?? request.url ?? '/';
  if (target.charCodeAt(0) !== 47 /* / */) {
    const absolute = absoluteForm.exec(target);
    if (absolute === null || !isHost(absolute[1]!)) return { url: undefined, declaresBody };
    const rest = absolute[2] ?? '/';
    return {
      url: `${scheme}${absolute[1]}${rest.charCodeAt(0) === 47 ? rest : `/${rest}`}`,
      declaresBody,
    };
  }
  if (host === undefined) {
    // HTTP/1.0 may send no Host (Node refuses an HTTP/1.1 request without one): this end.
    const local = request.socket as { localAddress?: string; localPort?: number } | null;
    const address = local?.localAddress ?? 'localhost';
    host = `${address.includes(':') ? `[${address}]` : address}:${local?.localPort ?? 80}`;
  } else if (!isHost(host)) {
    return { url: undefined, declaresBody };
  }
  return { url: `${scheme}${host}${target}`, declaresBody };
}
