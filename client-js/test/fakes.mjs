// Test doubles: a clock whose time moves only when the test says, and a WebSocket the test plays Herald through.

export class FakeClock {
  constructor(start = 1_000_000) {
    this.t = start;
    this.timers = new Map();
    this.nextHandle = 1;
  }

  now() {
    return this.t;
  }

  setTimeout(fn, ms) {
    const h = this.nextHandle++;
    // as browsers and Node do: a wait past 2^31 - 1 ms fires at once (Node says 1 ms)
    const wait = ms > 2147483647 ? 1 : Math.max(0, ms);
    this.timers.set(h, { at: this.t + wait, fn });
    return h;
  }

  clearTimeout(h) {
    this.timers.delete(h);
  }

  /** Runs every timer due within `ms`, in time order, moving the clock as it goes. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [h, timer] of this.timers) {
        if (timer.at <= end && (next === null || timer.at < next[1].at)) next = [h, timer];
      }
      if (next === null) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }

  /** Delays of the timers pending now, from now. */
  pending() {
    return Array.from(this.timers.values()).map((t) => t.at - this.t).sort((a, b) => a - b);
  }
}

/** Every socket the client opened, newest last. */
export const sockets = [];

export class FakeWebSocket {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    this.closedWith = null;
    sockets.push(this);
  }

  send(text) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(text));
  }

  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // --- the test plays Herald ---
  serverOpen() {
    this.readyState = 1;
    this.onopen && this.onopen({});
  }

  serverSend(frame) {
    this.onmessage && this.onmessage({ data: JSON.stringify(frame) });
  }

  serverClose(code, reason = '') {
    this.readyState = 3;
    this.onclose && this.onclose({ code, reason });
  }
}

export const last = () => sockets[sockets.length - 1];

/** Lets pending promise callbacks (the token function's) run. */
export const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};
