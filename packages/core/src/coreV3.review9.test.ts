// Sixth hostile review of this session's Core v3 fixes (issue 17: 57e59c8). Each test is a
// finding that failed on the code under review (57e59c8) and passes since its fix, ranked.
// Each describe says whether it is a regression of 57e59c8 (it passes with packages/core/src
// checked out at its parent 43f9ec8) or older (it fails there too). Public API only, fake timers.
import { makeToken } from '@access-manager/testing';
import { describe, expect, it, vi } from 'vitest';
import { FetchFailedError } from './errors.js';
import { eventLog as heard } from './testing/eventLog.js';
import { managersOnFakeTime } from './testing/managersOnFakeTime.js';
import type { AccessManagerOptions } from './types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const nowS = () => Math.floor(Date.now() / 1000);
const noop = () => {};

const make = managersOnFakeTime(T0);
const managed = (options: AccessManagerOptions = {}) =>
  make({ wakeSignals: false, random: () => 0.5, ...options });

describe('1. a token an SDK refused, on a manager with fetchToken (regression of 57e59c8)', () => {
  it('still says tokenExpired when the refused token expires and no refresh succeeded', async () => {
    // 57e59c8 marks both deadline events of a refused token as given at once (TokenHold.passed:
    // "no deadline event of the manager's own after the refusal"). That was right for a
    // push-only manager, whose app heard tokenExpired (source sdk) from reportSdkSignal. With
    // fetchToken, reportSdkSignal('expired') emits nothing: it starts a forced refresh. So when
    // that refresh keeps failing (token server down: retryable 503s) the app now hears NO
    // tokenExpired at all, ever: not at the refusal, not when the token's exp passes. On
    // 43f9ec8 the manager said tokenExpired (source manager) at the expiry. twilio-common's
    // `on('tokenExpired')` (the facade's listeners), the usual "session expired, sign in again"
    // hook, is dead for exactly the case it exists for.
    // Where: tokenHold.ts passed() (the refusedNow() line), accessManager.ts reportSdkSignal.
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600 });
    const fetchToken = async (): Promise<string> => {
      throw new FetchFailedError('Token server down (test stand-in).', {
        retryable: true,
        status: 503,
      });
    };
    const manager = managed({ token: a, fetchToken });
    const events = heard(manager);
    const expiredHeard: string[] = [];
    manager.on('tokenExpired', () => expiredHeard.push('tokenExpired'));
    await vi.advanceTimersByTimeAsync(10_000);
    manager.reportSdkSignal('expired').catch(noop);
    await vi.advanceTimersByTimeAsync(3_600_000); // past A's exp, the refresh still failing
    expect(manager.getState().tokenStatus).toBe('expired');
    expect(events.filter((e) => e.startsWith('tokenExpired'))).toHaveLength(1);
    expect(expiredHeard).toEqual(['tokenExpired']);
  });

  it('still says tokenExpired at the expiry when the forced refresh ended on a fatal answer', async () => {
    // The same with a token server that answers 401 (fatal: no retry). The app hears the error,
    // then nothing more about the token: on 43f9ec8 tokenExpired (source manager) came at the
    // exp, as the README promises ("tokenExpired at expiry if no newer token came").
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600 });
    const fetchToken = async (): Promise<string> => {
      throw new FetchFailedError('Unauthorized (test stand-in).', {
        retryable: false,
        status: 401,
      });
    };
    const manager = managed({ token: a, fetchToken });
    const events = heard(manager);
    await vi.advanceTimersByTimeAsync(10_000);
    manager.reportSdkSignal('expired').catch(noop);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(events).toContain('error:fetch_failed');
    expect(events.filter((e) => e.startsWith('tokenExpired'))).toEqual(['tokenExpired:manager']);
  });
});

describe('2. a token refused by two SDKs, on a push-only manager (older: fails on 43f9ec8 too)', () => {
  it('asks the app once: one tokenExpired (source sdk) for the one token refused', async () => {
    // Conversations and Voice both hold token A and both refuse it (a revoked signing key):
    // each adapter calls reportSdkSignal('expired'). The second call's refuse() is false (A is
    // refused already), yet reportSdkSignal emits tokenExpired (source sdk) again for the same
    // token. The app's handler (fetch a token, updateToken) runs twice: two fetches and two
    // pushes, B then C, and every attached client is pushed twice. With fetchToken the same two
    // signals join one forced refresh; and reportSdkSignal('willExpire') on a refused token is
    // silent already ("its tokenExpired was given"), the same reason that holds here.
    // Where: accessManager.ts reportSdkSignal, the push-only branch (no check that refuse() was
    // false for an 'expired' signal). Fix: emit tokenExpired only when refuse() returned true.
    const a = makeToken({ jti: 'a', iat: nowS(), ttl: 3600 });
    const manager = managed({ token: a });
    const events = heard(manager);
    await vi.advanceTimersByTimeAsync(10_000);
    await manager.reportSdkSignal('expired'); // Conversations
    await manager.reportSdkSignal('expired'); // Voice, about the same token
    await vi.advanceTimersByTimeAsync(1_000);
    expect(events).toEqual(['tokenUpdated', 'tokenExpired:sdk']);
  });
});
