import { type Clock, backoffDelay, systemClock } from './clock.js';
import { decode, dialectOf, type DialectName, type Incoming, outgoing, type Position } from './dialects.js';
import { Emitter, type ListenerErrorHook } from './emitter.js';

export type State = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/**
 * An error the client reports: a §6/§8 error code from Herald (`unauthorized`, `forbidden`, `rate_limited`, …) or, for a
 * closed connection, a name for its close code (§8.7) with the code itself in `closeCode`.
 */
export interface HeraldError {
  code: string;
  message: string;
  closeCode?: number;
  /** The share or channel the error is about, when it is about one. */
  subscription?: string;
}

/** The few members of a WebSocket the client uses: the browser's global, or `ws` in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type TokenSource = string | (() => string | Promise<string>);

export interface HeraldClientOptions {
  /** The token, or a function asked for one before every connection (and again after a 4401). */
  token?: TokenSource;
  /** The WebSocket class; Node passes `ws`'s, browsers default to the global one. */
  WebSocket?: WebSocketConstructor;
  /** Reconnect backoff (ms): the first delay, and the most any delay grows to; full jitter in between. */
  minDelay?: number;
  maxDelay?: number;
  /** Ping this often (ms); a connection that answers nothing within `pongTimeout` after a ping is dead. */
  pingInterval?: number;
  pongTimeout?: number;
  /** Channels: refresh the token this long (ms) before it expires, when `token` is a function (default 60000). */
  refreshBefore?: number;
  /** Where a listener's exception goes (default: console.error); it never breaks the client. */
  onListenerError?: ListenerErrorHook;
  /** For tests: the clock and randomness the client's timers and jitter use. */
  clock?: Clock;
  random?: () => number;
}

export interface ClientEvents {
  state: State;
  error: HeraldError;
  /** An event outside any subscription: realtime `user:` and `broadcast` events, channels `session:` events. */
  event: { type: string; data: unknown; raw: Record<string, unknown> };
  /** Herald accepted the connection (its greeting; on sync, its answer to `subscribe`). */
  connected: { expiresAt?: string };
  /** Sync: a `force_sync` for a share that has no subscription here (or, without a share, for all). */
  force_sync: { name?: string; epoch?: string; offset?: number };
}

export interface SubscriptionEvents {
  /** Herald confirmed the subscription; `recovered` when it resumed from the last position without a gap (§11). */
  subscribed: { recovered: boolean; epoch?: string; offset?: number };
  event: { type: string; data: unknown; offset?: number; raw: Record<string, unknown> };
  /** Recovery was not possible (or events were dropped, §8.3): refetch this share or channel. */
  force_sync: { epoch?: string; offset?: number };
  unsubscribed: Record<string, never>;
  error: HeraldError;
}

const CLOSE_NAMES: Record<number, string> = {
  1000: 'closed', 1001: 'going_away', 1002: 'protocol_error', 1003: 'unsupported_data', 1006: 'connection_lost',
  1007: 'invalid_payload', 1008: 'policy_violation', 1009: 'message_too_big', 1011: 'internal_error',
  1013: 'unavailable', 4000: 'no_pong', 4401: 'unauthorized', 4403: 'forbidden', 4408: 'slow_consumer',
};

/** Our own close code for a connection whose pong never came. */
const NO_PONG = 4000;

/** The longest wait a timer takes (2^31 - 1 ms); a longer one would fire at once. */
const MAX_TIMER = 2_147_483_647;

/** One share (realtime, sync) or channel (channels) the client keeps subscribed across reconnects. */
export class Subscription extends Emitter<SubscriptionEvents> {
  /** The last position seen (§11): sent as `since` when the client subscribes again. */
  position: Position | undefined;
  /** True between Herald's `subscribed` and the end of that connection. */
  subscribed = false;
  /** @internal A subscribe was sent and not answered yet on this connection. */
  awaiting = false;
  private active = true;

  /** @internal */
  constructor(readonly name: string, private readonly client: HeraldClient, hook: () => ListenerErrorHook) {
    super(hook);
  }

  /** True until {@link unsubscribe}. */
  get isActive(): boolean {
    return this.active;
  }

  unsubscribe(): void {
    if (this.active) {
      this.active = false;
      this.client.removeSubscription(this);
    }
  }

  /** @internal */
  fire<K extends keyof SubscriptionEvents>(event: K, payload: SubscriptionEvents[K]): void {
    this.emit(event, payload);
  }

  /** @internal */
  deactivate(): void {
    this.active = false;
    this.subscribed = false;
  }
}

/**
 * A client of one Herald endpoint (realtime, channels or sync, chosen by the URL's path) that stays connected: it
 * reconnects with backoff and full jitter, pings and drops a dead connection, asks for a token before each connection,
 * refreshes it on channels, and subscribes again after every reconnect with `since` set to the last position it saw,
 * so that events missed meanwhile arrive (§11) or a `force_sync` says they cannot.
 */
export class HeraldClient extends Emitter<ClientEvents> {
  readonly dialect: DialectName;
  private readonly url: string;
  private readonly WS: WebSocketConstructor;
  private readonly tokenSource: TokenSource | undefined;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly pingInterval: number;
  private readonly pongTimeout: number;
  private readonly refreshBefore: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly hook: ListenerErrorHook;
  private readonly subs = new Map<string, Subscription>();
  /** Channels: the subscription each command id was about (its answer repeats the id, §6). */
  private readonly pendingIds = new Map<string, Subscription>();
  /** Realtime: answers still to come for subscriptions already dropped, by share (they carry no id, §5). */
  private readonly staleReplies = new Map<string, { subscribed: number; unsubscribed: number }>();
  /** Sync: the last position of every share of the device, subscription or not (§11 `since` covers them all). */
  private readonly syncPositions = new Map<string, Position>();
  private ws: WebSocketLike | null = null;
  private current: State = 'disconnected';
  private attempt = 0;
  private generation = 0;
  private nextId = 1;
  private tokenRetried = false;
  /** Herald confirmed this socket (its greeting) and it is still up: only then do commands go out. */
  private open = false;
  private reconnectTimer: unknown = null;
  private pingTimer: unknown = null;
  private pongTimer: unknown = null;
  private refreshTimer: unknown = null;

  constructor(url: string, options: HeraldClientOptions = {}) {
    const hook: ListenerErrorHook = options.onListenerError
      ?? ((error, event) => console.error(`Herald client: a '${event}' listener threw`, error));
    super(() => hook);
    this.hook = hook;
    this.url = url;
    this.dialect = dialectOf(url);
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) {
      throw new Error('no WebSocket here: pass one, e.g. new HeraldClient(url, { WebSocket }) with `ws` in Node');
    }
    this.WS = WS;
    this.tokenSource = options.token;
    this.minDelay = options.minDelay ?? 1000;
    this.maxDelay = Math.max(options.maxDelay ?? 30000, this.minDelay);
    this.pingInterval = Math.min(options.pingInterval ?? 30000, MAX_TIMER);
    this.pongTimeout = Math.min(options.pongTimeout ?? Math.min(10000, this.pingInterval), MAX_TIMER);
    this.refreshBefore = options.refreshBefore ?? 60000;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  get state(): State {
    return this.current;
  }

  /** Connects, and stays connected until {@link close}. */
  connect(): void {
    if (this.current !== 'disconnected') {
      return;
    }
    this.attempt = 0;
    this.tokenRetried = false;
    void this.openSocket('connecting');
  }

  /** Closes for good (1000); call {@link connect} to start again. Subscriptions are kept for that. */
  close(): void {
    this.generation++;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.open = false;
    if (ws) {
      detach(ws);
      try {
        ws.close(1000, 'client closed');
      } catch {
        // already closed
      }
    }
    this.markUnsubscribed();
    this.setState('disconnected');
  }

  /**
   * Keeps `name` subscribed (a share on realtime and sync, a channel on /ws) across reconnects. Subscribing to a name
   * twice returns the same subscription. On sync the endpoint subscribes to every share of the token at once; a
   * subscription there receives the events of its share.
   */
  subscribe(name: string): Subscription {
    let sub = this.subs.get(name);
    if (sub && sub.isActive) {
      return sub;
    }
    sub = new Subscription(name, this, () => this.hook);
    this.subs.set(name, sub);
    if (this.open) {
      this.sendSubscribe(sub);
    }
    return sub;
  }

  /** The subscription of `name`, if any. */
  subscription(name: string): Subscription | undefined {
    return this.subs.get(name);
  }

  /** @internal */
  removeSubscription(sub: Subscription): void {
    if (this.subs.get(sub.name) !== sub) {
      return;
    }
    this.subs.delete(sub.name);
    if (this.open && this.dialect !== 'sync') {
      const id = this.id();
      const frame = outgoing[this.dialect].unsubscribe(sub.name, id);
      if (this.dialect === 'channels') {
        this.pendingIds.set(id, sub);
      } else {
        // the answers Herald still owes this share's dropped subscription must not reach a new one of the same name
        const stale = this.staleReplies.get(sub.name) ?? { subscribed: 0, unsubscribed: 0 };
        stale.unsubscribed++;
        if (sub.awaiting) stale.subscribed++;
        this.staleReplies.set(sub.name, stale);
      }
      if (frame) this.send(frame);
    }
    sub.deactivate();
  }

  // --- connection ----------------------------------------------------------------------------------------------------

  private async openSocket(state: State): Promise<void> {
    const generation = ++this.generation;
    this.setState(state);
    let token: string | undefined;
    try {
      token = await this.token();
    } catch (e) {
      if (generation !== this.generation) return;
      const retrying = this.tokenRetried;
      if (!this.report({ code: 'token_unavailable', message: `the token function failed: ${messageOf(e)}` })) return;
      if (retrying) {
        this.stop(); // asked again after a 4401, and no token came: as a second 4401
      } else {
        this.scheduleReconnect();
      }
      return;
    }
    if (generation !== this.generation) return;
    let ws: WebSocketLike;
    try {
      ws = new this.WS(token ? withToken(this.url, token) : this.url);
    } catch (e) {
      if (this.report({ code: 'connect_failed', message: messageOf(e) })) this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.startHeartbeat();
      // sync sends no greeting (§4): its answer to `subscribe` is what says the token was taken
      if (this.dialect === 'sync') this.sendSubscribeAll();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.alive();
      const text = typeof ev.data === 'string' ? ev.data : String(ev.data);
      for (const m of decode(this.dialect, text)) this.onMessage(m);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.onClosed(ev.code, ev.reason);
    };
    ws.onerror = () => {
      // a close event follows, with the code that matters
    };
  }

  private async token(): Promise<string | undefined> {
    const t = this.tokenSource;
    return typeof t === 'function' ? await t() : t;
  }

  private onConnected(greeting: { expiresAt?: string }): void {
    const generation = this.generation;
    this.open = true;
    this.attempt = 0;
    this.tokenRetried = false;
    this.setState('connected');
    if (generation !== this.generation) return; // a listener closed the client
    this.emit('connected', greeting);
    if (generation !== this.generation) return;
    if (this.dialect !== 'sync') this.resubscribe(); // sync's `subscribe` went out on open
    this.scheduleRefresh(greeting.expiresAt);
  }

  /** §8.7: what a close code means for the next step. */
  private onClosed(code: number, reason: string): void {
    this.ws = null;
    this.open = false;
    this.clearTimers();
    this.markUnsubscribed();
    const error: HeraldError = { code: CLOSE_NAMES[code] ?? 'closed', message: reason || `closed ${code}`, closeCode: code };
    // a listener may close the client while it hears of this: report() says whether to go on
    if (code === 4403) {
      if (this.report(error)) this.stop();
      return;
    }
    if (code === 4401) {
      if (!this.report(error)) return;
      if (typeof this.tokenSource === 'function' && !this.tokenRetried) {
        this.tokenRetried = true; // ask for a token once more; a second 4401 in a row stops
        void this.openSocket('reconnecting');
      } else {
        this.stop();
      }
      return;
    }
    if (code !== 1000 && code !== 1001 && !this.report(error)) {
      return;
    }
    this.scheduleReconnect();
  }

  private stop(): void {
    this.generation++;
    this.clearTimers();
    this.setState('disconnected');
  }

  private scheduleReconnect(): void {
    const generation = this.generation;
    this.setState('reconnecting');
    if (generation !== this.generation) return; // a 'state' listener closed the client
    const delay = backoffDelay(this.attempt++, this.minDelay, this.maxDelay, this.random);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      if (generation === this.generation) void this.openSocket('reconnecting');
    }, delay);
  }

  // --- frames --------------------------------------------------------------------------------------------------------

  private onMessage(m: Incoming): void {
    switch (m.t) {
      case 'connected':
        if (!this.open) this.onConnected({ expiresAt: m.expiresAt });
        return;
      case 'refreshed':
        this.scheduleRefresh(m.expiresAt);
        return;
      case 'subscribed': {
        const sub = this.answerTo(m.name, m.id);
        if (this.dialect === 'sync' && m.epoch !== undefined && m.offset !== undefined) {
          this.syncPositions.set(m.name, { epoch: m.epoch, offset: m.offset });
        }
        if (!sub) return;
        sub.subscribed = true;
        sub.awaiting = false;
        if (m.epoch !== undefined && m.offset !== undefined) {
          sub.position = { epoch: m.epoch, offset: m.offset };
        }
        sub.fire('subscribed', { recovered: m.recovered, epoch: m.epoch, offset: m.offset });
        return;
      }
      case 'subscribed-all': {
        // sync: the answer to `subscribe` is its greeting; a share asked for that the token lacks is not among them
        const generation = this.generation;
        if (!this.open) this.onConnected({});
        if (generation !== this.generation) return;
        for (const sub of Array.from(this.subs.values())) {
          if (!m.names.includes(sub.name)) {
            const error = { code: 'forbidden', message: 'share not in the token', subscription: sub.name };
            sub.fire('error', error);
            if (!this.report(error)) return;
          }
        }
        return;
      }
      case 'unsubscribed': {
        if (m.id !== undefined && this.pendingIds.has(m.id)) {
          this.pendingIds.delete(m.id); // the answer to an unsubscribe of ours: that subscription is gone already
          return;
        }
        const stale = this.staleReplies.get(m.name);
        if (stale && stale.unsubscribed > 0) {
          stale.unsubscribed--;
          return;
        }
        const sub = this.subs.get(m.name);
        if (sub) {
          // Herald ended it (a refreshed token no longer allows it, §6): it is not renewed
          this.subs.delete(m.name);
          sub.deactivate();
          sub.fire('unsubscribed', {});
        }
        return;
      }
      case 'event': {
        const sub = m.name !== undefined ? this.subs.get(m.name) : undefined;
        if (this.dialect === 'sync' && m.name !== undefined && m.offset !== undefined) {
          const p = this.syncPositions.get(m.name);
          if (p) this.syncPositions.set(m.name, { epoch: p.epoch, offset: m.offset });
        }
        if (!sub) {
          // a named event without a subscription is a late one of a dropped subscription, except on sync, whose
          // shares need none; unnamed ones are the user's, the session's or everyone's
          if (m.name === undefined || this.dialect === 'sync') this.emit('event', { type: m.type, data: m.data, raw: m.raw });
          return;
        }
        if (m.offset !== undefined && sub.position) {
          sub.position = { epoch: sub.position.epoch, offset: m.offset };
        }
        sub.fire('event', { type: m.type, data: m.data, offset: m.offset, raw: m.raw });
        return;
      }
      case 'force_sync': {
        if (this.dialect === 'sync' && m.name !== undefined && m.epoch !== undefined && m.offset !== undefined) {
          this.syncPositions.set(m.name, { epoch: m.epoch, offset: m.offset });
        }
        const targets = m.name !== undefined ? [this.subs.get(m.name)] : Array.from(this.subs.values());
        if (m.name !== undefined && !targets[0] && this.dialect === 'sync') {
          this.emit('force_sync', { name: m.name, epoch: m.epoch, offset: m.offset });
          return;
        }
        if (m.name === undefined) this.emit('force_sync', { epoch: m.epoch, offset: m.offset });
        for (const sub of targets) {
          if (!sub) continue;
          if (m.epoch !== undefined && m.offset !== undefined) {
            sub.position = { epoch: m.epoch, offset: m.offset };
          }
          sub.fire('force_sync', { epoch: m.epoch, offset: m.offset });
        }
        return;
      }
      case 'error': {
        let sub: Subscription | undefined;
        let stale = false;
        if (m.id !== undefined) {
          sub = this.pendingIds.get(m.id);
          this.pendingIds.delete(m.id);
          stale = sub !== undefined && this.subs.get(sub.name) !== sub;
        } else if (m.name !== undefined) {
          sub = this.answerTo(m.name, undefined);
          stale = sub === undefined && this.subs.has(m.name);
        }
        if (sub && !stale) {
          sub.awaiting = false;
        }
        const error: HeraldError = { code: m.code, message: m.message, subscription: sub?.name ?? m.name };
        if (sub && !stale) sub.fire('error', error);
        this.report(error);
        return;
      }
      default:
        return; // pong, and frames of a later protocol
    }
  }

  /**
   * The subscription an answer about `name` is for: by command id where the dialect repeats it (channels), else the
   * current subscription of that name, unless the answer is still owed to a dropped one (realtime).
   */
  private answerTo(name: string, id: string | undefined): Subscription | undefined {
    if (id !== undefined && this.pendingIds.has(id)) {
      const sub = this.pendingIds.get(id);
      this.pendingIds.delete(id);
      return sub && this.subs.get(name) === sub ? sub : undefined;
    }
    const stale = this.staleReplies.get(name);
    if (stale && stale.subscribed > 0) {
      stale.subscribed--;
      return undefined;
    }
    return this.subs.get(name);
  }

  private resubscribe(): void {
    if (this.dialect === 'sync') {
      this.sendSubscribeAll();
      return;
    }
    for (const sub of this.subs.values()) {
      this.sendSubscribe(sub);
    }
  }

  private sendSubscribe(sub: Subscription): void {
    if (this.dialect === 'sync') {
      this.sendSubscribeAll();
      return;
    }
    const id = this.id();
    const frame = outgoing[this.dialect].subscribe(sub.name, sub.position, id);
    if (frame) {
      if (this.dialect === 'channels') this.pendingIds.set(id, sub);
      sub.awaiting = true;
      this.send(frame);
    }
  }

  private sendSubscribeAll(): void {
    const since: Record<string, Position> = {};
    for (const [name, position] of this.syncPositions) since[name] = position;
    for (const sub of this.subs.values()) {
      if (sub.position) since[sub.name] = sub.position;
    }
    const frame = outgoing.sync.subscribeAll(since);
    if (frame) this.send(frame);
  }

  /** The connection is gone: no answer it owed will come. */
  private markUnsubscribed(): void {
    this.pendingIds.clear();
    this.staleReplies.clear();
    for (const sub of this.subs.values()) {
      sub.subscribed = false;
      sub.awaiting = false;
    }
  }

  private send(frame: object): void {
    const ws = this.ws;
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify(frame));
    }
  }

  private id(): string {
    return String(this.nextId++);
  }

  // --- heartbeat and token refresh -----------------------------------------------------------------------------------

  private startHeartbeat(): void {
    this.clearPing();
    this.pingTimer = this.clock.setTimeout(() => {
      this.pingTimer = null;
      this.send(outgoing[this.dialect].ping());
      this.pongTimer = this.clock.setTimeout(() => this.dead(), this.pongTimeout);
      this.startHeartbeat();
    }, this.pingInterval);
  }

  /** Anything Herald sends proves the connection alive. */
  private alive(): void {
    if (this.pongTimer !== null) {
      this.clock.clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
  }

  /** No answer to a ping: the connection is gone even if the socket has not noticed. */
  private dead(): void {
    this.pongTimer = null;
    const ws = this.ws;
    if (!ws) return;
    detach(ws);
    try {
      ws.close(NO_PONG, 'no pong');
    } catch {
      // gone already
    }
    this.onClosed(NO_PONG, 'no pong');
  }

  /** Channels (§6): a fresh token through `refresh` before this one expires, without reconnecting. */
  private scheduleRefresh(expiresAt: string | undefined): void {
    if (this.refreshTimer !== null) {
      this.clock.clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    if (this.dialect !== 'channels' || typeof this.tokenSource !== 'function' || !expiresAt) return;
    const expires = Date.parse(expiresAt);
    if (Number.isNaN(expires)) return;
    const generation = this.generation;
    const wait = Math.max(0, expires - this.refreshBefore - this.clock.now());
    this.refreshTimer = this.clock.setTimeout(async () => {
      this.refreshTimer = null;
      if (this.clock.now() < expires - this.refreshBefore) {
        this.scheduleRefresh(expiresAt); // a timer waits at most ~24.8 days: not yet, look again then
        return;
      }
      try {
        const token = await this.token();
        const frame = token && outgoing.channels.refresh(token);
        if (frame && generation === this.generation) this.send(frame);
      } catch (e) {
        this.report({ code: 'token_unavailable', message: `the token function failed: ${messageOf(e)}` });
      }
    }, Math.min(wait, MAX_TIMER));
  }

  private clearPing(): void {
    if (this.pingTimer !== null) {
      this.clock.clearTimeout(this.pingTimer);
      this.pingTimer = null;
    }
  }

  private clearTimers(): void {
    this.clearPing();
    this.alive();
    for (const t of [this.reconnectTimer, this.refreshTimer]) {
      if (t !== null) this.clock.clearTimeout(t);
    }
    this.reconnectTimer = null;
    this.refreshTimer = null;
  }

  private setState(state: State): void {
    if (this.current !== state) {
      this.current = state;
      this.emit('state', state);
    }
  }

  /** Tells the `error` listeners; false when one of them closed the client meanwhile (then nothing more is done). */
  private report(error: HeraldError): boolean {
    const generation = this.generation;
    this.emit('error', error);
    return generation === this.generation;
  }
}

function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set('token', token);
  return u.toString();
}

function detach(ws: WebSocketLike): void {
  ws.onopen = null;
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = null;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
