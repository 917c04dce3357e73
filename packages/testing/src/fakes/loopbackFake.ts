import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { trackFake } from './openFakes.js';

/** A WebSocket server listening on 127.0.0.1 and an ephemeral port. */
export async function listenOnLoopback(): Promise<WebSocketServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}

/**
 * What the twilsock and chunder fakes share: the loopback server, the sockets it accepted
 * (numbered from 1), teardowns run first on close, and an idempotent `close()` that
 * `closeAllFakes()` can reach. Emits `connection` and `disconnect` on `events`.
 */
export abstract class LoopbackFake {
  protected readonly server: WebSocketServer;
  protected readonly port: number;
  protected readonly sockets = new Map<WebSocket, number>();
  protected readonly events = new EventEmitter();
  readonly #teardowns: Array<() => unknown> = [];
  #connectionCount = 0;
  #closed = false;

  protected constructor(server: WebSocketServer) {
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    server.on('connection', (socket) => {
      this.#connectionCount += 1;
      const connection = this.#connectionCount;
      this.sockets.set(socket, connection);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.events.emit('disconnect');
      });
      socket.on('error', () => socket.terminate());
      this.accept(socket, connection);
      this.events.emit('connection');
    });
    trackFake(this, true);
  }

  /** Sockets open now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** The numbers of the sockets open now (1 for the first accepted), in order. */
  get openConnectionNumbers(): number[] {
    return [...this.sockets.values()].sort((a, b) => a - b);
  }

  /** Sockets accepted so far. */
  get connectionCount(): number {
    return this.#connectionCount;
  }

  /** Cuts every connection, as a network failure would. */
  dropConnections(): void {
    for (const socket of this.sockets.keys()) socket.terminate();
  }

  /** Runs `teardown` first when the fake closes (the client helpers register shutdowns here). */
  addTeardown(teardown: () => unknown): void {
    this.#teardowns.push(teardown);
  }

  /**
   * Runs `beforeClose`, then the teardowns (last added first), terminates every socket and
   * stops listening. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    trackFake(this, false);
    await this.beforeClose();
    for (const teardown of this.#teardowns.splice(0).reverse()) await teardown();
    for (const socket of this.sockets.keys()) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.events.removeAllListeners();
  }

  /** What a fake does first when it closes. */
  protected beforeClose(): void | Promise<void> {}

  /** Handles a socket just accepted as connection number `connection`. */
  protected abstract accept(socket: WebSocket, connection: number): void;
}
