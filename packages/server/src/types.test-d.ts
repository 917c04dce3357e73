import type twilio from 'twilio';
import { describe, expectTypeOf, it } from 'vitest';
import type { AuthorizeResult, Grant, TokenHandler } from './index.js';
import {
  AccessToken,
  ChatGrant,
  createTokenHandler,
  mintAccessToken,
  toNodeListener,
} from './index.js';

type Official = typeof twilio.jwt.AccessToken;

describe('types', () => {
  it('takes the official helper grants as grants', () => {
    expectTypeOf<InstanceType<Official['ChatGrant']>>().toExtend<Grant>();
    expectTypeOf<InstanceType<Official['VoiceGrant']>>().toExtend<Grant>();
    expectTypeOf<InstanceType<Official['PlaybackGrant']>>().toExtend<Grant>();
  });

  it('has the official builder surface', () => {
    expectTypeOf<AccessToken['toJwt']>()
      .parameter(0)
      .toEqualTypeOf<'HS256' | 'HS384' | 'HS512' | undefined>();
    expectTypeOf<ConstructorParameters<typeof AccessToken>[3]>().toHaveProperty('identity');
    expectTypeOf<ConstructorParameters<Official>[3]>().toExtend<
      ConstructorParameters<typeof AccessToken>[3]
    >();
  });

  it('lets custom grants extend AccessToken.Grant, with the official type parameters', () => {
    class DeviceGrant extends AccessToken.Grant<{ id: string }, { device: string }, 'device'> {
      constructor() {
        super('device');
      }
      toPayload() {
        return { device: 'kiosk-1' };
      }
    }
    expectTypeOf<DeviceGrant['key']>().toEqualTypeOf<'device'>();
    expectTypeOf<DeviceGrant>().toExtend<Grant<'device', { device: string }>>();
    expectTypeOf<ConstructorParameters<Official['ChatGrant']>[0]>().toExtend<
      ConstructorParameters<typeof ChatGrant>[0]
    >();
    expectTypeOf<null>().toExtend<ConstructorParameters<typeof ChatGrant>[0]>();
  });

  it('mints a string; the handler is fetch-style and fits toNodeListener', () => {
    expectTypeOf(mintAccessToken).returns.toEqualTypeOf<string>();
    const handler = createTokenHandler({
      authorize: async (request) => {
        expectTypeOf(request).toEqualTypeOf<Request>();
        return { identity: 'alice', grants: [new ChatGrant({ serviceSid: 'IS1' })] };
      },
    });
    expectTypeOf(handler).toEqualTypeOf<TokenHandler>();
    expectTypeOf(toNodeListener(handler)).parameters.toEqualTypeOf<
      [import('node:http').IncomingMessage, import('node:http').ServerResponse]
    >();
    expectTypeOf<{ identity: string }>().toExtend<AuthorizeResult>();
  });
});
