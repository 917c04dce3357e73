export type { ChatClientEvent, ChatClientLike } from './attachChat.js';
export { attachChat } from './attachChat.js';
