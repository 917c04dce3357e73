const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A real `Headers` over a `node:http` request's raw headers, filled only when it must be.
 * Building a `Headers` from a request costs more than `node:http` spends on the whole request;
 * a token endpoint reads one or two headers (a cookie, `authorization`), so `get` and `has` read
 * the raw list directly, with the semantics of Node's `Headers` (case-insensitive, repeated values
 * joined with ", ", repeated cookies with "; "). Any other method first copies the raw list into the `Headers` and then behaves exactly
 * as `Headers` does.
 */
export class IncomingHeaders extends Headers {
  #raw: readonly string[] | undefined;

  constructor(rawHeaders: readonly string[]) {
    super();
    this.#raw = rawHeaders;
  }

  #fill(): void {
    const raw = this.#raw;
    if (raw === undefined) return;
    this.#raw = undefined;
    for (let index = 0; index + 1 < raw.length; index += 2) {
      const key = raw[index]!;
      // HTTP/2 pseudo-headers (`:path`...) are not headers to fetch.
      if (key.charCodeAt(0) !== 58) super.append(key, raw[index + 1]!);
    }
  }

  #find(name: string): string | null {
    const raw = this.#raw!;
    const wanted = name.toLowerCase();
    // undici joins repeated Cookie headers as one cookie string, the rest as a list.
    const separator = wanted === 'cookie' ? '; ' : ', ';
    let found: string | null = null;
    for (let index = 0; index + 1 < raw.length; index += 2) {
      const key = raw[index]!;
      if (key.length === wanted.length && key.toLowerCase() === wanted) {
        found = found === null ? raw[index + 1]! : `${found}${separator}${raw[index + 1]!}`;
      }
    }
    return found;
  }

  override get(name: string): string | null {
    // An invalid name goes to `Headers`, which throws the TypeError fetch specifies.
    if (this.#raw === undefined || typeof name !== 'string' || !headerName.test(name)) {
      this.#fill();
      return super.get(name);
    }
    return this.#find(name);
  }

  override has(name: string): boolean {
    if (this.#raw === undefined || typeof name !== 'string' || !headerName.test(name)) {
      this.#fill();
      return super.has(name);
    }
    return this.#find(name) !== null;
  }

  override set(name: string, value: string): void {
    this.#fill();
    super.set(name, value);
  }

  override append(name: string, value: string): void {
    this.#fill();
    super.append(name, value);
  }

  override delete(name: string): void {
    this.#fill();
    super.delete(name);
  }

  override getSetCookie(): string[] {
    this.#fill();
    return super.getSetCookie();
  }

  override forEach(
    callback: (value: string, key: string, parent: Headers) => void,
    thisArg?: unknown,
  ): void {
    this.#fill();
    super.forEach(callback, thisArg);
  }

  override entries(): HeadersIterator<[string, string]> {
    this.#fill();
    return super.entries();
  }

  override keys(): HeadersIterator<string> {
    this.#fill();
    return super.keys();
  }

  override values(): HeadersIterator<string> {
    this.#fill();
    return super.values();
  }

  override [Symbol.iterator](): HeadersIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }
}
