export type {
  VideoConnect,
  VideoConnection,
  VideoErrorLike,
  VideoOptions,
  VideoRoomLike,
} from './connectVideo.js';
export { connectVideo } from './connectVideo.js';
