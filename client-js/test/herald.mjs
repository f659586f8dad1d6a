// A real Herald for the end-to-end tests: the server jar (built by `mvn verify`/`package` before these run), started
// on a free loopback port with a known HMAC secret; tokens signed here; publishing over its HTTP API; and a TCP relay
// between client and Herald that the test cuts and restores.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const JAR = path.resolve(here, '../../server/target/herald.jar');
export const SECRET = 'client-js-test-secret-0123456789-abcdefghij';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const b64url = (b) => Buffer.from(b).toString('base64url');

/** An HS256 token signed with {@link SECRET}. */
export function token(claims, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ exp: now + ttlSeconds, iat: now, ...claims }));
  const sig = createHmac('sha256', SECRET).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

/** Starts Herald with `env` on top of the test defaults; resolves once /readyz answers 200. */
export async function startHerald(env = {}) {
  if (!existsSync(JAR)) {
    throw new Error(`${JAR} is missing: build the server first (mvn -B package -DskipTests, or scripts/test.sh)`);
  }
  const port = await freePort();
  const proc = spawn('java', ['-jar', JAR], {
    env: {
      ...process.env, HERALD_BIND: '127.0.0.1', HERALD_PORT: String(port), HERALD_JWT_SECRET: SECRET,
      HERALD_JWT_LEEWAY: '0s', HERALD_DRAIN: '100ms', HERALD_INSTANCE_ID: 'client-js-test', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Herald exited ${proc.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`Herald not ready in 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const publisher = token({ sub: 'backend', roles: ['publisher'] });
  return {
    port,
    base,
    ws: (p) => `ws://127.0.0.1:${port}${p}`,
    log: () => log,
    async publish(envelope) {
      const r = await fetch(`${base}/api/v1/publish`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(envelope),
      });
      if (r.status !== 202) throw new Error(`publish answered ${r.status}: ${await r.text()}`);
      return r.json();
    },
    async stop() {
      if (proc.exitCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** A TCP relay to `port`: `cut()` drops every connection through it and refuses new ones until `restore()`. */
export async function relay(port) {
  const pairs = new Set();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const relayPort = server.address().port;
  return {
    port: relayPort,
    ws: (p) => `ws://127.0.0.1:${relayPort}${p}`,
    connections: () => pairs.size,
    cut() {
      cut = true;
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      cut = false;
    },
    close: () => new Promise((r) => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      server.close(() => r());
    }),
  };
}

/** Resolves when `predicate()` holds, polling; rejects after `ms`. */
export async function until(predicate, ms = 10000, what = 'condition') {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
