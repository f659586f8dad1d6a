// The reconnect-and-recover scenario in headless Chromium (Debian's chromium, driven by playwright-core): a page loads
// the browser build (dist/herald-client.global.js, no dependency) and uses the browser's own WebSocket through a TCP
// relay the test cuts while events are published (issue 16, §11).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { relay, startHerald, token } from './herald.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const BUNDLE = path.resolve(here, '../dist/herald-client.global.js');

let herald;
let site;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)`);
  herald = await startHerald({ HERALD_ALLOWED_ORIGINS: '*' });
  // the page and the bundle, from an origin of their own
  site = http.createServer((req, res) => {
    if (req.url === '/herald-client.global.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(readFileSync(BUNDLE));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>client-js</title><script src="/herald-client.global.js"></script>');
    }
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  site?.close();
  await herald?.stop();
});

test('in Chromium: cut, events published meanwhile, reconnect, recovered with every event once', async () => {
  const tcp = await relay(herald.port);
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`http://127.0.0.1:${site.address().port}/`);
  assert.equal(await page.evaluate(() => typeof window.Herald.HeraldClient), 'function', 'the global build loads');

  await page.evaluate(({ url, tok }) => {
    window.log = [];
    const client = new window.Herald.HeraldClient(url, { token: async () => tok, minDelay: 50, maxDelay: 200 });
    window.client = client;
    client.on('state', (s) => window.log.push(['state', s]));
    const sub = client.subscribe('web1');
    sub.on('subscribed', (s) => window.log.push(['subscribed', s.recovered]));
    sub.on('event', (e) => window.log.push(['event', e.data.n, e.offset]));
    sub.on('force_sync', () => window.log.push(['force_sync']));
    client.connect();
  }, { url: tcp.ws('/api/v1/realtime/ws'), tok: token({ sub: 'web', shares: ['web1'] }) });

  const count = (kind) => page.evaluate((k) => window.log.filter((l) => l[0] === k).length, kind);
  await page.waitForFunction(() => window.log.some((l) => l[0] === 'subscribed'), null, { timeout: 10000 });
  await herald.publish({ topic: 'share:web1', event_type: 'file_created', data: { n: 0 } });
  await page.waitForFunction(() => window.log.filter((l) => l[0] === 'event').length === 1, null, { timeout: 10000 });

  tcp.cut();
  await page.waitForFunction(() => window.client.state === 'reconnecting', null, { timeout: 10000 });
  for (let n = 1; n <= 4; n++) {
    await herald.publish({ topic: 'share:web1', event_type: 'file_created', data: { n } });
  }
  tcp.restore();
  await page.waitForFunction(() => window.log.filter((l) => l[0] === 'event').length === 5, null, { timeout: 15000 });

  const log = await page.evaluate(() => window.log);
  assert.deepEqual(log.filter((l) => l[0] === 'subscribed'), [['subscribed', false], ['subscribed', true]]);
  assert.deepEqual(log.filter((l) => l[0] === 'event').map((l) => l[1]), [0, 1, 2, 3, 4]);
  assert.equal(await count('force_sync'), 0);
  assert.equal(await page.evaluate(() => window.client.state), 'connected');
  assert.deepEqual(problems, []);
  await page.evaluate(() => window.client.close());
  await tcp.close();
});
