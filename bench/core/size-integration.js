// What the README's integration example pulls in from access-manager, for size-limit (see
// .size-limit.json): bundled with the rxjs code it needs, the SDKs external.

export { attachConversations } from '../../packages/conversations/dist/index.js';
export { AccessManager, fetchTokenFrom } from '../../packages/core/dist/index.js';
export { attachVoice } from '../../packages/voice/dist/index.js';
