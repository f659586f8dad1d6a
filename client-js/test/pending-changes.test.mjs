// PendingChanges with a fake clock: changes 500 ms after the last, upload-like events 5 s after the last, either
// never later than 10 s after the first of its batch (the Java client's rules, docs/client.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingChanges } from '../dist/index.js';
import { FakeClock } from './fakes.mjs';

function pending() {
  const clock = new FakeClock(0);
  const flushed = [];
  const p = new PendingChanges((items, lane) => flushed.push([clock.now(), lane, items.map((i) => i.id)]), { clock });
  return { p, clock, flushed };
}

const change = (id) => ({ type: 'file_deleted', id });
const upload = (id) => ({ type: 'file_created', id });

test('changes are handed over 500 ms after the last one', () => {
  const { p, clock, flushed } = pending();
  p.add(change('a'));
  clock.advance(300);
  p.add(change('b'));
  clock.advance(499);
  assert.deepEqual(flushed, []);
  clock.advance(1);
  assert.deepEqual(flushed, [[800, 'changes', ['a', 'b']]]);
  assert.equal(p.size, 0);
});

test('upload-like events wait 5 s after the last one, in a batch of their own', () => {
  const { p, clock, flushed } = pending();
  p.add(upload('u1'));
  p.add(change('c1'));
  clock.advance(1000);
  p.add(upload('u2'));
  clock.advance(4999);
  assert.deepEqual(flushed, [[500, 'changes', ['c1']]]);
  clock.advance(1);
  assert.deepEqual(flushed[1], [6000, 'uploads', ['u1', 'u2']]);
});

test('a steady stream is handed over no later than 10 s after the first of its batch', () => {
  const { p, clock, flushed } = pending();
  for (let t = 0; t < 25000; t += 400) {
    p.add(upload(t));
    clock.advance(400);
  }
  assert.ok(flushed.length >= 2);
  for (const [at, , ids] of flushed) {
    assert.ok(at - ids[0] <= 10000, `held ${at - ids[0]} ms`);
  }
  assert.deepEqual(flushed[0][0], 10000);
});

test('a flush that throws is reported and the helper goes on', () => {
  const clock = new FakeClock(0);
  const errors = [];
  let calls = 0;
  const p = new PendingChanges(() => { calls++; throw new Error('offline'); }, { clock, onError: (e) => errors.push(e.message) });
  p.add(change(1));
  clock.advance(500);
  p.add(change(2));
  clock.advance(500);
  assert.equal(calls, 2);
  assert.deepEqual(errors, ['offline', 'offline']);
});
