// The three JSON dialects of PROTOCOL.md (§4 sync, §5 realtime, §6 channels), reduced to one set of messages so that
// the client's connection logic is written once.

/** A topic's position (§11): its history epoch and the offset of the last event seen. */
export interface Position {
  epoch: string;
  offset: number;
}

export type DialectName = 'realtime' | 'channels' | 'sync';

/** What a frame from Herald means to the client. */
export type Incoming =
  | { t: 'connected'; expiresAt?: string }
  | { t: 'pong' }
  | { t: 'subscribed'; name: string; id?: string; epoch?: string; offset?: number; recovered: boolean }
  | { t: 'subscribed-all'; names: string[] }
  | { t: 'unsubscribed'; name: string; id?: string }
  | { t: 'event'; name?: string; type: string; data: unknown; offset?: number; raw: Record<string, unknown> }
  | { t: 'force_sync'; name?: string; epoch?: string; offset?: number }
  | { t: 'error'; name?: string; id?: string; code: string; message: string }
  | { t: 'refreshed'; expiresAt?: string }
  | { t: 'unknown' };

/** The endpoint a URL names: `/api/v1/realtime/ws`, `/ws` or `/api/v1/sync/ws/{device_id}`. */
export function dialectOf(url: string): DialectName {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  if (path.endsWith('/api/v1/realtime/ws')) return 'realtime';
  if (/\/api\/v1\/sync\/ws\/[^/]+$/.test(path)) return 'sync';
  if (path.endsWith('/ws')) return 'channels';
  throw new Error(`not a Herald endpoint: ${path} (use /api/v1/realtime/ws, /ws or /api/v1/sync/ws/{device_id})`);
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** One frame as messages (sync's `subscribed` names several shares at once); [] when it is not JSON. */
export function decode(dialect: DialectName, text: string): Incoming[] {
  let frame: Json;
  try {
    frame = obj(JSON.parse(text));
  } catch {
    return [{ t: 'unknown' }];
  }
  switch (dialect) {
    case 'realtime':
      return [realtime(frame)];
    case 'channels':
      return [channels(frame)];
    default:
      return sync(frame);
  }
}

function realtime(f: Json): Incoming {
  const name = str(f.share_id);
  switch (f.type) {
    case 'connected':
      return { t: 'connected' };
    case 'pong':
      return { t: 'pong' };
    case 'subscribed':
      return name === undefined ? { t: 'unknown' }
        : { t: 'subscribed', name, epoch: str(f.epoch), offset: num(f.offset), recovered: f.recovered === true };
    case 'unsubscribed':
      return name === undefined ? { t: 'unknown' } : { t: 'unsubscribed', name };
    case 'error':
      return { t: 'error', name, code: str(f.code) ?? 'error', message: str(f.message) ?? '' };
    case 'force_sync':
      return { t: 'force_sync', name, epoch: str(f.epoch), offset: num(f.offset) };
    default:
      return typeof f.type === 'string'
        ? { t: 'event', name, type: f.type, data: f.data, offset: num(f.offset), raw: f }
        : { t: 'unknown' };
  }
}

function channels(f: Json): Incoming {
  const data = obj(f.data);
  switch (f.type) {
    case 'connected':
      return { t: 'connected', expiresAt: str(data.expires_at) };
    case 'pong':
      return { t: 'pong' };
    case 'refreshed':
      return { t: 'refreshed', expiresAt: str(data.expires_at) };
    case 'subscribed': {
      const name = str(data.channel);
      return name === undefined ? { t: 'unknown' } : {
        t: 'subscribed', name, id: str(f.id), epoch: str(data.epoch), offset: num(data.offset),
        recovered: data.recovered === true,
      };
    }
    case 'unsubscribed': {
      const name = str(data.channel);
      return name === undefined ? { t: 'unknown' } : { t: 'unsubscribed', name, id: str(f.id) };
    }
    case 'error':
      return { t: 'error', id: str(f.id), code: str(data.code) ?? 'error', message: str(data.message) ?? '' };
    case 'force_sync':
      return { t: 'force_sync', name: str(f.channel), epoch: str(f.epoch), offset: num(f.offset) };
    default:
      return typeof f.type === 'string'
        ? { t: 'event', name: str(f.channel), type: f.type, data: f.data, offset: num(f.offset), raw: f }
        : { t: 'unknown' };
  }
}

function sync(f: Json): Incoming[] {
  if (f.type === 'pong') return [{ t: 'pong' }];
  if (f.type === 'error') {
    const data = obj(f.data);
    return [{ t: 'error', code: str(f.code) ?? str(data.code) ?? 'error', message: str(f.message) ?? str(data.message) ?? '' }];
  }
  if (f.type === 'subscribed') {
    const shares = Array.isArray(f.shares) ? f.shares.filter((s): s is string => typeof s === 'string') : [];
    const positions = obj(f.positions);
    const recovered = Array.isArray(f.recovered) ? f.recovered : [];
    const out: Incoming[] = [{ t: 'subscribed-all', names: shares }];
    for (const name of shares) {
      const p = obj(positions[name]);
      out.push({ t: 'subscribed', name, epoch: str(p.epoch), offset: num(p.offset), recovered: recovered.includes(name) });
    }
    return out;
  }
  const type = str(f.event_type);
  if (type === undefined) return [{ t: 'unknown' }];
  const name = str(f.share_id);
  if (type === 'force_sync') return [{ t: 'force_sync', name, epoch: str(f.epoch), offset: num(f.offset) }];
  const data = f.data !== undefined ? f.data : { share_id: f.share_id, device_id: f.device_id };
  return [{ t: 'event', name, type, data, offset: num(f.offset), raw: f }];
}

/** The frames the client sends, per dialect. */
export interface Outgoing {
  subscribe(name: string, since: Position | undefined, id: string): Json | null;
  unsubscribe(name: string, id: string): Json | null;
  /** Sync subscribes to all its shares in one command, with a position for each share it has seen. */
  subscribeAll(since: Record<string, Position>): Json | null;
  ping(): Json;
  refresh(token: string): Json | null;
}

const withSince = (o: Json, since: Position | undefined): Json =>
  since ? Object.assign(o, { since: { epoch: since.epoch, offset: since.offset } }) : o;

export const outgoing: Record<DialectName, Outgoing> = {
  realtime: {
    subscribe: (name, since) => withSince({ action: 'subscribe', share_id: name }, since),
    unsubscribe: (name) => ({ action: 'unsubscribe', share_id: name }),
    subscribeAll: () => null,
    ping: () => ({ action: 'ping' }),
    refresh: () => null,
  },
  channels: {
    subscribe: (name, since, id) => ({ type: 'subscribe', id, data: withSince({ channel: name }, since) }),
    unsubscribe: (name, id) => ({ type: 'unsubscribe', id, data: { channel: name } }),
    subscribeAll: () => null,
    ping: () => ({ type: 'ping', data: {} }),
    refresh: (token) => ({ type: 'refresh', data: { token } }),
  },
  sync: {
    subscribe: () => null,
    unsubscribe: () => null,
    subscribeAll: (since) => (Object.keys(since).length ? { type: 'subscribe', since } : { type: 'subscribe' }),
    ping: () => ({ type: 'ping' }),
    refresh: () => null,
  },
};
