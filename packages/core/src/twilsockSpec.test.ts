import { describe, expect, it } from 'vitest';
import type { ClientSignal } from './attachClient.js';
import { type TwilsockClientLike, twilsockSpec } from './twilsockSpec.js';

class FakeTwilsockClient implements TwilsockClientLike {
  connectionState = 'connected';
  listeners = new Map<string, Set<(arg?: { errorCode?: number }) => void>>();
  updateToken = async () => this;
  on(event: string, listener: (arg?: { errorCode?: number }) => void) {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener);
  }
  off(event: string, listener: (arg?: { errorCode?: number }) => void) {
    this.listeners.get(event)?.delete(listener);
  }
  emit(event: string, arg?: { errorCode?: number }) {
    for (const listener of this.listeners.get(event) ?? []) listener(arg);
  }
  get count() {
    return [...this.listeners.values()].reduce((n, set) => n + set.size, 0);
  }
}

describe('twilsockSpec', () => {
  it('maps the twilsock events to signals, and stops listening', () => {
    const spec = twilsockSpec('sync', 'data_sync');
    const client = new FakeTwilsockClient();
    const signals: ClientSignal[] = [];
    const stop = spec.listen?.(client, (kind) => signals.push(kind));
    client.emit('tokenAboutToExpire');
    client.emit('tokenExpired');
    client.emit('connectionError', { errorCode: 20104 });
    client.emit('connectionError', { errorCode: 51130 });
    expect(signals).toEqual(['willExpire', 'expired', 'expired']);
    stop?.();
    expect(client.count).toBe(0);
    expect(spec).toMatchObject({ name: 'sync', grant: 'data_sync' });
  });

  it('is not ready while disconnecting, and says when that changes', () => {
    const spec = twilsockSpec('chat', 'chat');
    const client = new FakeTwilsockClient();
    let changes = 0;
    const stop = spec.watch?.(client, () => changes++);
    client.connectionState = 'disconnecting';
    expect(spec.isReady?.(client)).toBe(false);
    client.connectionState = 'disconnected';
    client.emit('connectionStateChanged');
    expect(spec.isReady?.(client)).toBe(true);
    expect(changes).toBe(1);
    stop?.();
    expect(client.count).toBe(0);
  });

  it('counts a TypeError as delivered only when asked to', () => {
    expect(twilsockSpec('sync', 'data_sync').isDelivered).toBeUndefined();
    const spec = twilsockSpec('conversations', 'chat', { typeErrorIsDelivered: true });
    expect(spec.isDelivered?.(new TypeError('no media client'))).toBe(true);
    expect(spec.isDelivered?.(new Error('socket closed'))).toBe(false);
  });
});
