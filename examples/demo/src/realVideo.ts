// Real mode only (a demo server started with Twilio credentials): the real twilio-video
// `connect`, bundled on its own (a megabyte) and loaded by the page only then.
export { connect } from 'twilio-video';
