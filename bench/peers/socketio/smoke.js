// Smoke client for the Socket.IO peers (node and netty-socketio): connects over WebSocket only,
// joins the room of `topic`, prints every event it receives as `event <name> <json args>`, and exits
// after `count` events or `timeoutMs`.
//
//   node smoke.js http://127.0.0.1:8081 share:s1 [count=1] [timeoutMs=10000]
'use strict';

const { io } = require('socket.io-client');

const [url = 'http://127.0.0.1:8081', topic = 'share:s1', count = '1', timeoutMs = '10000'] = process.argv.slice(2);
let left = Number(count);

const socket = io(url, { transports: ['websocket'], query: { topic }, reconnection: false });
const timer = setTimeout(() => {
  console.log(`timeout: ${left} event(s) not received`);
  process.exit(1);
}, Number(timeoutMs));

socket.on('connect', () => {
  console.log(`connected sid=${socket.id} transport=${socket.io.engine.transport.name} EIO=${require('engine.io-client').protocol}`);
});
socket.on('connect_error', (e) => {
  console.log(`connect_error: ${e.message}`);
  process.exit(1);
});
socket.onAny((event, ...args) => {
  console.log(`event ${event} ${JSON.stringify(args)}`);
  if (--left === 0) {
    clearTimeout(timer);
    socket.close();
    process.exit(0);
  }
});
