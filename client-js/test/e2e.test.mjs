// The client against a real Herald (issue 16): subscribe and receive on realtime, channels and sync; a connection cut
// by a TCP relay while events are published, then resumed with `recovered: true` and every event once (§11); a gap
// beyond the history answered with force_sync; a 4401 at token expiry answered by asking for a new token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { HeraldClient } from '../dist/index.js';
import { relay, startHerald, token, until } from './herald.mjs';

const HISTORY = 20;
let herald;

before(async () => {
  herald = await startHerald({ HERALD_HISTORY_SIZE: String(HISTORY) });
});

after(async () => {
  await herald?.stop();
});

const FAST = { WebSocket, minDelay: 50, maxDelay: 200, pingInterval: 5000 };

/** A client with everything it reports kept in order, as [kind, detail]. */
function recorded(url, options) {
  const c = new HeraldClient(url, { ...FAST, ...options });
  const log = [];
  c.on('state', (s) => log.push(['state', s]));
  c.on('error', (e) => log.push(['error', e.code, e.closeCode]));
  const watch = (sub) => {
    sub.on('subscribed', (s) => log.push(['subscribed', sub.name, s.recovered, s.offset]));
    sub.on('event', (e) => log.push(['event', sub.name, e.type, e.offset, e.data]));
    sub.on('force_sync', (f) => log.push(['force_sync', sub.name, f.offset]));
    return sub;
  };
  return { c, log, watch, of: (kind) => log.filter((l) => l[0] === kind) };
}

test('realtime: subscribe and receive, with positions', async () => {
  const r = recorded(herald.ws('/api/v1/realtime/ws'), { token: token({ sub: 'ann', shares: ['rt1'] }) });
  r.watch(r.c.subscribe('rt1'));
  r.c.connect();
  await until(() => r.of('subscribed').length === 1, 10000, 'subscribed');
  await herald.publish({ topic: 'share:rt1', event_type: 'file_created', data: { id: 'f1' } });
  await until(() => r.of('event').length === 1, 10000, 'the event');
  const [, name, type, offset, data] = r.of('event')[0];
  assert.deepEqual([name, type, data], ['rt1', 'file_created', { id: 'f1' }]);
  assert.equal(typeof offset, 'number');
  assert.equal(r.c.subscription('rt1').position.offset, offset);
  r.c.close();
  assert.equal(r.c.state, 'disconnected');
});

test('channels: subscribe and receive; a channel the token does not allow is an error of its own', async () => {
  const r = recorded(herald.ws('/ws'), { token: token({ sub: 'cat', channels: ['room:*'] }) });
  r.watch(r.c.subscribe('room:1'));
  const denied = r.c.subscribe('secret');
  const deniedErrors = [];
  denied.on('error', (e) => deniedErrors.push(e.code));
  r.c.connect();
  await until(() => r.of('subscribed').length === 1 && deniedErrors.length === 1, 10000, 'answers');
  assert.deepEqual(deniedErrors, ['unauthorized']);
  await herald.publish({ topic: 'channel:room:1', event_type: 'message', data: { text: 'hi' } });
  await until(() => r.of('event').length === 1, 10000, 'the event');
  assert.deepEqual(r.of('event')[0].slice(1, 3), ['room:1', 'message']);
  r.c.close();
});

test('sync: one subscription per share of the device, change events with positions', async () => {
  const r = recorded(herald.ws('/api/v1/sync/ws/dev1'), { token: token({ sub: 'dan', shares: ['sy1'], devices: ['dev1'] }) });
  r.watch(r.c.subscribe('sy1'));
  r.c.connect();
  await until(() => r.of('subscribed').length === 1, 10000, 'subscribed');
  await herald.publish({ topic: 'share:sy1', event_type: 'change', data: { n: 1 } });
  await until(() => r.of('event').length === 1, 10000, 'the change');
  assert.deepEqual(r.of('event')[0].slice(1, 3), ['sy1', 'change']);
  r.c.close();
});

for (const [endpoint, name, topic, claims, eventType] of [
  ['/api/v1/realtime/ws', 'cut1', 'share:cut1', { shares: ['cut1'] }, 'file_created'],
  ['/ws', 'cut:2', 'channel:cut:2', { channels: ['cut:*'] }, 'message'],
]) {
  test(`${endpoint}: events published while a relay cut the connection arrive on reconnect, recovered`, async () => {
    const tcp = await relay(herald.port);
    const r = recorded(tcp.ws(endpoint), { token: token({ sub: 'eve', ...claims }) });
    r.watch(r.c.subscribe(name));
    r.c.connect();
    await until(() => r.of('subscribed').length === 1, 10000, 'subscribed');
    await herald.publish({ topic, event_type: eventType, data: { n: 0 } });
    await until(() => r.of('event').length === 1, 10000, 'the first event');

    tcp.cut();
    await until(() => r.c.state === 'reconnecting', 10000, 'the client to notice');
    for (let n = 1; n <= 5; n++) {
      await herald.publish({ topic, event_type: eventType, data: { n } });
    }
    await new Promise((res) => setTimeout(res, 300)); // a few refused attempts while cut
    tcp.restore();

    await until(() => r.of('event').length === 6, 10000, 'the missed events');
    const subscribed = r.of('subscribed');
    assert.equal(subscribed.length, 2);
    assert.equal(subscribed[1][2], true, 'recovered: true');
    assert.deepEqual(r.of('event').map((e) => e[4].n), [0, 1, 2, 3, 4, 5], 'every event once, in order');
    const offsets = r.of('event').map((e) => e[3]);
    assert.deepEqual(offsets, offsets.map((_, i) => offsets[0] + i), 'offsets without gaps');
    assert.equal(r.of('force_sync').length, 0, 'no force_sync');
    assert.equal(r.c.state, 'connected');
    r.c.close();
    await tcp.close();
  });
}

test('a gap beyond the history gives force_sync', async () => {
  const tcp = await relay(herald.port);
  const r = recorded(tcp.ws('/api/v1/realtime/ws'), { token: token({ sub: 'fay', shares: ['gap1'] }) });
  r.watch(r.c.subscribe('gap1'));
  r.c.connect();
  await until(() => r.of('subscribed').length === 1, 10000, 'subscribed');
  await herald.publish({ topic: 'share:gap1', event_type: 'file_created', data: { n: 0 } });
  await until(() => r.of('event').length === 1, 10000, 'the first event');
  tcp.cut();
  await until(() => r.c.state === 'reconnecting', 10000, 'the client to notice');
  for (let n = 1; n <= HISTORY + 5; n++) {
    await herald.publish({ topic: 'share:gap1', event_type: 'file_created', data: { n } });
  }
  tcp.restore();
  await until(() => r.of('force_sync').length === 1, 10000, 'force_sync');
  const subscribed = r.of('subscribed');
  assert.equal(subscribed[1][2], false, 'recovered: false');
  assert.equal(r.of('event').length, 1, 'nothing replayed out of a broken history');
  await herald.publish({ topic: 'share:gap1', event_type: 'file_created', data: { n: 'live' } });
  await until(() => r.of('event').length === 2, 10000, 'live events after force_sync');
  r.c.close();
  await tcp.close();
});

test('4401 at token expiry: the client asks for a new token and resumes', async () => {
  let asked = 0;
  const r = recorded(herald.ws('/api/v1/realtime/ws'), {
    token: () => {
      asked++;
      return token({ sub: 'gus', shares: ['exp1'] }, asked === 1 ? 2 : 3600);
    },
  });
  r.watch(r.c.subscribe('exp1'));
  r.c.connect();
  await until(() => r.of('subscribed').length === 1, 10000, 'subscribed');
  await until(() => r.log.some((l) => l[0] === 'error' && l[2] === 4401), 10000, 'the 4401 at expiry');
  await until(() => r.of('subscribed').length === 2, 10000, 'subscribed again');
  assert.equal(asked, 2);
  assert.equal(r.c.state, 'connected');
  await herald.publish({ topic: 'share:exp1', event_type: 'file_created', data: { n: 1 } });
  await until(() => r.of('event').length === 1, 10000, 'events on the new token');
  r.c.close();
});

test('a token that stays refused stops the client with unauthorized', async () => {
  const r = recorded(herald.ws('/api/v1/realtime/ws'), { token: () => 'not-a-token' });
  r.c.connect();
  await until(() => r.c.state === 'disconnected', 10000, 'the client to stop');
  assert.deepEqual(r.of('error').map((e) => e[2]), [4401, 4401], 'asked once more, then stopped');
});
