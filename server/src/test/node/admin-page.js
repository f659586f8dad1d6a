// The admin page (issue 15) in a real browser: Debian's chromium driven by playwright-core, against a real Herald
// that AdminPageBrowserTest started. Logs in, watches the connection count move as browser WebSocket clients connect,
// finds their user and disconnects it (the clients see 4401), tails a topic and sees an event published meanwhile.
// Writes screenshots for people to look at. Prints one JSON line per step; exits non-zero on the first failure.
//
// node admin-page.js '{"base":"http://127.0.0.1:PORT","adminToken":"...","userToken":"...","publisherToken":"...",
//                      "user":"carol","topic":"share:tailme","screenshots":"/abs/target"}'
'use strict';

const { chromium } = require('playwright-core');
const path = require('path');

const opts = JSON.parse(process.argv[2]);
const step = (on, extra = {}) => console.log(JSON.stringify(Object.assign({ on }, extra)));
const fail = (message) => {
  const e = new Error(message);
  e.step = true;
  throw e;
};
const WAIT = 15000;

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // a CSP violation, a script error or a failed request of the page's own is a failure of the page
    page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    const requested = [];
    page.on('request', (r) => requested.push(r.url()));

    await page.goto(opts.base + '/admin');
    await page.fill('#token', 'not-a-token');
    await page.click('#login');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0, null, { timeout: WAIT });
    if (!(await page.isHidden('#dashboard'))) fail('a bad token must not log in');
    problems.length = 0; // the 401 of the refused token shows in the console as a failed request

    await page.fill('#token', opts.adminToken);
    await page.click('#login');
    await page.waitForSelector('#dashboard', { state: 'visible', timeout: WAIT });
    await page.waitForFunction(() => /^\d/.test(document.getElementById('connections-total').textContent), null, { timeout: WAIT });
    const before = Number((await page.textContent('#connections-total')).replace(/,/g, ''));
    const stored = await page.evaluate(() => sessionStorage.getItem('herald.admin.token'));
    if (stored !== opts.adminToken) fail('the token is kept in sessionStorage');
    step('logged-in', { connections: before });

    // Two browser WebSocket clients of one user, from a page of the same origin without the admin page's policy.
    const clients = await context.newPage();
    await clients.goto(opts.base + '/healthz');
    await clients.evaluate(({ token }) => {
      window.closes = [];
      window.sockets = [0, 1].map(() => {
        const ws = new WebSocket(location.origin.replace('http', 'ws') + '/api/v1/realtime/ws?token=' + token);
        ws.onclose = (e) => window.closes.push({ code: e.code, reason: e.reason });
        return ws;
      });
    }, { token: opts.userToken });
    await page.waitForFunction((n) => Number(document.getElementById('connections-total').textContent.replace(/,/g, '')) === n,
      before + 2, { timeout: WAIT });
    step('connections-changed', { from: before, to: before + 2 });

    // Find the user, disconnect it: every one of its connections closes 4401.
    await page.fill('#user-query', opts.user);
    await page.click('#user-search');
    await page.waitForFunction(() => document.querySelectorAll('#user-results tr').length === 2, null, { timeout: WAIT });
    const rows = await page.$$eval('#user-results tr', (trs) => trs.map((tr) => tr.textContent));
    if (!rows.every((r) => r.includes('realtime') && r.includes('websocket'))) fail('user rows: ' + JSON.stringify(rows));
    await page.click('#disconnect-user'); // asks once more on its face
    if (!(await page.textContent('#disconnect-user')).includes('Confirm')) fail('disconnect asks for confirmation');
    await page.click('#disconnect-user');
    await clients.waitForFunction(() => window.closes.length === 2, null, { timeout: WAIT });
    const closes = await clients.evaluate(() => window.closes);
    if (!closes.every((c) => c.code === 4401)) fail('the clients got ' + JSON.stringify(closes));
    await page.waitForFunction(() => document.querySelectorAll('#user-results tr').length === 0, null, { timeout: WAIT });
    step('disconnected', { closes });

    // Tail a topic and see an event published meanwhile.
    await page.fill('#tail-topic', opts.topic);
    await page.click('#tail-start');
    await page.waitForFunction(() => document.getElementById('tail-state').textContent.startsWith('tailing'), null, { timeout: WAIT });
    const published = await fetch(opts.base + '/api/v1/publish', {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + opts.publisherToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ topic: opts.topic, event_type: 'file_created', data: { name: '<b>from-the-test</b>' } }),
    });
    if (published.status !== 202) fail('publish answered ' + published.status);
    await page.waitForFunction(() => document.getElementById('tail-events').textContent.includes('from-the-test'), null, { timeout: WAIT });
    if (await page.$('#tail-events b')) fail('event data must be shown as text, never as HTML');
    step('tailed');

    // Figures refreshed at least twice by now: the latency plot has drawn.
    await page.waitForFunction(() => document.querySelectorAll('#latency-plot path').length > 0
      || document.getElementById('latency-now').textContent.length > 0, null, { timeout: WAIT });

    await page.screenshot({ path: path.join(opts.screenshots, 'admin-page.png'), fullPage: true });
    // Readable on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 0) fail('on a phone the page is ' + overflow + ' px wider than the screen');
    await page.screenshot({ path: path.join(opts.screenshots, 'admin-page-phone.png'), fullPage: true });
    step('screenshots', { dir: opts.screenshots });

    // after every request the page made (stats, search, disconnect, tail): none carried the token in its URL
    if (requested.some((u) => u.includes(opts.adminToken))) fail('the token went into a URL');
    await page.click('#logout');
    if (await page.evaluate(() => sessionStorage.getItem('herald.admin.token')) !== null) fail('log out forgets the token');
    if (problems.length) fail('the page reported: ' + problems.join(' | '));
    step('done');
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  step('failed', { message: e.message });
  process.exit(1);
});
