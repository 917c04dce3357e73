// Preloaded (node --import) into the demo server that the soak starts: the server stops when the
// soak's process goes away, even when that one is killed and cannot clean up.
if (process.connected) {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
}
