import { WebSocket as NodeWebSocket } from 'ws';

const LOOPBACK = /^wss:\/\/(127\.0\.0\.1|localhost|\[::1\])([:/]|$)/;

/**
 * A `ws` WebSocket that connects to `ws://` where it is asked for `wss://` on the loopback
 * interface, and leaves every other address alone. The Voice SDK builds
 * `wss://<chunderw>/signal` with no way to choose the scheme, and the fakes speak plain `ws`.
 */
export class LoopbackWebSocket extends NodeWebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(String(address).replace(LOOPBACK, 'ws://$1$2'), protocols);
  }
}

let installed: { restore: () => void; count: number } | undefined;

/**
 * Gives Node 20 the two browser globals the Voice SDK needs: `navigator` (read by `new Device`)
 * and `WebSocket` (read once, when `@twilio/voice-sdk` is first loaded: install these before
 * that import). Nested calls share one installation; the returned function undoes it when the
 * last caller is done. An existing `navigator` is kept; `WebSocket` is always replaced by
 * {@link LoopbackWebSocket}, which only changes loopback `wss://` addresses.
 */
export function installVoiceGlobals(): () => void {
  if (!installed) {
    const root = globalThis as Record<string, unknown>;
    const saved = new Map<string, PropertyDescriptor | undefined>();
    const define = (name: string, value: unknown, keepExisting: boolean) => {
      if (keepExisting && root[name] !== undefined) return;
      saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    };
    define('navigator', { userAgent: 'Node.js', platform: process.platform }, true);
    // Replaced even where Node has its own (22+): that one would try TLS on the fake's port.
    define('WebSocket', LoopbackWebSocket, false);
    installed = {
      count: 0,
      restore: () => {
        for (const [name, descriptor] of saved) {
          if (descriptor) Object.defineProperty(globalThis, name, descriptor);
          else delete root[name];
        }
      },
    };
  }
  const current = installed;
  current.count += 1;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    current.count -= 1;
    if (current.count === 0 && installed === current) {
      current.restore();
      installed = undefined;
    }
  };
}
