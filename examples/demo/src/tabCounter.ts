// How many tabs of this demo are open in this browser: each tab says hello on a BroadcastChannel
// of its own (not the manager's) every two seconds, and goodbye when it goes away.

const HELLO_EVERY_MS = 2_000;
/** A tab not heard from for this long is counted out (a frozen tab says nothing). */
const FORGET_AFTER_MS = 5_000;

/** Counts the open tabs of this demo, this one included. `count()` is pure. */
export function countTabs(channelName = 'access-manager-demo-tabs'): { count(): number } {
  const id = crypto.randomUUID();
  const heard = new Map<string, number>();
  const channel = new BroadcastChannel(channelName);
  const hello = () => channel.postMessage({ hello: id });
  channel.onmessage = ({ data }: MessageEvent) => {
    if (typeof data?.hello === 'string') {
      const known = heard.has(data.hello);
      heard.set(data.hello, Date.now());
      if (!known) hello(); // a new tab learns of this one at once
    } else if (typeof data?.bye === 'string') heard.delete(data.bye);
  };
  hello();
  setInterval(hello, HELLO_EVERY_MS);
  addEventListener('pagehide', () => channel.postMessage({ bye: id }));
  return {
    count: () => {
      const now = Date.now();
      let count = 1;
      for (const at of heard.values()) if (now - at < FORGET_AFTER_MS) count++;
      return count;
    },
  };
}
