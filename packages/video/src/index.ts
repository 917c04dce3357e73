// `[Symbol.dispose]` in the public types needs this lib; a consumer whose own `lib` lacks it
// (ES2022 and DOM, no @types/node) gets it through the emitted index.d.ts, which keeps the line.
/// <reference lib="esnext.disposable" preserve="true" />

export type {
  VideoConnect,
  VideoConnection,
  VideoErrorLike,
  VideoOptions,
  VideoRoomLike,
} from './connectVideo.js';
export { connectVideo } from './connectVideo.js';
