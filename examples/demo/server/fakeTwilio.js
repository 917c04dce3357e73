// The fake Twilio endpoints the page's real SDK clients connect to, from @access-manager/testing:
// one twilsock server per twilsock SDK (so that what each one sees is that client's alone), one
// Voice signaling server and one Video signaling server. Like Twilio, they refuse an expired
// token and end a connection whose token expires (Video: it checks a token only at connect and
// when signaling resumes, and checks its signature too); the page's controls make them send the
// SDKs' own token signals.
import {
  ACCESS_TOKEN_INVALID,
  startChunderFake,
  startTwilsockFake,
  startVideoSignalingFake,
} from '@access-manager/testing';

/** The twilsock SDKs on the page, each with its own fake endpoint. */
export const TWILSOCK_CLIENTS = ['conversations', 'chat', 'sync'];

/** The Voice controls for `register`: refused (error 31204), never answered, or answered. */
const REGISTER_ANSWERS = {
  'refuse-register': ACCESS_TOKEN_INVALID,
  'ignore-register': 'silent',
  'answer-register': 'ready',
};

/**
 * A token's name on the page: `jti/exp`. A jti alone is not enough: Twilio's is the API key SID
 * and the second of issue, so two tokens minted in one second (say, of two lifetimes) share it.
 */
const nameOf = (jwt) => {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return `${claims.jti}/${claims.exp}`;
  } catch {
    return undefined;
  }
};

/**
 * Starts the fakes on 127.0.0.1. `endpoints()` is what the page passes to the SDKs; `seen()` is
 * what each fake has received (tokens by jti and expiry, never a JWT); `act(client, action)` works a control.
 */
export async function startFakeTwilio({ log, signingSecret }) {
  const twilsock = {};
  for (const name of TWILSOCK_CLIENTS) {
    twilsock[name] = await startTwilsockFake({ closeOnExpiry: true });
  }
  const voice = await startChunderFake({ refuseExpiredTokens: true });
  // Signaling only: no media server (the Room connects without SDP answer or ICE).
  const video = await startVideoSignalingFake({ secret: signingSecret });

  /** Per open connection, the token of its latest `init` / `update` / `listen`. */
  const heldBy = (fake, records) =>
    fake.openConnectionNumbers.map((connection) => {
      const last = records.filter((r) => r.connection === connection).at(-1);
      return { connection, token: last && nameOf(last.token), method: last?.method, at: last?.at };
    });

  function seen() {
    const clients = {};
    for (const name of TWILSOCK_CLIENTS) {
      const fake = twilsock[name];
      clients[name] = {
        connections: fake.connectionCount,
        received: fake.tokens.length,
        open: heldBy(fake, fake.tokens),
      };
    }
    const listens = voice.listens.map((r) => ({ ...r, method: 'listen' }));
    clients.voice = {
      connections: voice.connectionCount,
      received: listens.length,
      open: heldBy(voice, listens),
    };
    // The tokens Video signaling took (connect, or sync when signaling resumed).
    const taken = video.tokens.filter((r) => !r.refused).map((r) => ({ ...r, method: r.type }));
    clients.video = {
      connections: video.connectionCount,
      received: video.tokens.length,
      refused: video.tokens.length - taken.length,
      open: heldBy(video, taken),
      // Participants in a room as the fake sees them: one leaves on `disconnect`, 20104 or 53118.
      inRoom: video.participants.filter((p) => p.state === 'connected').length,
    };
    return clients;
  }

  /** The page's controls: the signals Twilio sends about tokens. Returns how many sockets got it. */
  function act(client, action) {
    const fake = twilsock[client];
    let count = 0;
    if (fake && action === 'warn') count = fake.pushTokenAboutToExpire();
    else if (fake && action === 'expire') count = fake.closeTokenExpired();
    else if (fake && action === 'refuse') {
      fake.failNextUpdate();
      count = fake.openConnections;
    } else if (client === 'voice' && action === 'expire') count = voice.sendError();
    else if (client === 'voice' && action in REGISTER_ANSWERS) {
      // How the next `register` is answered: a Device made from now on (a new tab, the link's
      // next try) meets it.
      voice.registerAnswer = REGISTER_ANSWERS[action];
      count = voice.openConnections;
    } else if (client === 'video' && action === 'expire') count = video.expire();
    else if (client === 'video' && action === 'drop') {
      count = video.openConnections;
      video.dropConnections();
    } else if (client === 'video' && action === 'complete') count = video.complete();
    else throw new Error(`no control '${action}' for ${client}`);
    log(`fake Twilio: ${action} sent to ${client} (${count} connections)`);
    return count;
  }

  return {
    endpoints: () => ({
      twilsock: Object.fromEntries(TWILSOCK_CLIENTS.map((name) => [name, twilsock[name].url])),
      chunderw: voice.host,
      video: video.url,
    }),
    seen,
    act,
    close: () =>
      Promise.all([...Object.values(twilsock), voice, video].map((fake) => fake.close())),
  };
}
