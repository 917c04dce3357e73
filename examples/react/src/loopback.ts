// The Voice SDK always dials `wss://<chunderw>/signal`, and the local fake of Twilio's signaling
// server speaks plain ws on 127.0.0.1 (as @access-manager/testing's installVoiceGlobals does in
// Node). Loaded before the SDK, which reads WebSocket once, when it is first imported. Local
// addresses only: nothing else is rewritten.
const Native = globalThis.WebSocket;
globalThis.WebSocket = class LoopbackWebSocket extends Native {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(String(url).replace(/^wss:\/\/127\.0\.0\.1:/, 'ws://127.0.0.1:'), protocols);
  }
};
