import { describe, expect, it } from 'vitest';
import { startChunderFake } from './fakes/chunderServer.js';
import { createVoiceDevice } from './sdkClients.js';
import { makeToken } from './tokenFactory.js';

/*
 * Heartbeats: the Device closes a signaling socket that brought no message for 15 s
 * (`HEARTBEAT_TIMEOUT` in `@twilio/voice-sdk`'s `wstransport`) and answers each `"\n"` the server
 * sends. Against a server that sends none, a registered Device reconnects (and goes
 * `unregistered` / `registered`) every 15 s. This test keeps one registered Device for 2 × 15 s
 * plus a margin (about 33 s of wall time: the SDK's timer is real); VOICE_HEARTBEAT_MINUTES=N
 * keeps it N minutes instead.
 */

const SDK_HEARTBEAT_TIMEOUT_MS = 15_000;
const minutes = Number(process.env['VOICE_HEARTBEAT_MINUTES'] ?? 0);
const holdMs = minutes > 0 ? minutes * 60_000 : 2 * SDK_HEARTBEAT_TIMEOUT_MS + 3_000;

describe('Voice Device heartbeats against the chunder fake', () => {
  it(
    `a registered Device keeps one socket for ${Math.round(holdMs / 1000)} s (the SDK's heartbeat timeout is 15 s), answering the fake's heartbeats`,
    { timeout: holdMs + 20_000 },
    async (ctx) => {
      const fake = await startChunderFake();
      ctx.onTestFinished(() => fake.close());
      const token = makeToken({ ttl: 3600, grants: { voice: {} } });
      const device = await createVoiceDevice(fake, token);
      const errors: unknown[] = [];
      const transitions: string[] = [];
      device.on('error', (error) => errors.push(error));
      device.on('unregistered', () => transitions.push('unregistered'));
      device.on('registered', () => transitions.push('registered'));
      await device.register();
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      expect({
        connections: fake.connectionCount,
        open: fake.openConnectionNumbers,
        listens: fake.listens.length,
        transitions,
        errors,
        state: device.state,
      }).toEqual({
        connections: 1,
        open: [1],
        listens: 1,
        transitions: ['registered'],
        errors: [],
        state: 'registered',
      });
      // At least one heartbeat per SDK timeout was answered on that socket.
      expect(fake.heartbeatAnswers(1)).toBeGreaterThanOrEqual(
        Math.floor(holdMs / SDK_HEARTBEAT_TIMEOUT_MS),
      );
    },
  );
});
