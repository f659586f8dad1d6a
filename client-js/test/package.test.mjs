// The package as users get it (issue 16): ESM and CommonJS builds with types, and a browser build with no
// runtime dependency at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
const read = (f) => readFileSync(new URL(`../dist/${f}`, import.meta.url), 'utf8');

test('no runtime dependency', () => {
  assert.equal(pkg.dependencies, undefined);
  assert.equal(pkg.peerDependencies, undefined);
});

test('ESM, CommonJS and their types export the same API', async () => {
  const esm = await import('../dist/index.js');
  const cjs = createRequire(import.meta.url)('../dist/index.cjs');
  for (const name of ['HeraldClient', 'Subscription', 'PendingChanges', 'backoffDelay']) {
    assert.equal(typeof esm[name], 'function', `ESM ${name}`);
    assert.equal(typeof cjs[name], 'function', `CJS ${name}`);
  }
  for (const types of [read('index.d.ts'), read('index.d.cts')]) {
    assert.match(types, /declare class HeraldClient/);
    assert.match(types, /type State = 'connecting' \| 'connected' \| 'reconnecting' \| 'disconnected'/);
  }
});

test('the browser build runs alone: no require, no import, one global', () => {
  const bundle = read('herald-client.global.js');
  assert.doesNotMatch(bundle, /\brequire\(|\bimport\s*[({"']/);
  const sandbox = { URL, console };
  sandbox.globalThis = sandbox;
  vm.runInNewContext(bundle, sandbox);
  assert.equal(typeof sandbox.Herald.HeraldClient, 'function');
  assert.throws(() => new sandbox.Herald.HeraldClient('ws://h/ws'), /no WebSocket here/);
});
