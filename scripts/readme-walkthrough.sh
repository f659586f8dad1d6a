#!/usr/bin/env bash
# Runs the README's five-minute walk-through exactly as written: every ```bash block whose first line is
# "# terminal N: ..." is extracted from README.md and run the way a reader would run it. Terminal 1 starts
# Herald; the export lines it prints are "pasted" into the others; terminal 2 listens; terminal 3 publishes.
# Passes when the listener printed the published frame. Only the port may change (when 8080 is taken).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=""
listener_pid=""
# Each terminal runs in a session of its own, so that its whole process group (bash, run.sh, java) can go.
cleanup() {
  [[ -n $listener_pid ]] && kill -- "-$listener_pid" 2>/dev/null || true
  [[ -n $server_pid ]] && kill -- "-$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Extract "terminal N" blocks of the walk-through section.
awk -v dir="$work" '
  /^## Five-minute walk-through/ { on = 1; next }
  /^## / && on { on = 0 }
  on && /^```bash/ { inblock = 1; file = ""; next }
  on && /^```/ && inblock { inblock = 0; if (file != "") close(file); next }
  inblock && file == "" && match($0, /^# terminal [0-9]+/) {
    n = substr($0, 12, RLENGTH - 11); file = dir "/terminal" n ".sh"; count[n]++
    if (count[n] > 1) { print "README: terminal " n " appears twice" > "/dev/stderr"; exit 1 }
  }
  inblock && file != "" { print > file }
' README.md
for n in 1 2 3; do
  [[ -f $work/terminal$n.sh ]] || { echo "readme-walkthrough: README has no 'terminal $n' block" >&2; exit 1; }
done

port=8080
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "readme-walkthrough: 8080 is taken, using $port" >&2
  sed -i "s/localhost:8080/localhost:$port/g" "$work"/terminal*.sh
  export HERALD_PORT=$port
fi

# Terminal 1: Herald in development mode.
setsid bash "$work/terminal1.sh" > "$work/out1" 2> "$work/err1" &
server_pid=$!
for _ in $(seq 1 240); do
  grep -q '^export DEMO_PUBLISHER_TOKEN=' "$work/out1" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/err1" >&2; echo "readme-walkthrough: Herald did not start" >&2; exit 1; }
  sleep 0.5
done
grep '^export DEMO_' "$work/out1" > "$work/exports" || { cat "$work/err1" >&2; exit 1; }

# Terminal 2: paste the exports, then listen.
setsid bash -c 'source "$1"; exec bash "$2"' _ "$work/exports" "$work/terminal2.sh" > "$work/out2" 2>&1 &
listener_pid=$!
for _ in $(seq 1 60); do
  grep -q '"type":"subscribed"' "$work/out2" 2>/dev/null && break
  sleep 0.5
done

# Terminal 3: paste the exports, then publish.
( source "$work/exports"; bash "$work/terminal3.sh" ) > "$work/out3" 2>&1

expected='{"type":"file_created","share_id":"demo","data":{"id":"f1","name":"a.txt"},"offset":1}'
for _ in $(seq 1 20); do
  grep -qF "$expected" "$work/out2" && break
  sleep 0.5
done
if grep -qF "$expected" "$work/out2" && grep -q '202 Accepted' "$work/out3"; then
  echo "readme-walkthrough: the listener received $expected"
  echo "readme walk-through: 1 passed, 0 failed"
else
  echo "--- terminal 1 (stderr)"; cat "$work/err1"
  echo "--- terminal 2"; cat "$work/out2"
  echo "--- terminal 3"; cat "$work/out3"
  echo "readme walk-through: 0 passed, 1 failed"
  exit 1
fi
