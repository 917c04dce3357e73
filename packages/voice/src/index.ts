export type { VoiceCallLike, VoiceDeviceLike, VoiceErrorLike } from './attachVoice.js';
export { attachVoice } from './attachVoice.js';
