export type { SyncClientEvent, SyncClientLike } from './attachSync.js';
export { attachSync } from './attachSync.js';
