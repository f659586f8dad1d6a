// A stand-in backend for Herald's §12 end-to-end tests, run as its own process:
//   node backend.js '{"redisPort": 6379, "adapterKey": "socket.io"}'     (both optional)
//   node backend.js '{"redisCluster": [7001, 7002, 7003], "adapterKey": "socket.io"}'
//                the Socket.IO app uses the sharded adapter (createShardedAdapter, SPUBLISH, dynamic subscription mode)
//                on that Redis Cluster instead
// It prints {"on":"listening","port":N} once ready, then serves on 127.0.0.1:N:
//   POST /auth   Herald's auth proxy. The credential (body.token, else x-immich-user-token, x-immich-session-token,
//                x-api-key, the immich_access_token cookie, or a Bearer Authorization) decides the answer:
//                  ok:<user>[:<session>[:<ttl seconds>]]  200 with that user (shares ["s1"], channels ["room:*"],
//                                                         an on_server_version event), expiring after ttl (3600)
//                  noexp:<user>                           200 without expires_at
//                  bad:*  401        forbidden:*  403        broken:*  500        garbage:*  200 with no user_id
//                  huge:<user>  200 with 2 MiB of padding (past what Herald reads of an answer)
//                anything else 401. Every answer waits the current delay first.
//   POST /__delay {"ms": N}      delay every /auth answer by N ms (a slow backend)
//   GET  /__calls                {"calls": N, "last": <the last /auth body>}
//   POST /__reset                calls back to 0, delay back to 0
//   GET /api/users/me, /api/sessions, /api/server/version   a stand-in for Immich's API as
//                scripts/immich-auth-proxy.js asks it: the credential (x-immich-user-token, x-api-key, ...) decides,
//                ok:<user>[:<session>] is that user in that session, anything else 401.
//   POST /emit {"op": "emit"|"to"|"except"|"toMany", "room": r, "rooms": [..], "event": e, "args": [..]}
//                an unchanged Socket.IO server (socket.io + @socket.io/redis-adapter, pinned in package-lock.json)
//                emitting through Redis: io.emit / io.to(room).emit / io.except(room).emit / io.to([..]).emit;
//                needs redisPort or redisCluster. {"op": "emitter", ...} does the same through
//                @socket.io/redis-emitter (not with redisCluster: the emitter has no sharded form).
//   POST /fetch  the app's io.fetchSockets(): {"sockets": n, "ms": t}, or {"error": e, "ms": t} when the adapter
//                waited for an answer from a server that never gave one (requestsTimeout 2 s)
const http = require("http");

const o = JSON.parse(process.argv[2] || "{}");
const out = (x) => process.stdout.write(JSON.stringify(x) + "\n");
let calls = 0;
let last = null;
let delay = 0;

function credential(body) {
  if (body.token) return body.token;
  const h = body.headers || {};
  for (const k of ["x-immich-user-token", "x-immich-session-token", "x-api-key"]) if (h[k]) return h[k];
  const cookie = /(?:^|;\s*)immich_access_token=([^;]*)/.exec(h.cookie || "");
  if (cookie) return cookie[1];
  const bearer = /^Bearer (.+)$/i.exec(h.authorization || "");
  return bearer ? bearer[1] : "";
}

function answer(body) {
  const c = credential(body);
  const [kind, user, session, ttl] = c.split(":");
  const now = Math.floor(Date.now() / 1000);
  const claims = (extra) => Object.assign({ user_id: user, shares: ["s1"], channels: ["room:*"], devices: ["d1"],
    events: [{ event_type: "on_server_version", data: { major: 1, minor: 2, patch: 3 } }] }, extra);
  switch (kind) {
    case "ok": return [200, claims({ session_id: session || undefined, expires_at: now + Number(ttl || 3600) })];
    case "noexp": return [200, claims({})];
    case "forbidden": return [403, { error: "forbidden" }];
    case "broken": return [500, { error: "broken" }];
    case "garbage": return [200, { hello: "world" }];
    case "huge": return [200, claims({ pad: "x".repeat(2 * 1024 * 1024) })];
    default: return [401, { error: "unauthorized" }];
  }
}

function readBody(req) {
  return new Promise((resolve) => {
    let s = "";
    req.on("data", (d) => (s += d));
    req.on("end", () => resolve(s ? JSON.parse(s) : {}));
  });
}

function reply(res, status, obj) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(obj));
}

let io = null;
let emitter = null;
async function socketIo() {
  if (io || !(o.redisPort || o.redisCluster)) return;
  const { createClient, createCluster } = require("redis");
  const { Server } = require("socket.io");
  if (o.redisCluster) {
    const { createShardedAdapter } = require("@socket.io/redis-adapter");
    const pub = createCluster({ rootNodes: o.redisCluster.map((p) => ({ url: `redis://127.0.0.1:${p}` })) });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io = new Server({ adapter: createShardedAdapter(pub, sub, { channelPrefix: o.adapterKey || "socket.io" }) });
    return;
  }
  const { createAdapter } = require("@socket.io/redis-adapter");
  const { Emitter } = require("@socket.io/redis-emitter");
  const url = `redis://127.0.0.1:${o.redisPort}`;
  const pub = createClient({ url });
  const sub = pub.duplicate();
  const emitterClient = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect(), emitterClient.connect()]);
  io = new Server({ adapter: createAdapter(pub, sub, { key: o.adapterKey || "socket.io", requestsTimeout: 2000 }) });
  emitter = new Emitter(emitterClient, { key: o.adapterKey || "socket.io" });
}

function emit(target, op, body) {
  const args = body.args || [];
  switch (op) {
    case "emit": return target.emit(body.event, ...args);
    case "to": return target.to(body.room).emit(body.event, ...args);
    case "toMany": return target.to(body.rooms).emit(body.event, ...args);
    case "except": return target.except(body.room).emit(body.event, ...args);
    default: throw new Error("unknown op " + op);
  }
}

const server = http.createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    if (req.url.startsWith("/api/")) {
      const [kind, user, session] = credential({ headers: req.headers }).split(":");
      if (kind !== "ok") return reply(res, 401, { message: "Invalid user token" });
      if (req.url === "/api/users/me") return reply(res, 200, { id: user, name: user });
      if (req.url === "/api/sessions") return reply(res, 200, [{ id: "elsewhere", current: false },
        ...(session ? [{ id: session, current: true }] : [])]);
      if (req.url === "/api/server/version") return reply(res, 200, { major: 2, minor: 3, patch: 1 });
      return reply(res, 404, {});
    }
    if (req.url === "/auth" && req.method === "POST") {
      calls++;
      last = body;
      const [status, obj] = answer(body);
      setTimeout(() => reply(res, status, obj), delay);
    } else if (req.url === "/__delay") {
      delay = body.ms || 0;
      reply(res, 200, { delay });
    } else if (req.url === "/__calls") {
      reply(res, 200, { calls, last });
    } else if (req.url === "/__reset") {
      calls = 0;
      last = null;
      delay = 0;
      reply(res, 200, {});
    } else if (req.url === "/fetch") {
      await socketIo();
      const t0 = Date.now();
      try {
        const sockets = await io.timeout(2000).fetchSockets();
        reply(res, 200, { sockets: sockets.length, ms: Date.now() - t0 });
      } catch (e) {
        reply(res, 200, { error: String(e), ms: Date.now() - t0 });
      }
    } else if (req.url === "/emit") {
      await socketIo();
      if (body.op === "emitter") emit(emitter, body.then, body);
      else emit(io, body.op, body);
      reply(res, 200, { emitted: true });
    } else {
      reply(res, 404, {});
    }
  } catch (e) {
    reply(res, 500, { error: String(e) });
  }
});
server.keepAliveTimeout = 60000;
server.listen(o.port || 0, "127.0.0.1", async () => {
  await socketIo();
  out({ on: "listening", port: server.address().port });
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
