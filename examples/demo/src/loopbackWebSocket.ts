// The Voice SDK always dials `wss://<chunderw>/signal`, and reads `globalThis.WebSocket` once,
// when its module is evaluated. The demo's fake Voice signaling server speaks plain `ws` on
// 127.0.0.1, so this module, imported before the SDK, makes the page's WebSocket dial `ws://`
// where it is asked for `wss://` on 127.0.0.1. Every other address is left alone (real mode
// connects to Twilio over `wss://` as usual).

const LOOPBACK = /^wss:\/\/127\.0\.0\.1([:/]|$)/;
const NativeWebSocket = globalThis.WebSocket;

/** A WebSocket that dials `ws://` for a `wss://` address on 127.0.0.1. */
class LoopbackWebSocket extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(String(url).replace(LOOPBACK, 'ws://127.0.0.1$1'), protocols);
  }
}

globalThis.WebSocket = LoopbackWebSocket;
