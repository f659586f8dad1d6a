export { HeraldClient, Subscription } from './client.js';
export type {
  ClientEvents, HeraldClientOptions, HeraldError, State, SubscriptionEvents, TokenSource, WebSocketConstructor,
  WebSocketLike,
} from './client.js';
export { PendingChanges, UPLOAD_LIKE } from './pending-changes.js';
export type { Lane, PendingChangesOptions } from './pending-changes.js';
export { backoffDelay } from './clock.js';
export type { Clock } from './clock.js';
export type { DialectName, Position } from './dialects.js';
export type { ListenerErrorHook } from './emitter.js';
