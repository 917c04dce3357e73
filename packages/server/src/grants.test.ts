import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import {
  ChatGrant,
  PlaybackGrant,
  SyncGrant,
  TaskRouterGrant,
  VideoGrant,
  VoiceGrant,
} from './grants.js';

const Official = twilio.jwt.AccessToken;
// Strings, with the empty string the official helper leaves out; records leave any key out.
const field = fc.oneof(fc.constant(''), fc.string());
const optional = { requiredKeys: [] as [] };

describe('grants: same key and wire shape as the official helper, for any options', () => {
  it('ChatGrant', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            serviceSid: field,
            endpointId: field,
            deploymentRoleSid: field,
            pushCredentialSid: field,
          },
          optional,
        ),
        (options) => {
          const mine = new ChatGrant(options);
          const theirs = new Official.ChatGrant(options);
          expect(mine.key).toBe(theirs.key);
          expect(JSON.stringify(mine.toPayload())).toBe(JSON.stringify(theirs.toPayload()));
        },
      ),
    );
  });

  it('SyncGrant', () => {
    fc.assert(
      fc.property(fc.record({ serviceSid: field, endpointId: field }, optional), (options) => {
        const mine = new SyncGrant(options);
        const theirs = new Official.SyncGrant(options);
        expect(mine.key).toBe('data_sync');
        expect(mine.key).toBe(theirs.key);
        expect(JSON.stringify(mine.toPayload())).toBe(JSON.stringify(theirs.toPayload()));
      }),
    );
  });

  it('VoiceGrant, outgoing params included only with an application', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            incomingAllow: fc.boolean(),
            outgoingApplicationSid: field,
            outgoingApplicationParams: fc.dictionary(fc.string(), fc.jsonValue()),
            pushCredentialSid: field,
            endpointId: field,
          },
          optional,
        ),
        (options) => {
          const mine = new VoiceGrant(options);
          const theirs = new Official.VoiceGrant(options);
          expect(mine.key).toBe(theirs.key);
          expect(JSON.stringify(mine.toPayload())).toBe(JSON.stringify(theirs.toPayload()));
        },
      ),
    );
    expect(
      new VoiceGrant({
        outgoingApplicationSid: 'AP1',
        outgoingApplicationParams: { a: 1 },
      }).toPayload(),
    ).toEqual({ outgoing: { application_sid: 'AP1', params: { a: 1 } } });
    expect(new VoiceGrant({ outgoingApplicationParams: { a: 1 } }).toPayload()).toEqual({});
  });

  it('VideoGrant', () => {
    fc.assert(
      fc.property(fc.record({ room: field }, optional), (options) => {
        const mine = new VideoGrant(options);
        const theirs = new Official.VideoGrant(options);
        expect(mine.key).toBe(theirs.key);
        expect(JSON.stringify(mine.toPayload())).toBe(JSON.stringify(theirs.toPayload()));
      }),
    );
  });

  it('TaskRouterGrant', () => {
    fc.assert(
      fc.property(
        fc.record({ workspaceSid: field, workerSid: field, role: field }, optional),
        (options) => {
          const mine = new TaskRouterGrant(options);
          const theirs = new Official.TaskRouterGrant(options);
          expect(mine.key).toBe(theirs.key);
          expect(JSON.stringify(mine.toPayload())).toBe(JSON.stringify(theirs.toPayload()));
        },
      ),
    );
  });

  it('PlaybackGrant passes the API grant through', () => {
    fc.assert(
      fc.property(
        fc.record({ grant: fc.dictionary(fc.string(), fc.jsonValue()) }, optional),
        (options) => {
          const mine = new PlaybackGrant(options);
          const theirs = new Official.PlaybackGrant(options);
          expect(mine.key).toBe('player');
          expect(mine.key).toBe(theirs.key);
          expect(JSON.stringify(mine.toPayload())).toBe(JSON.stringify(theirs.toPayload()));
        },
      ),
    );
  });

  it('reads fields changed after construction, as the official grants do', () => {
    const grant = new ChatGrant();
    grant.serviceSid = 'IS1';
    expect(grant.toPayload()).toEqual({ service_sid: 'IS1' });
  });
});
