// Unit tests of the client's decisions with a fake clock and a fake WebSocket (issue 16): backoff bounds and jitter,
// heartbeat death, what each close code (PROTOCOL.md §8.7) leads to, resubscription from positions (§11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldClient, backoffDelay } from '../dist/index.js';
import { FakeClock, FakeWebSocket, last, settle, sockets } from './fakes.mjs';

const REALTIME = 'ws://herald.test/api/v1/realtime/ws';
const CHANNELS = 'ws://herald.test/ws';
const SYNC = 'ws://herald.test/api/v1/sync/ws/d1';

function client(url = REALTIME, options = {}) {
  const clock = new FakeClock();
  const c = new HeraldClient(url, {
    token: 't1', WebSocket: FakeWebSocket, clock, random: () => 0.5, minDelay: 1000, maxDelay: 30000,
    pingInterval: 30000, pongTimeout: 10000, ...options,
  });
  const states = [];
  const errors = [];
  c.on('state', (s) => states.push(s));
  c.on('error', (e) => errors.push(e));
  return { c, clock, states, errors };
}

/** Connects and plays Herald's greeting. */
async function connected(c, greeting = { type: 'connected', user_id: 'u', timestamp: 'x' }) {
  c.connect();
  await settle();
  last().serverOpen();
  if (greeting) last().serverSend(greeting);
  assert.equal(c.state, 'connected');
  return last();
}

test('backoff: full jitter under a ceiling that doubles from minDelay up to maxDelay', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(30000, 1000 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, 1000, 30000, () => 0), 0, 'full jitter starts at 0');
    assert.equal(backoffDelay(attempt, 1000, 30000, () => 1), ceiling, 'never above the ceiling');
    const d = backoffDelay(attempt, 1000, 30000, Math.random);
    assert.ok(d >= 0 && d <= ceiling, `${d} within [0, ${ceiling}]`);
  }
  const first = new Set(Array.from({ length: 100 }, (_, i) => backoffDelay(0, 1000, 30000, () => i / 100)));
  assert.ok(first.size > 90, 'even the first attempt is spread: a broker outage closes everyone at once');
  assert.equal(backoffDelay(50, 1000, 30000, () => 1), 30000, 'capped at maxDelay however many attempts');
  const spread = new Set(Array.from({ length: 50 }, (_, i) => backoffDelay(5, 1000, 30000, () => i / 50)));
  assert.ok(spread.size > 40, 'clients cut off together come back spread out');
});

test('the token goes in the query and the path picks the dialect', async () => {
  const { c } = client(REALTIME, { token: async () => 'a b' });
  c.connect();
  await settle();
  assert.equal(new URL(last().url).searchParams.get('token'), 'a b');
  assert.equal(c.dialect, 'realtime');
  assert.equal(new HeraldClient(CHANNELS, { WebSocket: FakeWebSocket }).dialect, 'channels');
  assert.equal(new HeraldClient(SYNC, { WebSocket: FakeWebSocket }).dialect, 'sync');
  assert.throws(() => new HeraldClient('ws://h/other', { WebSocket: FakeWebSocket }), /not a Herald endpoint/);
});

test('a lost connection reconnects after a jittered backoff that grows and resets once connected', async () => {
  const { c, clock, states, errors } = client();
  const first = await connected(c);
  first.serverClose(1006);
  assert.equal(c.state, 'reconnecting');
  assert.equal(errors.at(-1).code, 'connection_lost');
  assert.deepEqual(clock.pending(), [500], 'attempt 0: up to minDelay (random 0.5)');
  clock.advance(500);
  await settle();
  assert.equal(sockets.length > 0 && last() !== first, true, 'a new socket');
  last().serverClose(1006); // refused again
  assert.deepEqual(clock.pending(), [1000], 'attempt 1: up to 2000');
  clock.advance(1000);
  await settle();
  last().serverClose(1006);
  assert.deepEqual(clock.pending(), [2000], 'attempt 2: up to 4000');
  clock.advance(2000);
  await settle();
  last().serverOpen();
  last().serverSend({ type: 'connected' });
  assert.equal(c.state, 'connected');
  last().serverClose(1006);
  assert.deepEqual(clock.pending(), [500], 'connected again: back to the first ceiling');
  assert.deepEqual(states.slice(0, 3), ['connecting', 'connected', 'reconnecting']);
});

test('no pong within pongTimeout: the connection is dead and replaced', async () => {
  const { c, clock, errors } = client();
  const ws = await connected(c);
  clock.advance(30000);
  assert.deepEqual(ws.sent.at(-1), { action: 'ping' });
  ws.serverSend({ type: 'pong' });
  clock.advance(10000);
  assert.equal(ws.closedWith, null, 'answered: alive');
  clock.advance(20000); // the next ping
  assert.deepEqual(ws.sent.at(-1), { action: 'ping' });
  clock.advance(10000); // and no answer
  assert.equal(ws.closedWith.code, 4000);
  assert.equal(c.state, 'reconnecting');
  assert.equal(errors.at(-1).code, 'no_pong');
  clock.advance(1000);
  await settle();
  assert.notEqual(last(), ws, 'reconnects');
});

test('4401 asks the token function once more, and stops when that fails too', async () => {
  const tokens = ['old', 'new', 'newer'];
  let asked = 0;
  const { c, errors } = client(REALTIME, { token: () => tokens[asked++] });
  const ws = await connected(c);
  ws.serverClose(4401, 'token expired');
  await settle();
  assert.equal(asked, 2, 'asked again at once');
  assert.equal(new URL(last().url).searchParams.get('token'), 'new');
  last().serverOpen();
  last().serverClose(4401, 'unauthorized'); // refused before any greeting
  await settle();
  assert.equal(c.state, 'disconnected');
  assert.equal(asked, 2, 'not asked a third time');
  assert.deepEqual(errors.map((e) => e.closeCode), [4401, 4401]);
  assert.equal(errors[0].code, 'unauthorized');
});

test('4401 with a fixed token and 4403 stop at once', async () => {
  const a = client();
  (await connected(a.c)).serverClose(4401, 'revoked');
  assert.equal(a.c.state, 'disconnected');
  assert.deepEqual(a.clock.pending(), [], 'no reconnect scheduled');
  const b = client(REALTIME, { token: () => 'x' });
  (await connected(b.c)).serverClose(4403, 'forbidden');
  assert.equal(b.c.state, 'disconnected');
  assert.equal(b.errors[0].code, 'forbidden');
});

for (const [code, name] of [[4408, 'slow_consumer'], [1013, 'unavailable'], [1001, null], [1011, 'internal_error']]) {
  test(`close ${code} reconnects with backoff`, async () => {
    const { c, clock, errors } = client();
    (await connected(c)).serverClose(code, 'x');
    assert.equal(c.state, 'reconnecting');
    assert.deepEqual(clock.pending(), [500]);
    if (name) assert.equal(errors.at(-1).code, name);
    else assert.equal(errors.length, 0, '1001 going away is not an error');
  });
}

test('after a reconnect every subscription is renewed with since = the last position seen', async () => {
  const { c, clock } = client();
  const sub = c.subscribe('s1');
  const seen = [];
  sub.on('subscribed', (s) => seen.push(['subscribed', s.recovered]));
  sub.on('event', (e) => seen.push([e.type, e.offset]));
  const ws = await connected(c);
  assert.deepEqual(ws.sent, [{ action: 'subscribe', share_id: 's1' }], 'first time: no since');
  ws.serverSend({ type: 'subscribed', share_id: 's1', epoch: 'E', offset: 3 });
  ws.serverSend({ type: 'file_created', share_id: 's1', data: { id: 'f' }, offset: 4 });
  ws.serverClose(1006);
  clock.advance(1000);
  await settle();
  last().serverOpen();
  last().serverSend({ type: 'connected' });
  assert.deepEqual(last().sent, [{ action: 'subscribe', share_id: 's1', since: { epoch: 'E', offset: 4 } }]);
  last().serverSend({ type: 'subscribed', share_id: 's1', epoch: 'E', offset: 4, recovered: true });
  assert.deepEqual(seen, [['subscribed', false], ['file_created', 4], ['subscribed', true]]);
});

test('force_sync reaches its subscription and moves its position', async () => {
  const { c } = client();
  const s1 = c.subscribe('s1');
  const s2 = c.subscribe('s2');
  const got = [];
  s1.on('force_sync', (f) => got.push(['s1', f.epoch, f.offset]));
  s2.on('force_sync', () => got.push(['s2']));
  const ws = await connected(c);
  ws.serverSend({ type: 'force_sync', share_id: 's1', epoch: 'E2', offset: 9 });
  assert.deepEqual(got, [['s1', 'E2', 9]]);
  assert.deepEqual(s1.position, { epoch: 'E2', offset: 9 });
});

test('events outside a subscription go to the client; unsubscribe tells Herald, and its late events reach nobody', async () => {
  const { c } = client();
  const events = [];
  c.on('event', (e) => events.push(e.type));
  const sub = c.subscribe('s1');
  const ws = await connected(c);
  ws.serverSend({ type: 'on_new_release', data: {} }); // user:/broadcast
  assert.deepEqual(events, ['on_new_release']);
  sub.unsubscribe();
  assert.deepEqual(ws.sent.at(-1), { action: 'unsubscribe', share_id: 's1' });
  assert.equal(c.subscription('s1'), undefined);
  ws.serverSend({ type: 'file_created', share_id: 's1' }); // a late event of the dropped subscription
  assert.deepEqual(events, ['on_new_release'], 'reaches nobody');
});

test('a listener that throws breaks neither the client nor the other listeners', async () => {
  const hooked = [];
  const { c } = client(REALTIME, { onListenerError: (e, event) => hooked.push([e.message, event]) });
  const sub = c.subscribe('s1');
  const got = [];
  sub.on('event', () => { throw new Error('boom'); });
  sub.on('event', (e) => got.push(e.offset));
  c.on('state', () => { throw new Error('state boom'); });
  const ws = await connected(c);
  ws.serverSend({ type: 'file_created', share_id: 's1', offset: 1 });
  ws.serverSend({ type: 'file_created', share_id: 's1', offset: 2 });
  assert.deepEqual(got, [1, 2]);
  assert.deepEqual(hooked.filter(([, ev]) => ev === 'event'), [['boom', 'event'], ['boom', 'event']]);
  assert.ok(hooked.some(([m, ev]) => m === 'state boom' && ev === 'state'));
  assert.equal(c.state, 'connected');
});

test('close() stops for good: no reconnect, no timers', async () => {
  const { c, clock } = client();
  const ws = await connected(c);
  c.close();
  assert.equal(c.state, 'disconnected');
  assert.equal(ws.closedWith.code, 1000);
  assert.deepEqual(clock.pending(), []);
});

test('channels: subscribe by id, errors reach their subscription, the token is refreshed before it expires', async () => {
  let n = 0;
  const { c, clock, errors } = client(CHANNELS, { token: () => `tok${++n}`, pingInterval: 3600000 });
  const a = c.subscribe('room:a');
  const b = c.subscribe('room:b');
  const bErrors = [];
  b.on('error', (e) => bErrors.push(e.code));
  const expires = new Date(clock.now() + 5 * 60000).toISOString();
  const ws = await connected(c, { type: 'connected', data: { user_id: 'u', expires_at: expires } });
  const [subA, subB] = ws.sent;
  assert.deepEqual(subA.data, { channel: 'room:a' });
  assert.equal(subA.type, 'subscribe');
  ws.serverSend({ type: 'subscribed', id: subA.id, data: { channel: 'room:a', epoch: 'E', offset: 0 } });
  ws.serverSend({ type: 'error', id: subB.id, data: { code: 'unauthorized', message: 'not allowed' } });
  assert.deepEqual(bErrors, ['unauthorized']);
  assert.equal(errors.at(-1).subscription, 'room:b');
  ws.serverSend({ type: 'msg', channel: 'room:a', data: { t: 1 }, timestamp: 'x', offset: 1 });
  assert.deepEqual(a.position, { epoch: 'E', offset: 1 });
  clock.advance(4 * 60000 - 1);
  await settle();
  assert.equal(ws.sent.filter((f) => f.type === 'refresh').length, 0, 'not yet');
  clock.advance(1);
  await settle();
  assert.deepEqual(ws.sent.at(-1), { type: 'refresh', data: { token: 'tok2' } }, 'a minute before expiry');
});

test('sync: one subscribe for every share, forbidden shares reported, since per share after a reconnect', async () => {
  const { c, clock } = client(SYNC);
  const s1 = c.subscribe('s1');
  const s9 = c.subscribe('s9');
  const got = [];
  s1.on('subscribed', (s) => got.push(['s1 subscribed', s.recovered]));
  s1.on('event', (e) => got.push([e.type, e.offset]));
  s9.on('error', (e) => got.push(['s9', e.code]));
  c.connect();
  await settle();
  const ws = last();
  ws.serverOpen();
  assert.deepEqual(ws.sent, [{ type: 'subscribe' }], 'sync has no greeting: it subscribes on open');
  assert.equal(c.state, 'connecting', 'connected once the answer says the token was taken');
  ws.serverSend({ type: 'subscribed', shares: ['s1', 's2'], positions: { s1: { epoch: 'E', offset: 2 }, s2: { epoch: 'F', offset: 7 } } });
  assert.equal(c.state, 'connected');
  ws.serverSend({ event_type: 'change', share_id: 's1', data: { n: 1 }, offset: 3 });
  ws.serverClose(1006);
  clock.advance(1000);
  await settle();
  last().serverOpen();
  assert.deepEqual(last().sent, [{ type: 'subscribe', since: { s1: { epoch: 'E', offset: 3 }, s2: { epoch: 'F', offset: 7 } } }],
    'every share of the device resumes, with a subscription here or not');
  last().serverSend({ type: 'subscribed', shares: ['s1'], positions: { s1: { epoch: 'E', offset: 3 } }, recovered: ['s1'] });
  assert.deepEqual(got, [['s9', 'forbidden'], ['s1 subscribed', false], ['change', 3], ['s9', 'forbidden'], ['s1 subscribed', true]]);
});

test('sync with a refused token stops after asking once more, instead of reconnecting at once forever', async () => {
  let asked = 0;
  const { c, clock } = client(SYNC, { token: () => `t${++asked}` });
  c.connect();
  await settle();
  last().serverOpen();
  last().serverClose(4401, 'unauthorized'); // §4: after the handshake, before any answer
  await settle();
  last().serverOpen();
  last().serverClose(4401, 'unauthorized');
  await settle();
  assert.equal(c.state, 'disconnected');
  assert.equal(asked, 2);
  assert.deepEqual(clock.pending(), []);
});

test('close() from an error or state listener stops the client for good', async () => {
  const a = client();
  a.c.on('error', (e) => { if (e.closeCode === 1011) a.c.close(); });
  (await connected(a.c)).serverClose(1011, 'internal error');
  assert.equal(a.c.state, 'disconnected');
  assert.deepEqual(a.clock.pending(), [], 'no reconnect');
  const b = client(CHANNELS, { token: () => 'x', pingInterval: 3600000 });
  b.c.on('connected', () => b.c.close());
  b.c.connect();
  await settle();
  last().serverOpen();
  last().serverSend({ type: 'connected', data: { expires_at: new Date(b.clock.now() + 7200000).toISOString() } });
  assert.equal(b.c.state, 'disconnected');
  assert.deepEqual(b.clock.pending(), [], 'no refresh timer, no ping');
  assert.equal(last().sent.length, 0, 'nothing subscribed after the close');
});

test('realtime: unsubscribe then subscribe again is not undone by the answers owed to the first', async () => {
  const { c } = client();
  const old = c.subscribe('s1');
  const ws = await connected(c);
  old.unsubscribe();
  const again = c.subscribe('s1');
  const seen = [];
  again.on('subscribed', () => seen.push('subscribed'));
  again.on('unsubscribed', () => seen.push('unsubscribed'));
  again.on('event', (e) => seen.push(e.type));
  ws.serverSend({ type: 'subscribed', share_id: 's1' }); // to the first subscribe
  ws.serverSend({ type: 'unsubscribed', share_id: 's1' }); // to the unsubscribe
  ws.serverSend({ type: 'subscribed', share_id: 's1' }); // to the second subscribe
  ws.serverSend({ type: 'file_created', share_id: 's1' });
  assert.deepEqual(seen, ['subscribed', 'file_created']);
  assert.equal(again.isActive, true);
  assert.equal(c.subscription('s1'), again);
});

test('channels: answers are matched by id, so a resubscribed channel keeps its subscription', async () => {
  const { c } = client(CHANNELS, { pingInterval: 3600000 });
  const old = c.subscribe('room:a');
  const ws = await connected(c, { type: 'connected', data: {} });
  old.unsubscribe();
  const again = c.subscribe('room:a');
  const [sub1, unsub, sub2] = ws.sent;
  assert.deepEqual([sub1.type, unsub.type, sub2.type], ['subscribe', 'unsubscribe', 'subscribe']);
  const seen = [];
  again.on('subscribed', () => seen.push('subscribed'));
  again.on('unsubscribed', () => seen.push('unsubscribed'));
  ws.serverSend({ type: 'subscribed', id: sub1.id, data: { channel: 'room:a' } });
  ws.serverSend({ type: 'unsubscribed', id: unsub.id, data: { channel: 'room:a' } });
  ws.serverSend({ type: 'subscribed', id: sub2.id, data: { channel: 'room:a' } });
  assert.deepEqual(seen, ['subscribed']);
  assert.equal(again.isActive, true);
  // Herald ending it by itself (a refreshed token no longer allows it): no id
  ws.serverSend({ type: 'unsubscribed', data: { channel: 'room:a' } });
  assert.deepEqual(seen, ['subscribed', 'unsubscribed']);
  assert.equal(again.isActive, false);
});

test('a token valid for a month is refreshed a minute before it expires, not at once', async () => {
  let n = 0;
  const { c, clock } = client(CHANNELS, { token: () => `tok${++n}`, pingInterval: 3600000 });
  const expires = clock.now() + 30 * 86400000;
  const ws = await connected(c, { type: 'connected', data: { expires_at: new Date(expires).toISOString() } });
  const hours = async (n) => {
    for (let i = 0; i < n; i++) {
      clock.advance(3600000);
      ws.serverSend({ type: 'pong' }); // alive all along
      await settle();
    }
  };
  await hours(25 * 24);
  assert.equal(ws.sent.filter((f) => f.type === 'refresh').length, 0, 'not after 25 days');
  assert.equal(c.state, 'connected');
  await hours(5 * 24 - 1);
  assert.equal(ws.sent.filter((f) => f.type === 'refresh').length, 0, 'not an hour before');
  clock.advance(3600000 - 60000);
  await settle();
  assert.deepEqual(ws.sent.filter((f) => f.type === 'refresh'), [{ type: 'refresh', data: { token: 'tok2' } }]);
});

test('after a 4401, a token function that fails stops the client', async () => {
  let asked = 0;
  const { c, clock, errors } = client(REALTIME, {
    token: async () => { if (++asked > 1) throw new Error('logged out'); return 't'; },
  });
  (await connected(c)).serverClose(4401, 'token expired');
  await settle();
  assert.equal(c.state, 'disconnected');
  assert.equal(errors.at(-1).code, 'token_unavailable');
  assert.deepEqual(clock.pending(), []);
});
