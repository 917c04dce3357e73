// The real twilio-video `connect`, bundled on its own (a megabyte) and loaded by the page's Video
// row: in embedded mode against the demo server's fake Video signaling, in real mode against
// Twilio.
export { connect } from 'twilio-video';
