export type { ConversationsClientEvent, ConversationsClientLike } from './attachConversations.js';
export { attachConversations } from './attachConversations.js';
