// The official Socket.IO server as a peer of Herald's fan-out benchmark (scripts/bench-fanout.sh).
//
// One port for everything, as with Herald: Socket.IO (Engine.IO v4) at /socket.io/, and
// POST /api/v1/publish taking Herald's envelope ({"topic","event_type","data",...}) or a batch
// ({"events":[...]}) with no auth, answering 202 {"accepted":n}. A client joins the room named by the
// `topic` query parameter of its handshake; each event becomes io.to(topic).emit(event_type, data),
// which Socket.IO encodes once for the whole room. Per-message compression is off, as on every server
// compared.
//
//   npm ci && node server.js [port]        (or PORT=..., default 8081; BIND=..., default 127.0.0.1)
'use strict';

const http = require('node:http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || process.env.PORT || 8081);
const bind = process.env.BIND || '127.0.0.1';
const PUBLISH_PATH = '/api/v1/publish';
const MAX_BODY = 4 * 1024 * 1024; // §3's batch limit, so the same load fits every server

function reply(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function badRequest(res, message) {
  reply(res, 400, { error: { code: 'invalid_request', message } });
}

/** Validates one envelope; returns an error message or null. */
function invalid(event, where) {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return `${where}: must be an object`;
  if (typeof event.topic !== 'string' || event.topic === '') return `${where}: topic is required`;
  if (typeof event.event_type !== 'string' || event.event_type === '') return `${where}: event_type is required`;
  return null;
}

// Socket.IO's attach() keeps this listener for every request outside /socket.io/.
const httpServer = http.createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  if (path !== PUBLISH_PATH) {
    reply(res, 404, { error: { code: 'not_found', message: 'no such path' } });
    return;
  }
  if (req.method !== 'POST') {
    reply(res, 405, { error: { code: 'method_not_allowed', message: 'use POST' } });
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      reply(res, 413, { error: { code: 'too_large', message: 'body too large' } });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      badRequest(res, 'malformed JSON');
      return;
    }
    const batch = body !== null && typeof body === 'object' && Array.isArray(body.events);
    const events = batch ? body.events : [body];
    if (events.length === 0) {
      badRequest(res, 'events is empty');
      return;
    }
    for (let i = 0; i < events.length; i++) { // a batch is validated whole before any of it is published
      const error = invalid(events[i], batch ? `events[${i}]` : 'event');
      if (error) {
        badRequest(res, error);
        return;
      }
    }
    for (const e of events) {
      if (e.data === undefined) io.to(e.topic).emit(e.event_type);
      else io.to(e.topic).emit(e.event_type, e.data);
    }
    reply(res, 202, { accepted: events.length });
  });
});

const io = new Server(httpServer, {
  // PEER_DEFLATE=1 (bench-fanout.sh --deflate): RFC 7692 for clients that offer it, threshold 0 so every event
  // is compressed, as Herald compresses every event frame
  perMessageDeflate: process.env.PEER_DEFLATE === '1' ? { threshold: 0 } : false,
  httpCompression: false,
  serveClient: false,
  cors: { origin: '*' },
});

io.on('connection', (socket) => {
  const topic = socket.handshake.query.topic;
  if (typeof topic === 'string' && topic !== '') socket.join(topic);
});

httpServer.listen(port, bind, () => {
  console.log(`socket.io ${require('socket.io/package.json').version} peer listening on ${bind}:${port} ` +
    `(node ${process.version}), Socket.IO /socket.io/?topic=T, publish ${PUBLISH_PATH} on the same port`);
});

function stop() {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
