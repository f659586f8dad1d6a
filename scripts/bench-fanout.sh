#!/usr/bin/env bash
# The side-by-side fan-out benchmark: runs the same scenarios, one server at a time, against Herald, the
# official Socket.IO server (node), netty-socketio and a bare Netty WebSocket server (the ceiling), all
# driven by loadtest/target/herald-loadtest.jar, and writes docs/benchmarks.md.
#
# For every server x scenario it starts the server fresh, runs the load client, and over the measured window
# reads the server's CPU time (utime+stime in /proc/PID/stat, / CLK_TCK) and RSS (/proc/PID/status), and the
# load client's CPU the same way (per thread too, to tell when the client was the bottleneck).
#
#   scripts/bench-fanout.sh                 # the full scenarios (about 30 s of load each, plus connecting)
#   scripts/bench-fanout.sh --quick         # small versions of the same, for a smoke run
#   scripts/bench-fanout.sh --servers herald,bare --only fanout-10k --duration 60s
#   scripts/bench-fanout.sh --scenario 'wide=fanout,5000,50,200' --only wide
#
# Options:
#   --quick                 shrink every scenario (clients, topics, rate) and the duration to 5s
#   --servers LIST          comma list of herald,socketio,netty-socketio,bare,herald-redis (default: the first
#                           four). herald-redis is Herald as two instances on one Redis (a redis-server the
#                           script starts): clients on instance A, events published over HTTP to instance B, so
#                           every event crosses B -> Redis -> A; compare it with herald for the cost of the hop.
#   --only LIST             comma list of scenario names to run (default: all defined)
#   --scenario NAME=MODE,CLIENTS,TOPICS,RATE   define or redefine a scenario (MODE: fanout|connections|chaos)
#   --duration D            measured duration passed to the load client (default 30s; --quick 5s)
#   --payload BYTES         event payload size (default 256)
#   --deflate               fanout and connections: the load client offers permessage-deflate (RFC 7692) as browsers do, and the
#                           Socket.IO peer accepts it (perMessageDeflate, threshold 0); summary.json gives bytes on
#                           the wire per delivery
#   --stalled PCT           fanout: that share of the clients stop reading for 8 s when the measured window opens
#                           (slow consumers, §8.3); latency and deliveries are the other clients', and summary.json
#                           says how many stalled clients got force_sync and 4408
#   --stall-for D           how long --stalled clients stop reading (default 8s); longer than --duration keeps their
#                           catching up (the load client reading their backlog) out of the measured window
#   --herald-dialect D      how the load client speaks to Herald (and herald-redis): realtime (default),
#                           channels (§6 /ws), sync, or socketio (§7, the peers' dialect: the same clients
#                           against Herald, Socket.IO and netty-socketio)
#   --warmup D              fanout: publish this long before the measured duration, and leave it out of the
#                           latency figures and the CPU window (default 30s, so the JIT has compiled the hot
#                           path: with one server core, 10s left topics-1k compiling hundreds of methods well into
#                           the window; --quick 0s; --warmup 0s measures the cold start)
#   --results DIR           where runs are kept (default target/bench-fanout/<UTC time>)
#   --report FILE           the Markdown written at the end (default docs/benchmarks.md; '-' for none)
#
# Environment: HERALD_BENCH_PORT (18080), SOCKETIO_BENCH_PORT (18081), NETTY_SOCKETIO_BENCH_PORT (18082),
# BARE_BENCH_PORT (18083), HERALD_REDIS_BENCH_PORT (18084; instance B on +1, redis-server on +2);
# BENCH_SERVER_JAVA_OPTS (default -Xmx2g, the same for every Java server);
# BENCH_SERVER_CPUS / BENCH_CLIENT_CPUS (taskset CPU lists to pin server and load client apart; by default,
# with 2 or more cores, the first half of them for the server and the rest for the client, so the server's CPU
# is not the load client's contention; BENCH_PIN=off shares every core);
# LOADTEST_CMD (default "java -jar loadtest/target/herald-loadtest.jar"; a stub can stand in for tests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

argv=("$@")
quick=0
servers="herald,socketio,netty-socketio,bare"
only=""
duration=""
payload=256
warmup=""
stalled=0
stall_for=
deflate=0
herald_dialect=realtime
results=""
report="docs/benchmarks.md"

# Scenarios: MODE,CLIENTS,TOPICS,RATE (events/s over all topics). Quick versions below.
declare -A scenario=(
  [fanout-10k]="fanout,10000,1,10"          # 10k subscribers on one topic, 10 events/s
  [topics-1k]="fanout,10000,1000,1000"      # 1k topics x 10 subscribers, 1k events/s
  [burst-1k]="fanout,1000,1,200"            # 1k subscribers, 200 events/s: several frames per syscall (coalescing)
  [idle-20k]="connections,20000,0,0"        # 20k idle connections: memory per connection
  [reconnect-10k]="chaos,10000,0,0"         # 10k clients reconnecting at once
)
declare -A quick_scenario=(
  [fanout-10k]="fanout,200,1,10"
  [topics-1k]="fanout,200,20,100"
  [burst-1k]="fanout,100,1,50"
  [idle-20k]="connections,500,0,0"
  [reconnect-10k]="chaos,200,0,0"
)
scenario_order=(fanout-10k topics-1k burst-1k idle-20k reconnect-10k)
declare -A custom=()

die() { echo "bench-fanout: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) quick=1 ;;
    --servers) servers=$2; shift ;;
    --only) only=$2; shift ;;
    --scenario)
      [[ $2 =~ ^([A-Za-z0-9_.-]+)=(fanout|connections|chaos),([0-9]+),([0-9]+),([0-9]+)$ ]] \
        || die "--scenario wants NAME=MODE,CLIENTS,TOPICS,RATE, got '$2'"
      custom[${BASH_REMATCH[1]}]="${BASH_REMATCH[2]},${BASH_REMATCH[3]},${BASH_REMATCH[4]},${BASH_REMATCH[5]}"
      shift ;;
    --duration) duration=$2; shift ;;
    --payload) payload=$2; shift ;;
    --stalled) stalled=$2; shift ;;
    --stall-for) stall_for=$2; shift ;;
    --deflate) deflate=1 ;;
    --warmup) warmup=$2; shift ;;
    --herald-dialect) herald_dialect=$2; shift ;;
    --results) results=$2; shift ;;
    --report) report=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done

if [[ $quick == 1 ]]; then
  for k in "${!quick_scenario[@]}"; do scenario[$k]=${quick_scenario[$k]}; done
  duration=${duration:-5s}
fi
duration=${duration:-30s}
[[ $duration =~ ^([0-9]+)s$ ]] || die "--duration must be whole seconds such as 30s"
duration_s=${BASH_REMATCH[1]}
if [[ -z $warmup ]]; then
  if [[ $quick == 1 ]]; then warmup=0s; else warmup=30s; fi
fi
[[ $warmup =~ ^[0-9]+s$ ]] || die "--warmup must be whole seconds such as 10s"
# Pin server and load client apart by default: unpinned, the load client's threads steal the server's cores and
# the figures measure contention, not the server.
cores=$(nproc)
if [[ ${BENCH_PIN:-on} != off && -z ${BENCH_SERVER_CPUS:-} && -z ${BENCH_CLIENT_CPUS:-} && $cores -ge 2 ]]; then
  half=$(( cores / 2 ))
  BENCH_SERVER_CPUS=$( (( half == 1 )) && echo 0 || echo "0-$(( half - 1 ))" )
  BENCH_CLIENT_CPUS=$( (( cores - half == 1 )) && echo "$half" || echo "$half-$(( cores - 1 ))" )
fi
for k in "${!custom[@]}"; do
  [[ -v "scenario[$k]" ]] || scenario_order+=("$k")
  scenario[$k]=${custom[$k]}
done
if [[ -n $only ]]; then
  IFS=, read -r -a scenario_order <<< "$only"
  for s in "${scenario_order[@]}"; do [[ -v "scenario[$s]" ]] || die "no scenario '$s'"; done
fi
IFS=, read -r -a server_list <<< "$servers"

declare -A port=(
  [herald]=${HERALD_BENCH_PORT:-18080}
  [socketio]=${SOCKETIO_BENCH_PORT:-18081}
  [netty-socketio]=${NETTY_SOCKETIO_BENCH_PORT:-18082}
  [bare]=${BARE_BENCH_PORT:-18083}
  [herald-redis]=${HERALD_REDIS_BENCH_PORT:-18084}
)
redis_b_port=$(( ${port[herald-redis]} + 1 ))   # instance B of herald-redis, where events are published
redis_port=$(( ${port[herald-redis]} + 2 ))     # its redis-server
[[ $herald_dialect =~ ^(realtime|channels|sync|socketio)$ ]] || die "--herald-dialect must be realtime, channels, sync or socketio"
declare -A dialect=([herald]=$herald_dialect [socketio]=socketio [netty-socketio]=socketio [bare]=raw [herald-redis]=$herald_dialect)
for s in "${server_list[@]}"; do [[ -v "port[$s]" ]] || die "no server '$s' (herald, socketio, netty-socketio, bare, herald-redis)"; done

jwt_secret="bench-fanout-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" # >= 32 bytes, HS256
server_java_opts=${BENCH_SERVER_JAVA_OPTS:--Xmx2g}
read -r -a loadtest_cmd <<< "${LOADTEST_CMD:-java -jar loadtest/target/herald-loadtest.jar}"
clk_tck=$(getconf CLK_TCK)
results=${results:-target/bench-fanout/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$results"
results=$(cd "$results" && pwd)

# 20k sockets on each side of loopback need more descriptors than the usual 1024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)

# ---- processes: everything started here is tracked and stopped on exit -------------------------------
declare -a live_pids=()
cleanup() {
  local pid
  for pid in "${live_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${live_pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  live_pids=()
}
trap cleanup EXIT
trap 'echo "bench-fanout: interrupted" >&2; exit 130' INT TERM

forget() { local p keep=(); for p in "${live_pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; live_pids=("${keep[@]}"); }

# Stops one process: TERM, up to $2 seconds, then KILL.
stop_pid() {
  local pid=$1 grace=${2:-15}
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

pin() { if [[ -n ${BENCH_SERVER_CPUS:-} ]]; then echo "taskset -c $BENCH_SERVER_CPUS "; fi; }

# The command that starts a server, as words; printed into the report as it ran.
server_command() {
  local name=$1 p=${port[$1]}
  case $name in
    herald) echo "env HERALD_BIND=127.0.0.1 HERALD_PORT=$p HERALD_JWT_SECRET=\$SECRET HERALD_DRAIN=1s $(pin)java $server_java_opts -jar server/target/herald.jar" ;;
    socketio) echo "env BIND=127.0.0.1 PEER_DEFLATE=$deflate $(pin)node bench/peers/socketio/server.js $p" ;;
    netty-socketio) echo "$(pin)java $server_java_opts -cp bench/target/herald-bench.jar io.herald.bench.peers.NettySocketIoPeer $p 127.0.0.1" ;;
    bare) echo "$(pin)java $server_java_opts -cp bench/target/herald-bench.jar io.herald.bench.peers.BareNettyPeer $p 127.0.0.1" ;;
    herald-redis) herald_instance a "$p" ;;
  esac
}

# One Herald instance of herald-redis, on the script's redis-server.
herald_instance() {
  echo "env HERALD_BIND=127.0.0.1 HERALD_PORT=$2 HERALD_JWT_SECRET=\$SECRET HERALD_DRAIN=1s HERALD_INSTANCE_ID=$1 HERALD_BROKER=redis://127.0.0.1:$redis_port $(pin)java $server_java_opts -jar server/target/herald.jar"
}

# What herald-redis runs beside the measured server (instance A): redis-server and instance B. Not measured.
extra_pids=()
start_extras() {
  [[ $1 == herald-redis ]] || return 0
  local log=$2 pid
  if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null; then die "port $redis_port is taken (set HERALD_REDIS_BENCH_PORT)"; fi
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$log.redis" 2>&1 &
  pid=$!; live_pids+=("$pid"); extra_pids+=("$pid")
  wait_port "$redis_port" "$pid" "$log.redis" redis-server
  SECRET=$jwt_secret bash -c "exec $(herald_instance b "$redis_b_port")" > "$log.b" 2>&1 &
  pid=$!; live_pids+=("$pid"); extra_pids+=("$pid")
  wait_port "$redis_b_port" "$pid" "$log.b" "herald instance b"
}

stop_extras() {
  local pid
  for pid in "${extra_pids[@]}"; do stop_pid "$pid" 15; done
  extra_pids=()
}

wait_port() {
  local p=$1 pid=$2 log=$3 what=$4
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$log" >&2; die "$what exited during start-up"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  die "$what did not listen on $p within 60 s"
}

# Prerequisites of the servers asked for; builds what is missing (bounded).
prepare() {
  local s need_jar=0 need_bench=0 need_node=0
  if [[ -z ${LOADTEST_CMD:-} && ! -f loadtest/target/herald-loadtest.jar ]]; then
    die "loadtest/target/herald-loadtest.jar is missing (build the loadtest module, or set LOADTEST_CMD)"
  fi
  for s in "${server_list[@]}"; do
    case $s in
      herald) [[ -f server/target/herald.jar ]] || need_jar=1 ;;
      herald-redis) [[ -f server/target/herald.jar ]] || need_jar=1
                    command -v redis-server >/dev/null || die "herald-redis needs redis-server (apt-get install redis-server)" ;;
      netty-socketio|bare) [[ -f bench/target/herald-bench.jar ]] || need_bench=1 ;;
      socketio) [[ -d bench/peers/socketio/node_modules/socket.io ]] || need_node=1 ;;
    esac
  done
  if (( need_jar || need_bench )); then
    echo "bench-fanout: building jars (mvn -DskipTests -Dautobahn.skip=true package) ..." >&2
    timeout 900 mvn -q -B -DskipTests -Dautobahn.skip=true package >&2 || die "build failed"
  fi
  if (( need_node )); then
    echo "bench-fanout: npm ci in bench/peers/socketio ..." >&2
    (cd bench/peers/socketio && timeout 300 npm ci --no-audit --no-fund >&2) || die "npm ci failed"
  fi
}

# Starts a server in the background and waits (at most 60 s) until its port accepts; sets server_pid.
server_pid=""
start_server() {
  local name=$1 log=$2 p=${port[$1]} cmd
  local var=${name^^}
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is taken (set ${var//-/_}_BENCH_PORT)"; fi
  cmd=$(server_command "$name")
  # Every command is "[env VAR=...] [taskset ...] program ...": exec'd, so $! is the server itself.
  SECRET=$jwt_secret bash -c "exec $cmd" > "$log" 2>&1 &
  server_pid=$!
  live_pids+=("$server_pid")
  for _ in $(seq 1 240); do
    kill -0 "$server_pid" 2>/dev/null || { tail -20 "$log" >&2; die "$name exited during start-up"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  tail -20 "$log" >&2
  die "$name did not listen on $p within 60 s"
}

# The load client's arguments for one scenario. fanout is the CLI as specified; connections and chaos take
# the same connection flags (plus --server-pid for the memory figure).
loadtest_args() {
  local name=$1 mode=$2 clients=$3 topics=$4 rate=$5 report_dir=$6 p=${port[$1]}
  local args=("$mode" --target "ws://127.0.0.1:$p" --dialect "${dialect[$name]}" --clients "$clients")
  case $mode in
    fanout) args+=(--topics "$topics" --rate "$rate" --duration "${duration_s}s" --payload "$payload")
            [[ $warmup == 0s ]] || args+=(--warmup "$warmup")
            [[ $stalled == 0 ]] || args+=(--stalled "$stalled")
            [[ -z $stall_for ]] || args+=(--stall-for "$stall_for")
            [[ $deflate == 0 ]] || args+=(--deflate) ;;
    connections) args+=(--duration "${duration_s}s" --server-pid "$server_pid")
                 [[ $warmup == 0s ]] || args+=(--warmup-ramp) # memory per connection, not one-off growth
                 [[ $deflate == 0 ]] || args+=(--deflate) ;;
    chaos) args+=(--mode drop --topics "$(( topics > 0 ? topics : 10 ))" --rate "$(( rate > 0 ? rate : 100 ))"
                  --payload "$payload") ;;
  esac
  [[ $name == herald || $name == herald-redis ]] && args+=(--jwt-secret "$jwt_secret")
  local publish_port=$p
  [[ $name == herald-redis ]] && publish_port=$redis_b_port
  [[ $mode == fanout || $mode == chaos ]] && args+=(--publish "http://127.0.0.1:$publish_port/api/v1/publish")
  args+=(--report "$report_dir")
  printf '%s\n' "${args[@]}"
}

# utime+stime of a process in clock ticks (fields 14 and 15 of /proc/PID/stat, counted after the "(comm)").
cpu_ticks() {
  local line rest
  read -r line < "/proc/$1/stat" || return 1
  rest=${line##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $(( ${12} + ${13} ))
}

# One line per thread: "tid ticks name".
thread_ticks() {
  local t line rest name
  for t in /proc/"$1"/task/*; do
    read -r line < "$t/stat" 2>/dev/null || continue
    name=${line#*(}; name=${name%)*}
    rest=${line##*) }
    # shellcheck disable=SC2086
    set -- $rest
    echo "${t##*/} $(( ${12} + ${13} )) ${name// /_}"
  done
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

established() { ss -Htn state established "( sport = :$1 )" 2>/dev/null | wc -l; }

now_ns() { date +%s%N; }

# Snapshot of server and client at one instant, as JSON-ish lines for bench-report.py.
snapshot() {
  local file=$1 spid=$2 cpid=$3 p=$4
  {
    echo "time_ns $(now_ns)"
    echo "server_ticks $(cpu_ticks "$spid" 2>/dev/null || echo -1)"
    echo "server_rss_kb $(status_kb "$spid" VmRSS)"
    echo "server_hwm_kb $(status_kb "$spid" VmHWM)"
    echo "server_threads $(status_kb "$spid" Threads)"
    echo "connections $(established "$p")"
    if [[ -n $cpid ]] && kill -0 "$cpid" 2>/dev/null; then
      echo "client_ticks $(cpu_ticks "$cpid" 2>/dev/null || echo -1)"
      echo "client_rss_kb $(status_kb "$cpid" VmRSS)"
      thread_ticks "$cpid" | sed 's/^/client_thread /'
    fi
  } > "$file"
}

# One server x scenario.
run_one() {
  local name=$1 scen=$2 mode clients topics rate dir p=${port[$1]}
  IFS=, read -r mode clients topics rate <<< "${scenario[$scen]}"
  dir="$results/$name/$scen"
  mkdir -p "$dir/report"
  echo "bench-fanout: $name / $scen ($mode, $clients clients, $topics topics, $rate ev/s, ${duration_s}s)" >&2
  if (( clients + 200 > fd_limit )); then
    echo "bench-fanout:   warning: $clients connections need more than the $fd_limit file descriptors a process may open here" >&2
  fi

  start_extras "$name" "$dir/server.log"
  start_server "$name" "$dir/server.log"
  sleep 1 # let start-up settle before the baseline
  snapshot "$dir/baseline.snap" "$server_pid" "" "$p"

  local args=()
  mapfile -t args < <(loadtest_args "$name" "$mode" "$clients" "$topics" "$rate" "$dir/report")
  local client_cmd=()
  [[ -n ${BENCH_CLIENT_CPUS:-} ]] && client_cmd+=(taskset -c "$BENCH_CLIENT_CPUS")
  client_cmd+=("${loadtest_cmd[@]}" "${args[@]}")
  {
    if [[ $name == herald-redis ]]; then
      echo "redis: redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly no"
      echo "instance b: $(herald_instance b "$redis_b_port")"
    fi
    echo "server: $(server_command "$name")"
    echo "client: ${client_cmd[*]//$jwt_secret/\$SECRET}"
  } > "$dir/commands.txt"
  printf '{"server":"%s","scenario":"%s","mode":"%s","clients":%s,"topics":%s,"rate":%s,"duration_s":%s,"payload":%s,"port":%s,"clk_tck":%s}\n' \
    "$name" "$scen" "$mode" "$clients" "$topics" "$rate" "$duration_s" "$payload" "$p" "$clk_tck" > "$dir/meta.json"

  local started
  started=$(now_ns)
  "${client_cmd[@]}" > "$dir/loadtest.log" 2>&1 &
  local cpid=$!
  live_pids+=("$cpid")

  # The measured window. chaos: the whole run (the storm is the point). Otherwise from the moment the
  # server holds every client's connection (at most connect_limit seconds) for the load client's duration.
  local connect_limit=$(( 60 + clients / 200 ))
  if [[ $mode != chaos ]]; then
    local deadline=$(( $(date +%s) + connect_limit ))
    while kill -0 "$cpid" 2>/dev/null && (( $(established "$p") < clients )) && (( $(date +%s) < deadline )); do
      sleep 0.5
    done
    (( $(established "$p") >= clients )) || echo "bench-fanout:   only $(established "$p") of $clients connections when the window opened" >&2
    # The load client publishes its warm-up first; the CPU window opens after it, like its latency figures.
    [[ $mode == fanout && $warmup != 0s ]] && sleep "${warmup%s}"
  fi
  snapshot "$dir/start.snap" "$server_pid" "$cpid" "$p"
  cp "$dir/start.snap" "$dir/end.snap"
  local start_conns
  start_conns=$(awk '$1 == "connections" { print $2 }' "$dir/start.snap")
  # The window closes at the last sample (one a second) taken while the load client still ran and, except
  # in chaos, still held its connections: a client that tears down at the end of its duration must not
  # leave its teardown, or a dead client's missing figures, in the window.
  local end_ms limit_ms
  if [[ $mode == chaos ]]; then limit_ms=$(( duration_s + connect_limit )); else limit_ms=$duration_s; fi
  end_ms=$(( $(date +%s%N) / 1000000 + limit_ms * 1000 ))
  while kill -0 "$cpid" 2>/dev/null; do
    local left=$(( end_ms - $(date +%s%N) / 1000000 ))
    (( left > 0 )) || break
    (( left > 1000 )) && left=1000
    sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
    snapshot "$dir/tick.snap" "$server_pid" "$cpid" "$p"
    if grep -q '^client_ticks ' "$dir/tick.snap" && { [[ $mode == chaos ]] \
        || (( $(awk '$1 == "connections" { print $2 }' "$dir/tick.snap") * 10 >= start_conns * 9 )); }; then
      mv "$dir/tick.snap" "$dir/end.snap"
    fi
  done
  rm -f "$dir/tick.snap"

  # The load client finishes its report; bounded, then stopped.
  local wait_limit=$(( $(date +%s) + 120 ))
  while kill -0 "$cpid" 2>/dev/null && (( $(date +%s) < wait_limit )); do sleep 0.2; done
  if kill -0 "$cpid" 2>/dev/null; then
    echo "bench-fanout:   load client still running after its duration + 120 s; stopping it" >&2
    stop_pid "$cpid" 5
  fi
  local rc=0
  wait "$cpid" 2>/dev/null || rc=$?
  forget "$cpid"
  echo "$rc" > "$dir/loadtest.rc"
  echo "$(( ($(now_ns) - started) / 1000000 ))" > "$dir/wall_ms"
  [[ $rc == 0 ]] || echo "bench-fanout:   load client exited $rc (see $dir/loadtest.log)" >&2
  [[ -f $dir/report/summary.json ]] || echo "bench-fanout:   no $dir/report/summary.json" >&2

  stop_server_of "$name"
}

stop_server_of() {
  local grace=10
  [[ $1 == herald* ]] && grace=15 # §8.6 drain (HERALD_DRAIN=1s here) and shutdown
  stop_pid "$server_pid" "$grace"
  server_pid=""
  stop_extras
}

machine_info() {
  {
    echo "cpu $(lscpu | awk -F: '/^Model name/ { sub(/^[ \t]+/, "", $2); print $2; exit }')"
    echo "cores $(nproc)"
    echo "threads_per_core $(lscpu | awk -F: '/^Thread\(s\) per core/ { gsub(/[ \t]/, "", $2); print $2 }')"
    echo "ram_kb $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
    echo "kernel $(uname -sr)"
    echo "java $(java -version 2>&1 | head -1)"
    echo "node $(node --version 2>/dev/null || echo none)"
    echo "date $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "git $(git rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "argv scripts/bench-fanout.sh ${argv[*]}"
    echo "server_cpus ${BENCH_SERVER_CPUS:-all}"
    echo "client_cpus ${BENCH_CLIENT_CPUS:-all}"
    echo "warmup $warmup"
  } > "$results/machine.txt"
}

prepare
machine_info
for scen in "${scenario_order[@]}"; do
  for s in "${server_list[@]}"; do
    run_one "$s" "$scen"
  done
done

if [[ $report != - ]]; then
  python3 scripts/bench-report.py "$results" "$report"
  echo "bench-fanout: wrote $report (runs in $results)" >&2
fi
