#!/usr/bin/env bash
# §12 figures: connects/s through the auth proxy (cold vs warm cache) and Herald's CPU per delivery for a Socket.IO
# app's io.emit through @socket.io/redis-adapter versus Herald's HTTP publish, to the same Socket.IO clients.
# Starts a redis-server, the test backend (server/src/test/node/backend.js: auth proxy + socket.io app with the
# official adapter) and Herald, then runs io.herald.bench.BackendsBench.
#
#   scripts/bench-backends.sh [connections (2000)] [sockets (500)] [events (1000)]
#
# Clients read with the JDK's WebSocket client on one core, slower than Herald writes: HERALD_SEND_BUFFER is
# raised so that none is closed as a slow consumer mid-measurement.
# Environment: BENCH_SERVER_CPUS / BENCH_CLIENT_CPUS (taskset lists: Herald vs everything else),
# BENCH_SERVER_JAVA_OPTS (-Xmx2g), HERALD_BACKENDS_BENCH_PORT (18280; the backend on +1, redis-server on +2).
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-2000} sockets=${2:-500} events=${3:-1000}
[[ -f server/target/herald.jar && -f bench/target/herald-bench.jar ]] || mvn -B -q install -DskipTests -pl server,bench -am
[[ -d server/src/test/node/node_modules/@socket.io/redis-adapter ]] || (cd server/src/test/node && npm ci --no-audit --no-fund)
port=${HERALD_BACKENDS_BENCH_PORT:-18280}
backend_port=$((port + 1)) redis_port=$((port + 2))
server_pin=() client_pin=()
[[ -n ${BENCH_SERVER_CPUS:-} ]] && server_pin=(taskset -c "$BENCH_SERVER_CPUS")
[[ -n ${BENCH_CLIENT_CPUS:-} ]] && client_pin=(taskset -c "$BENCH_CLIENT_CPUS")
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"${client_pin[@]}" redis-server --port "$redis_port" --save '' --appendonly no --dir "$work" > "$work/redis.log" 2>&1 &
pids+=($!)
(cd server/src/test/node && exec "${client_pin[@]}" node backend.js "{\"port\":$backend_port,\"redisPort\":$redis_port}") \
  < <(sleep 1000000) > "$work/backend.log" 2>&1 &
pids+=($!)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
HERALD_PORT=$port HERALD_BIND=127.0.0.1 HERALD_JWT_SECRET=$secret HERALD_BROKER=redis://127.0.0.1:$redis_port \
HERALD_AUTH_PROXY=http://127.0.0.1:$backend_port/auth HERALD_SOCKETIO_ADAPTER=socket.io HERALD_HISTORY_SIZE=0 HERALD_SEND_BUFFER=100000 \
  "${server_pin[@]}" java ${BENCH_SERVER_JAVA_OPTS:--Xmx2g} -jar server/target/herald.jar > "$work/herald.log" 2>&1 &
herald_pid=$!
pids+=($herald_pid)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.2; done
for _ in $(seq 50); do grep -q listening "$work/backend.log" && break; sleep 0.2; done
publisher=$(HERALD_JWT_SECRET=$secret java -jar server/target/herald.jar token --sub bench --roles publisher --ttl 1h)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); herald on ${BENCH_SERVER_CPUS:-any} cpus"
"${client_pin[@]}" java -cp bench/target/herald-bench.jar io.herald.bench.BackendsBench \
  "$port" "$backend_port" "$herald_pid" "$publisher" "$connections" "$sockets" "$events"
