#!/usr/bin/env bash
# §11 recovery under a reconnect storm: N clients subscribed on Herald instance A while events are published to
# instance B (two instances on one redis-server the script starts), then every client's connection is dropped at
# once (loadtest `chaos --mode drop`). Each client resumes with `since`; the report says how many recovered from the
# history and how many needed force_sync, how long until all were back, whether any event went missing or came
# twice, and what Redis held (used_memory, history keys) at the end.
#
#   scripts/bench-recovery.sh                       # 10k clients, 100 topics, 200 events/s
#   scripts/bench-recovery.sh --clients 2000 --topics 20 --rate 100 --local   # one instance, in-memory history
#
# Options: --clients N (10000), --topics T (100), --rate EV/S (200), --before D (10s), --after D (10s),
#          --local (one instance with the in-process broker instead of two on Redis), --results DIR.
# Environment: BENCH_SERVER_CPUS / BENCH_CLIENT_CPUS (taskset lists: the measured instance A vs the load client;
# redis-server and instance B run unpinned, as in bench-fanout.sh's herald-redis),
# BENCH_SERVER_JAVA_OPTS (-Xmx2g), HERALD_RECOVERY_BENCH_PORT (18180; B on +1, redis-server on +2), and any
# HERALD_* (e.g. HERALD_HISTORY_SIZE) passed on to the instances.
set -euo pipefail
cd "$(dirname "$0")/.."

clients=10000 topics=100 rate=200 before=10s after=10s local=0
results="target/bench-recovery/$(date -u +%Y%m%dT%H%M%SZ)"
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --before) before=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --local) local=1; shift ;;
    --results) results=$2; shift 2 ;;
    *) echo "bench-recovery: unknown option $1" >&2; exit 2 ;;
  esac
done

[[ -f server/target/herald.jar && -f loadtest/target/herald-loadtest.jar ]] \
  || mvn -B -q install -DskipTests -pl server,loadtest -am
mkdir -p "$results"
port=${HERALD_RECOVERY_BENCH_PORT:-18180}
b_port=$((port + 1)) redis_port=$((port + 2))
java_opts=${BENCH_SERVER_JAVA_OPTS:--Xmx2g}
secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=' | head -c 48)
server_pin=() client_pin=()
[[ -n ${BENCH_SERVER_CPUS:-} ]] && server_pin=(taskset -c "$BENCH_SERVER_CPUS")
[[ -n ${BENCH_CLIENT_CPUS:-} ]] && client_pin=(taskset -c "$BENCH_CLIENT_CPUS")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 240); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "bench-recovery: nothing listens on $1" >&2; exit 1
}

instance() { # id port [broker] [pinned: 1]
  local pin=()
  [[ ${4:-1} == 1 ]] && pin=("${server_pin[@]}")
  env HERALD_BIND=127.0.0.1 HERALD_PORT="$2" HERALD_JWT_SECRET="$secret" HERALD_DRAIN=1s HERALD_INSTANCE_ID="$1" \
    HERALD_BROKER="${3:-local}" "${pin[@]}" java $java_opts -jar server/target/herald.jar > "$results/herald-$1.log" 2>&1 &
  pids+=($!)
  wait_port "$2"
}

publish_port=$port
if [[ $local == 1 ]]; then
  instance a "$port"
else
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$results/redis.log" 2>&1 &
  pids+=($!)
  wait_port "$redis_port"
  instance a "$port" "redis://127.0.0.1:$redis_port"
  instance b "$b_port" "redis://127.0.0.1:$redis_port" 0
  publish_port=$b_port
fi

"${client_pin[@]}" java -jar loadtest/target/herald-loadtest.jar chaos --mode drop --target "ws://127.0.0.1:$port" \
  --clients "$clients" --topics "$topics" --rate "$rate" --before "$before" --after "$after" \
  --recovery-timeout 120s --jwt-secret "$secret" --publish "http://127.0.0.1:$publish_port/api/v1/publish" \
  --report "$results/report" > "$results/loadtest.log" 2>&1 || echo "bench-recovery: the load client exited $?" >&2

{
  echo "clients=$clients topics=$topics rate=$rate broker=$([[ $local == 1 ]] && echo local || echo redis)"
  python3 - "$results/report/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for k in ("lost", "recovered", "recovery_s", "recovered_from_history", "force_sync_needed", "force_syncs",
          "missing_events", "duplicates", "out_of_order", "gaps", "deliveries", "events_published", "ok"):
    if k in s:
        print(f"{k}={s[k]}")
lat = s.get("latency_ms", {})
print(f"latency_p50_ms={lat.get('p50')} latency_p99_ms={lat.get('p99')}")
PY
  if [[ $local == 0 ]]; then
    echo "redis_used_memory=$(redis-cli -p "$redis_port" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')"
    echo "redis_history_keys=$(redis-cli -p "$redis_port" --scan --pattern '{herald:*}:*' | wc -l)"
    echo "redis_keys=$(redis-cli -p "$redis_port" dbsize | tr -d '\r')"
  fi
} | tee "$results/result.txt"
