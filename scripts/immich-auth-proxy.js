#!/usr/bin/env node
// Herald's auth proxy (PROTOCOL.md §12) for Immich, with no dependencies (Node 18+):
//   IMMICH_URL=http://immich-server:2283 PORT=3001 node scripts/immich-auth-proxy.js
// Herald POSTs {"endpoint","token","headers","remote_addr"}; this asks Immich who those credentials belong to
// (GET /api/users/me with the same headers), which login session they are (GET /api/sessions, "current"), and
// the server version Immich's own socket sends at connect (on_server_version). It answers
//   200 {"user_id","session_id","events":[{"event_type":"on_server_version","data":{...}}]}
//   401 when Immich refuses the credentials, 502 when Immich cannot be asked (Herald then closes 1013, never 4401).
const http = require("http");

const immich = (process.env.IMMICH_URL || "http://127.0.0.1:2283").replace(/\/$/, "");
const port = Number(process.env.PORT || 3001);
const forwarded = ["authorization", "cookie", "x-immich-user-token", "x-immich-session-token", "x-api-key"];

async function ask(path, headers) {
  const r = await fetch(immich + path, { headers, signal: AbortSignal.timeout(1500) });
  return { status: r.status, body: r.ok ? await r.json() : null };
}

async function check(req) {
  const headers = {};
  for (const h of forwarded) if (req.headers && req.headers[h]) headers[h] = req.headers[h];
  if (req.token && !headers["x-immich-user-token"]) headers["x-immich-user-token"] = req.token; // auth.token
  if (Object.keys(headers).length === 0) return [401, { error: "no credentials" }];
  const me = await ask("/api/users/me", headers);
  if (me.status === 401 || me.status === 403) return [401, { error: "unauthorized" }];
  if (!me.body || !me.body.id) return [502, { error: "immich answered " + me.status }];
  const [sessions, version] = await Promise.all([
    ask("/api/sessions", headers).catch(() => ({ body: null })), // an API key has no session
    ask("/api/server/version", headers).catch(() => ({ body: null })),
  ]);
  const current = Array.isArray(sessions.body) ? sessions.body.find((s) => s.current) : null;
  const answer = { user_id: me.body.id, events: [] };
  if (current) answer.session_id = current.id;
  if (version.body) answer.events.push({ event_type: "on_server_version", data: version.body });
  return [200, answer];
}

http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => { body += d; if (body.length > 65536) req.destroy(); });
  req.on("end", async () => {
    let status = 502;
    let answer = { error: "unavailable" };
    try {
      [status, answer] = await check(JSON.parse(body || "{}"));
    } catch (e) {
      answer = { error: "immich unreachable" };
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
}).listen(port, "0.0.0.0", () => console.log(`immich auth proxy on :${port} for ${immich}`));
