// Drives one official socket.io-client for SocketIoClientE2ETest and prints what happens as JSON lines:
//   node sio-client.js '<options JSON>'
// options: { url, path, transports, auth, extraHeaders, query, reconnection, reconnectionDelay }
// Lines: {"on":"open","transport":"..."} (Engine.IO) {"on":"connect","transport":"..."} {"on":"upgrade","transport":"..."} {"on":"event","name":..,"args":[..]}
//        {"on":"connect_error","message":..} {"on":"disconnect","reason":..}
// Stdin lines: "emit <name> <json args>" sends an event; "close-engine" closes the Engine.IO connection as a lost
// network would (the client reconnects; §11 connection state recovery); connect lines tell "recovered".
// It exits when stdin closes (the test is done) or after 60 s.
const { io } = require("socket.io-client");

const o = JSON.parse(process.argv[2]);
const out = (x) => process.stdout.write(JSON.stringify(x) + "\n");
const socket = io(o.url, {
  path: o.path || "/socket.io",
  transports: o.transports || ["polling", "websocket"],
  auth: o.auth,
  extraHeaders: o.extraHeaders,
  query: o.query,
  reconnection: o.reconnection !== false,
  reconnectionDelay: o.reconnectionDelay || 100,
  reconnectionDelayMax: o.reconnectionDelay || 200,
});
socket.io.on("open", () => {
  out({ on: "open", transport: socket.io.engine.transport.name });
  socket.io.engine.on("upgrade", (t) => out({ on: "upgrade", transport: t.name }));
});
socket.on("connect", () => out({ on: "connect", transport: socket.io.engine.transport.name, recovered: socket.recovered }));
socket.on("connect_error", (e) => out({ on: "connect_error", message: e.message }));
socket.on("disconnect", (reason) => out({ on: "disconnect", reason }));
socket.io.on("reconnect_attempt", (n) => out({ on: "reconnect_attempt", n }));
socket.onAny((name, ...args) => out({ on: "event", name, args }));
process.stdin.on("data", (d) => {
  // "emit <name> <json args>" lines let a test send events
  for (const line of d.toString().split("\n")) {
    const m = /^emit (\S+) (.*)$/.exec(line);
    if (m) socket.emit(m[1], ...JSON.parse(m[2]));
    if (line === "close-engine") socket.io.engine.close();
  }
});
process.stdin.on("end", () => {
  // Say goodbye as an app would. Over long-polling the goodbye is a POST still on its way when close() returns,
  // and exiting at once would leave Herald's session to its ping timeout: give it a moment (loopback).
  const polling = socket.io.engine && socket.io.engine.transport && socket.io.engine.transport.name === "polling";
  socket.close();
  if (polling) setTimeout(() => process.exit(0), 300);
  else process.exit(0);
});
setTimeout(() => process.exit(0), 60000);
