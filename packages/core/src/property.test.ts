import { makeToken } from '@access-manager/testing';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessManager } from './accessManager.js';
import { AccessManagerError } from './errors.js';

const T0 = Date.UTC(2026, 0, 1);
const nowS = () => Math.floor(Date.now() / 1000);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Token-ish inputs: random strings, JWT-shaped garbage, and real tokens with random claims. */
const claims = fc.record(
  {
    iat: fc.oneof(fc.integer({ min: -1e10, max: 1e10 }), fc.double(), fc.string()),
    exp: fc.oneof(fc.integer({ min: -1e10, max: 1e10 }), fc.double(), fc.constant(null)),
    nbf: fc.integer({ min: -1e10, max: 1e10 }),
    sub: fc.oneof(fc.string(), fc.integer()),
    grants: fc.oneof(
      fc.record({ identity: fc.oneof(fc.string(), fc.integer(), fc.constant('alice')) }),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);
const inputs = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.stringMatching(/^[\w-]{0,20}\.[\w-]{0,20}\.[\w-]{0,20}$/),
  claims.map((payload) => makeToken({ payload })),
  fc
    .record({
      dIat: fc.integer({ min: -90_000, max: 90_000 }),
      ttl: fc.integer({ min: -100, max: 100_000 }),
    })
    .map(({ dIat, ttl }) => makeToken({ iat: nowS() + dIat, ttl })),
);

describe('properties', () => {
  it('updateToken never throws synchronously and a rejected token never replaces the held one', async () => {
    await fc.assert(
      fc.asyncProperty(inputs, async (input) => {
        const good = makeToken({ iat: nowS(), ttl: 3600 });
        const manager = new AccessManager({ token: good, wakeSignals: false });
        let promise: Promise<unknown> | undefined;
        expect(() => {
          promise = manager.updateToken(input as string);
        }).not.toThrow();
        const outcome = await promise?.then(
          () => 'adopted',
          (error: unknown) => error,
        );
        if (outcome === 'adopted') {
          expect(manager.token === input || manager.token === good).toBe(true);
          expect(manager.isExpired).toBe(false);
        } else {
          expect(outcome).toBeInstanceOf(AccessManagerError);
          expect(manager.token).toBe(good);
        }
        expect(manager.getState().token?.jwt).toBe(manager.token);
        manager.close();
      }),
      { numRuns: 400 },
    );
  });

  it('never reports an expired token as valid, whatever the sequence of tokens and time steps', async () => {
    const step = fc.oneof(
      fc.record({ advance: fc.integer({ min: 0, max: 4_000_000 }) }),
      fc.record({
        dIat: fc.integer({ min: -7200, max: 7200 }),
        ttl: fc.integer({ min: 1, max: 90_000 }),
      }),
      fc.record({ jump: fc.integer({ min: -3_600_000, max: 86_400_000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        vi.setSystemTime(T0);
        const manager = new AccessManager({ wakeSignals: false, identity: 'any' });
        const seen: Array<{ status: string; expired: boolean }> = [];
        manager.state$.subscribe((state) => {
          seen.push({
            status: state.status,
            expired: state.token !== null && manager.isExpired,
          });
        });
        for (const s of steps) {
          if ('advance' in s) await vi.advanceTimersByTimeAsync(s.advance);
          else if ('jump' in s) vi.setSystemTime(Date.now() + s.jump);
          else
            await manager
              .updateToken(makeToken({ iat: nowS() + s.dIat, ttl: s.ttl }))
              .catch(() => {});
          const state = manager.getState();
          if (state.status === 'valid' || state.status === 'expiring') {
            expect(manager.isExpired).toBe(false);
          }
        }
        for (const entry of seen) {
          if (entry.status === 'valid') expect(entry.expired).toBe(false);
        }
        manager.close();
      }),
      { numRuns: 200 },
    );
  });
});
