import { EventEmitter } from 'node:events';
import { AccessManager, type FetchToken } from '@access-manager/core';
import { makeToken } from '@access-manager/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectVideo, type VideoErrorLike } from './index.js';

/*
 * twilio-video needs WebRTC, which Node lacks: `connect` is injected, and returns a Room
 * stand-in with the Room's events and `disconnect()`.
 */

const nowS = () => Math.floor(Date.now() / 1000);
const video = (options: { identity?: string; iat?: number; ttl?: number } = {}) =>
  makeToken({ grants: { video: {} }, iat: nowS(), ...options });

class FakeRoom extends EventEmitter {
  constructor(
    readonly token: string,
    readonly options: unknown,
  ) {
    super();
  }
  disconnected = false;
  disconnect(): this {
    this.close();
    return this;
  }
  /** The room ends: by `disconnect()`, or by the server with an error. */
  close(error?: VideoErrorLike): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.emit('disconnected', this, error ?? null);
  }
}

function setup(options: { token?: string; fetchToken?: FetchToken; identity?: 'any' } = {}) {
  const fetched: string[] = [];
  const manager = new AccessManager({
    token: options.token ?? video(),
    wakeSignals: false,
    ...(options.identity ? { identity: options.identity } : {}),
    fetchToken:
      options.fetchToken ??
      (async () => {
        fetched.push(video({ iat: nowS() + fetched.length + 1 }));
        return fetched.at(-1)!;
      }),
  });
  const rooms: FakeRoom[] = [];
  const connect = vi.fn(async (token: string, connectOptions?: { name: string }) => {
    const room = new FakeRoom(token, connectOptions);
    rooms.push(room);
    return room;
  });
  cleanups.push(() => manager.close());
  return { manager, connect, rooms, fetched };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Everything `room$` delivered. */
function record<T>(room$: { subscribe: (observer: Partial<Record<string, unknown>>) => unknown }) {
  const log: Array<T | 'complete' | { error: unknown }> = [];
  room$.subscribe({
    next: (room: T) => log.push(room),
    error: (error: unknown) => log.push({ error }),
    complete: () => log.push('complete'),
  });
  return log;
}

describe('connectVideo', () => {
  it('never reconnects as another identity, even when the manager switched while the first connect was under way', async () => {
    const alice = video({ identity: 'alice' });
    const { manager } = setup({ token: alice, identity: 'any' });
    const rooms: FakeRoom[] = [];
    let release = () => {};
    const connect = vi.fn((token: string) => {
      const room = new FakeRoom(token, undefined);
      rooms.push(room);
      // the first connect is held open while the manager adopts a token for bob
      return rooms.length === 1
        ? new Promise<FakeRoom>((resolve) => {
            release = () => resolve(room);
          })
        : Promise.resolve(room);
    });
    const connection = connectVideo(manager, connect, undefined, { reconnectOnExpiry: true });
    cleanups.push(() => connection.detach());
    const log = record<FakeRoom>(connection.room$);
    await vi.waitFor(() => expect(connect).toHaveBeenCalledTimes(1));
    await manager.updateToken(video({ identity: 'bob', iat: nowS() + 1 }));
    release();
    await connection;
    rooms[0]?.close({ code: 20104 });
    await vi.waitFor(() =>
      expect(log.at(-1)).toMatchObject({ error: { code: 'identity_mismatch' } }),
    );
    expect(connect.mock.calls.map(([token]) => token)).toEqual([alice]);
  });

  it('connects with the token held when it is valid long enough, passing the options', async () => {
    const { manager, connect, fetched } = setup();
    const room = await connectVideo(manager, connect, { name: 'standup' });
    expect(connect).toHaveBeenCalledWith(manager.token, { name: 'standup' });
    expect(room).toMatchObject({ token: manager.token, options: { name: 'standup' } });
    expect(fetched).toEqual([]);
  });

  it('fetches first when the token held has less than minValidityMs left', async () => {
    const { manager, connect, fetched } = setup({ token: video({ iat: nowS() - 3_550 }) }); // 50 s left
    const room = await connectVideo(manager, connect, undefined, { minValidityMs: 60_000 });
    expect(fetched).toHaveLength(1);
    expect(room.token).toBe(fetched[0]);
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('rejects with missing_grant, without connecting, when the token has no video grant', async () => {
    const { manager, connect } = setup({ token: makeToken({ grants: { chat: {} } }) });
    const connection = connectVideo(manager, connect);
    await expect(connection).rejects.toMatchObject({ code: 'missing_grant' });
    expect(record(connection.room$)).toEqual([{ error: expect.objectContaining({}) }]);
    expect(connect).not.toHaveBeenCalled();
  });

  it('with reconnectOnExpiry, connects again after a 20104 disconnect with a fresh token, and emits the new room', async () => {
    const { manager, connect, rooms, fetched } = setup();
    const connection = connectVideo(
      manager,
      connect,
      { name: 'standup' },
      {
        reconnectOnExpiry: true,
      },
    );
    const first = await connection;
    const log = record<FakeRoom>(connection.room$);
    expect(log).toEqual([first]);
    // The room's token was refused as expired; the manager still holds it: a new one is fetched.
    first.close({ code: 20104 });
    await vi.waitFor(() => expect(rooms).toHaveLength(2));
    const second = rooms[1]!;
    expect(fetched).toHaveLength(1);
    expect(second.token).toBe(fetched[0]);
    expect(second.options).toEqual({ name: 'standup' });
    await vi.waitFor(() => expect(log).toEqual([first, second]));
    expect(first.listenerCount('disconnected')).toBe(0);
    // A later token refresh by the manager: the next 20104 connects with that token, no fetch.
    const refreshed = video({ iat: nowS() + 10 });
    await manager.updateToken(refreshed);
    second.close({ code: 20104 });
    await vi.waitFor(() => expect(rooms).toHaveLength(3));
    expect(rooms[2]!.token).toBe(refreshed);
    expect(fetched).toHaveLength(1);
    // An ordinary disconnect ends it.
    rooms[2]!.disconnect();
    await vi.waitFor(() => expect(log).toEqual([first, second, rooms[2], 'complete']));
    expect(rooms[2]!.listenerCount('disconnected')).toBe(0);
    // The grant is released: a token without video is accepted again.
    await manager.updateToken(makeToken({ iat: nowS() + 20, grants: { chat: {} } }));
  });

  it('without reconnectOnExpiry, a 20104 disconnect ends room$', async () => {
    const { manager, connect } = setup();
    const connection = connectVideo(manager, connect);
    const room = await connection;
    const log = record(connection.room$);
    room.close({ code: 20104 });
    expect(log).toEqual([room, 'complete']);
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('does not reconnect for another identity', async () => {
    const { manager, connect } = setup({ identity: 'any' });
    const connection = connectVideo(manager, connect, undefined, { reconnectOnExpiry: true });
    const room = await connection;
    const log = record(connection.room$);
    await manager.updateToken(video({ identity: 'mallory', iat: nowS() + 1 }));
    room.close({ code: 20104 });
    await vi.waitFor(() => expect(log).toHaveLength(2));
    expect(log[1]).toEqual({ error: expect.objectContaining({ code: 'identity_mismatch' }) });
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('detach cancels a connect under way, and disconnects a room that arrives after it', async () => {
    const { manager } = setup();
    let resolve: (room: FakeRoom) => void = () => {};
    const cancel = vi.fn();
    const connect = vi.fn(() =>
      Object.assign(
        new Promise<FakeRoom>((r) => {
          resolve = r;
        }),
        { cancel },
      ),
    );
    const connection = connectVideo(manager, connect);
    await vi.waitFor(() => expect(connect).toHaveBeenCalled());
    connection.detach();
    expect(cancel).toHaveBeenCalledTimes(1);
    const late = new FakeRoom('t', undefined);
    resolve(late); // a connect that ignores cancel()
    await expect(connection).rejects.toMatchObject({ code: 'closed' });
    expect(late.disconnected).toBe(true);
    expect(record(connection.room$)).toEqual(['complete']);
  });

  it("detach calls cancel() on the connect's promise itself, as twilio-video's CancelablePromise needs (a method that reads `this`)", async () => {
    const { manager } = setup();
    /** Like twilio-video's CancelablePromise: `cancel` is a prototype method using `this`. */
    class CancelableRoomPromise extends Promise<FakeRoom> {
      cancelled = false;
      reject: (error: Error) => void = () => {};
      cancel(): this {
        this.cancelled = true;
        this.reject(new Error('Canceled'));
        return this;
      }
    }
    let pending: CancelableRoomPromise | undefined;
    const connect = vi.fn(() => {
      let reject: (error: Error) => void = () => {};
      pending = new CancelableRoomPromise((_resolve, r) => {
        reject = r;
      });
      pending.reject = reject;
      return pending;
    });
    const connection = connectVideo(manager, connect);
    await vi.waitFor(() => expect(connect).toHaveBeenCalled());
    expect(() => connection.detach()).not.toThrow();
    expect(pending?.cancelled).toBe(true);
    await expect(connection).rejects.toMatchObject({ code: 'closed' });
  });

  it('detach removes its room listener, leaves no timer, releases the grant, and is idempotent', async () => {
    vi.useFakeTimers();
    cleanups.push(() => vi.useRealTimers());
    const { manager, connect } = setup();
    const timers = vi.getTimerCount();
    const connection = connectVideo(manager, connect, undefined, { reconnectOnExpiry: true });
    const room = await connection;
    const log = record(connection.room$);
    expect(room.listenerCount('disconnected')).toBe(1);
    connection.detach();
    connection[Symbol.dispose]();
    expect(room.listenerCount('disconnected')).toBe(0);
    expect(room.disconnected).toBe(true); // it connected the room: detach leaves it
    expect(vi.getTimerCount()).toBe(timers);
    expect(log).toEqual([room, 'complete']);
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants: { chat: {} } }));
  });

  it('detach disconnects the room it connected, once, with no error; the app sees it, and nothing connects again', async () => {
    const { manager, connect, rooms, fetched } = setup();
    const connection = connectVideo(manager, connect, undefined, { reconnectOnExpiry: true });
    const room = await connection;
    const disconnect = vi.spyOn(room, 'disconnect');
    const seenByApp: unknown[] = [];
    room.on('disconnected', (_room: unknown, error: unknown) => seenByApp.push(error));
    const log = record(connection.room$);
    connection.detach();
    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(seenByApp).toEqual([null]);
    expect(log).toEqual([room, 'complete']);
    connection.detach();
    connection[Symbol.dispose]();
    expect(disconnect).toHaveBeenCalledTimes(1);
    // A 20104 the room would report now is not heard: no new room, no fetch.
    room.emit('disconnected', room, { code: 20104 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(rooms).toHaveLength(1);
    expect(connect).toHaveBeenCalledTimes(1);
    expect(fetched).toEqual([]);
    expect(record(connection.room$)).toEqual(['complete']);
  });

  it('detach after the app disconnected the room leaves it alone', async () => {
    const { manager, connect } = setup();
    const connection = connectVideo(manager, connect);
    const room = await connection;
    const log = record(connection.room$);
    room.disconnect(); // the app leaves: room$ completes
    expect(log).toEqual([room, 'complete']);
    const disconnect = vi.spyOn(room, 'disconnect');
    expect(() => connection.detach()).not.toThrow();
    expect(disconnect).not.toHaveBeenCalled();
    expect(log).toEqual([room, 'complete']);
  });

  it('detach while connecting again after a 20104 cancels that connect and leaves the old room alone', async () => {
    const { manager } = setup();
    const rooms: FakeRoom[] = [];
    const cancel = vi.fn();
    const connect = vi.fn((token: string) => {
      const room = new FakeRoom(token, undefined);
      rooms.push(room);
      // the second connect hangs until cancelled
      return rooms.length === 1
        ? Promise.resolve(room)
        : Object.assign(new Promise<FakeRoom>(() => {}), { cancel });
    });
    const connection = connectVideo(manager, connect, undefined, { reconnectOnExpiry: true });
    const first = await connection;
    const log = record(connection.room$);
    first.close({ code: 20104 });
    await vi.waitFor(() => expect(connect).toHaveBeenCalledTimes(2));
    const disconnect = vi.spyOn(first, 'disconnect');
    connection.detach();
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(disconnect).not.toHaveBeenCalled();
    expect(log).toEqual([first, 'complete']);
  });

  it('a room whose disconnect() throws: detach throws it, but the grant is released and room$ completes', async () => {
    const { manager, connect } = setup();
    const connection = connectVideo(manager, connect);
    const room = await connection;
    const log = record(connection.room$);
    vi.spyOn(room, 'disconnect').mockImplementation(() => {
      throw new Error('broken room');
    });
    expect(() => connection.detach()).toThrow('broken room');
    expect(log).toEqual([room, 'complete']);
    expect(room.listenerCount('disconnected')).toBe(0);
    expect(() => connection.detach()).not.toThrow();
    await manager.updateToken(makeToken({ iat: nowS() + 1, grants: { chat: {} } }));
  });
});
