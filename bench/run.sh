#!/usr/bin/env bash
# Throughput/latency benchmark of @restash/server — on each of its HTTP
# engines, fast and node — against webdis (another HTTP front for Redis) and
# against redis-benchmark (Redis's own ceiling), and,
# with SCENARIOS=cluster, of our server in front of a 3-master Redis Cluster
# against our server in front of one Redis.
#
#   pnpm build && bash bench/run.sh
#
# Method, knobs and the latest figures: bench/README.md.
# Raw outputs land in bench/results/ (gitignored); the summary is printed and
# written to bench/results/latest.json.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CLI=${CLI:-"$ROOT/packages/server/dist/cli.js"}   # the build measured (ours-fast, ours-node)
RESULTS="$BENCH_DIR/results"
RAW="$RESULTS/raw"

# ---- knobs (environment) -----------------------------------------------------
DURATION=${DURATION:-10s}          # measured wrk run, per target per round
WARMUP=${WARMUP:-2s}               # discarded wrk run just before each measured one
FIRST_WARMUPS=${FIRST_WARMUPS:-3} # how many such runs in round 1 (see README: the first connections' closes)
ROUNDS=${ROUNDS:-3}                # interleaved rounds; medians are over these
THREADS=${THREADS:-2}              # wrk -t
CONNECTIONS=${CONNECTIONS:-50}     # wrk -c and redis-benchmark -c
export PIPELINE_SIZE=${PIPELINE_SIZE:-100}     # commands per POST /pipeline (read by lua/pipeline-ours.lua)
RB_PIPELINE=${RB_PIPELINE:-16}                 # redis-benchmark -P
RB_REQUESTS_PIPELINED=${RB_REQUESTS_PIPELINED:-5000000}  # -n with -P (~3 s here)
RB_REQUESTS=${RB_REQUESTS:-500000}                       # -n without -P (~3 s here)
SCENARIOS=${SCENARIOS:-get set pipeline}   # also cluster-get cluster-set cluster-pipeline ("cluster" = all three)
CLUSTER_MASTERS=${CLUSTER_MASTERS:-3}          # masters of the cluster (no replicas)
export CLUSTER_KEYS=${CLUSTER_KEYS:-1000}      # cluster-get/-set rotate over key:0..key:N-1 (read by lua/*-keys.lua)
LOAD_CPU=${LOAD_CPU:-0}            # wrk + redis-server
SERVER_CPU=${SERVER_CPU:-1}        # the HTTP server under test (ours or webdis)
RB_CPU=${RB_CPU:-$SERVER_CPU}      # redis-benchmark (see README: it stands in for the server)
WEBDIS_THREADS=${WEBDIS_THREADS:-1}
OURS_LOG_LEVEL=${OURS_LOG_LEVEL:-warn}   # warn: nothing per request, but errors still reach stderr
ENGINES=${ENGINES:-fast node}      # our HTTP engines to measure, each a server of its own (target ours-<engine>)
REF_CLI=${REF_CLI:-}               # another build's dist/cli.js (e.g. an older commit's), measured as target ours-ref
REF_ENGINE=${REF_ENGINE:-fast}     # RESTASH_HTTP_ENGINE of ours-ref (a build older than the fast engine ignores it)
CLUSTER_ENGINE=${CLUSTER_ENGINE:-fast}   # the HTTP engine of both servers in the cluster scenarios
# Node flags of our servers. Each is pinned to one CPU, where the server README's "On one CPU"
# flags are the documented way to run it (the server logs a hint without them); "" = Node's defaults.
OURS_NODE_FLAGS=${OURS_NODE_FLAGS---single-threaded --max-semi-space-size=4}
REF_NODE_FLAGS=${REF_NODE_FLAGS-$OURS_NODE_FLAGS}   # ours-ref's (REF_NODE_FLAGS= with REF_CLI=$CLI measures the defaults)
QUIET_WAIT=${QUIET_WAIT:-30}       # max seconds to wait for the CPUs to go idle before each run (0 = don't)
NOISE_LIMIT=${NOISE_LIMIT:-15}     # a run where other processes took more than this % of a core…
NOISE_RETRIES=${NOISE_RETRIES:-2}  # …is run again, at most this many times (then kept, and flagged)
WIRE=${WIRE:-0}                    # 1: also time every HTTP request at the wire (tcpdump on lo, as root; see README)
WIRE_CPU=${WIRE_CPU:-$SERVER_CPU}  # tcpdump's CPU with WIRE=1
TOKEN=bench-token-of-some-length

log() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[bench] error:\033[0m %s\n' "$*" >&2; exit 1; }

# "cluster" is short for the three cluster scenarios.
expanded=()
for scenario in $SCENARIOS; do
  if [[ $scenario == cluster ]]; then expanded+=(cluster-get cluster-set cluster-pipeline); else expanded+=("$scenario"); fi
done
SCENARIOS="${expanded[*]}"
WANT_CLUSTER=0
[[ " $SCENARIOS " == *" cluster-"* ]] && WANT_CLUSTER=1
((CLUSTER_MASTERS >= 3)) || die "CLUSTER_MASTERS must be at least 3 (redis-cli --cluster create needs 3 masters)"

# wrk wants "10s"; accept a bare number of seconds too.
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
[[ $WARMUP =~ ^[0-9]+$ ]] && WARMUP="${WARMUP}s"
[[ $FIRST_WARMUPS =~ ^[1-9][0-9]*$ ]] || die "FIRST_WARMUPS must be a whole number ≥ 1 (warm-up runs in round 1)"
[[ $WIRE == 0 || $WIRE == 1 ]] || die "WIRE must be 0 or 1"
# tcpdump's CPU is told apart from other work on the two CPUs the figures add up, so it must be on one of them.
[[ $WIRE_CPU == "$LOAD_CPU" || $WIRE_CPU == "$SERVER_CPU" ]] || die "WIRE_CPU must be LOAD_CPU or SERVER_CPU"

# ---- prerequisites -----------------------------------------------------------
# command -> Debian package that provides it
declare -A PKG=([wrk]=wrk [webdis]=webdis [redis-server]=redis-server
  [redis-benchmark]=redis-tools [redis-cli]=redis-tools [taskset]=util-linux [curl]=curl)
((WIRE)) && PKG[tcpdump]=tcpdump
missing=()
for cmd in "${!PKG[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG[$cmd]}")
done
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "missing ${missing[*]}; install them (e.g. sudo apt-get install -y ${missing[*]}) and rerun"
  fi
fi
command -v node >/dev/null || die "node is needed (>= 20)"
[[ -f $CLI ]] || die "$CLI not found: run 'pnpm install && pnpm build' at the repo root first"
[[ -z $REF_CLI || -f $REF_CLI ]] || die "REF_CLI=$REF_CLI not found"
(($(nproc) >= 2)) || die "needs at least 2 CPUs (load generator and server are pinned to different ones)"

# ---- teardown ----------------------------------------------------------------
# Every process we start is recorded here and stopped on any exit, Ctrl-C included.
PIDS=()
FG_PID=   # the wrk / redis-benchmark running right now, if any
CAPTURE_PID=   # the tcpdump of the run being measured (WIRE=1), if any
WORK=$(mktemp -d /tmp/restash-bench.XXXXXX)
cleanup() {
  trap - EXIT INT TERM
  local pid
  [[ -n $FG_PID ]] && { kill -TERM "$FG_PID" 2>/dev/null || true; }
  [[ -n $CAPTURE_PID ]] && { kill -TERM "$CAPTURE_PID" 2>/dev/null || true; }
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Give them a moment to exit cleanly, then make sure.
  for _ in $(seq 30); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---- helpers -----------------------------------------------------------------
# Runs a load generator in the background and waits for it: bash runs a trap
# only once the foreground command is over, but interrupts `wait` at once, so
# Ctrl-C / SIGTERM tear down without waiting out a 10 s wrk run.
run_fg() {
  local rc=0
  "$@" &
  FG_PID=$!
  wait "$FG_PID" || rc=$?
  FG_PID=
  return "$rc"
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# COUNT ports P for cluster nodes, printed space-separated: each with P+10000
# (its cluster bus port) free too, all distinct, none of the TAKEN ports, and
# below the ephemeral range so the bus port stays under 65536.
cluster_ports() { # count taken-ports...
  node -e '
    const net = require("net");
    const [n, ...taken] = process.argv.slice(1).map(Number);
    const used = new Set(taken);
    const free = (port) => new Promise((ok) => {
      const s = net.createServer();
      s.once("error", () => ok(false));
      s.listen(port, "127.0.0.1", () => s.close(() => ok(true)));
    });
    (async () => {
      const ports = [];
      for (let tries = 0; ports.length < n && tries < 1000; tries++) {
        const port = 20000 + Math.floor(Math.random() * 12000);
        if (used.has(port) || used.has(port + 10000)) continue;
        if (!(await free(port)) || !(await free(port + 10000))) continue;
        ports.push(port); used.add(port); used.add(port + 10000);
      }
      if (ports.length < n) process.exit(1);
      console.log(ports.join(" "));
    })();' "$@"
}

# utime+stime of a process (all its threads), in clock ticks. The comm field
# may contain spaces, so cut everything up to ") " first; utime/stime are then
# the 12th and 13th fields.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# utime+stime summed over the Redis processes behind the target being measured:
# MEASURED_REDIS, space-separated pids — the one redis-server by default, the
# cluster's masters for ours-cluster (set for that call: MEASURED_REDIS=… run_wrk …).
MEASURED_REDIS=
redis_ticks() {
  local pid sum=0 pids
  read -ra pids <<<"$MEASURED_REDIS"
  for pid in "${pids[@]}"; do sum=$((sum + $(cpu_ticks "$pid"))); done
  echo "$sum"
}

# CPU counters taken just before and just after a measured run, into SNAP as
# "server redis load busy steal total capture" (clock ticks):
#   server, redis  utime+stime of those processes (/proc/<pid>/stat; redis is
#                  every redis-server behind the target, see MEASURED_REDIS)
#   load           CPU of this shell's finished children, i.e. wrk or
#                  redis-benchmark (bash `times`)
#   busy, steal, total  /proc/stat summed over the CPUs in use; busy minus the
#                  three above and capture is whatever else ran there (other work on the box)
#   capture        utime+stime of the run's tcpdump (WIRE=1), else 0
# Not a $(…) function: `times` in a subshell would start from zero.
SNAP=
snapshot() { # server pid, or - for none
  times >"$WORK/times"
  local server=0 load capture=0
  [[ $1 != - ]] && server=$(cpu_ticks "$1")
  [[ -n $CAPTURE_PID ]] && capture=$(cpu_ticks "$CAPTURE_PID")
  load=$(tail -n1 "$WORK/times" | awk -v hz="$CLK_TCK" '
    function sec(x) { sub(/s$/, "", x); split(x, p, "m"); return p[1] * 60 + p[2] }
    { printf "%d", (sec($1) + sec($2)) * hz + 0.5 }')
  SNAP="$server $(redis_ticks) $load $(awk -v a="cpu$LOAD_CPU" -v b="cpu$SERVER_CPU" '
    # user nice system idle iowait irq softirq steal
    $1 == a || $1 == b { busy += $2 + $3 + $4 + $7 + $8; steal += $9; for (i = 2; i <= 9; i++) total += $i }
    END { print busy, steal, total }' /proc/stat) $capture"
}

# True (0) when other processes took more than NOISE_LIMIT % of a core between
# two snapshots; prints that share.
noisy() { # before after
  local -a a=($1) b=($2)
  local other=$(((b[3] - a[3]) - (b[0] - a[0]) - (b[1] - a[1]) - (b[2] - a[2]) - (b[6] - a[6])))
  local per_cpu=$(((b[5] - a[5]) / CPUS_USED))
  ((per_cpu > 0)) || return 1
  echo $((100 * other / per_cpu))
  ((100 * other > NOISE_LIMIT * per_cpu))
}

# The difference of two snapshots, as a JSON object.
ticks_json() { # before after
  local -a a=($1) b=($2)
  printf '{"server":%d,"redis":%d,"load":%d,"busy":%d,"steal":%d,"total":%d,"capture":%d}' \
    $((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2])) $((b[3] - a[3])) $((b[4] - a[4])) $((b[5] - a[5])) $((b[6] - a[6]))
}

# On a shared machine (a dev box, CI) other work comes and goes. Before each
# measured run, wait (up to QUIET_WAIT s) until the two CPUs are nearly idle
# — our servers are idle then, so anything busy is someone else. Whatever
# still shows up during a run is reported as "other%" by the summary.
wait_quiet() {
  ((QUIET_WAIT > 0)) || return 0
  local deadline=$((SECONDS + QUIET_WAIT)) a b
  while ((SECONDS < deadline)); do
    a=$(awk -v x="cpu$LOAD_CPU" -v y="cpu$SERVER_CPU" '$1 == x || $1 == y { b += $2 + $3 + $4 + $7 + $8 } END { print b }' /proc/stat)
    sleep 0.5
    b=$(awk -v x="cpu$LOAD_CPU" -v y="cpu$SERVER_CPU" '$1 == x || $1 == y { b += $2 + $3 + $4 + $7 + $8 } END { print b }' /proc/stat)
    # busy ticks in 0.5 s; CLK_TCK/20 = 10% of one core
    (((b - a) * 20 <= CLK_TCK)) && return 0
  done
  log "CPUs still busy with other work after ${QUIET_WAIT}s; measuring anyway (see other% in the summary)"
}

wait_for() { # description pid stderr-file command...
  local what=$1 pid=$2 errfile=$3
  shift 3
  for _ in $(seq 100); do
    "$@" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$errfile" >&2
      die "$what exited at startup (above: the end of $errfile)"
    fi
    sleep 0.1
  done
  die "$what did not come up within 10 s (logs in $RAW)"
}

alive_or_die() { # name pid stderr-file
  if ! kill -0 "$2" 2>/dev/null; then
    log "$1 (pid $2) is gone; last lines of its stderr:"
    tail -n 40 "$3" >&2 || true
    die "$1 died during the benchmark"
  fi
}

CLK_TCK=$(getconf CLK_TCK)
# How many distinct CPUs the /proc/stat figures above add up.
CPUS_USED=2
[[ $LOAD_CPU == "$SERVER_CPU" ]] && CPUS_USED=1

rm -rf "$RAW" && mkdir -p "$RAW"
RUNS="$RAW/runs.jsonl"
: >"$RUNS"

# ---- start the stack ---------------------------------------------------------
REDIS_PORT=$(free_port)
WEBDIS_PORT=$(free_port)
# The kernel may hand out a just-freed port again: every port must be distinct.
while [[ $WEBDIS_PORT == "$REDIS_PORT" ]]; do WEBDIS_PORT=$(free_port); done
TAKEN_PORTS=" $REDIS_PORT $WEBDIS_PORT "
distinct_port() {
  local port
  port=$(free_port)
  while [[ $TAKEN_PORTS == *" $port "* ]]; do port=$(free_port); done
  TAKEN_PORTS+="$port "
  echo "$port"
}
# Never the shared Redis on 6379: our own, no persistence, so disk I/O is not measured.
log "redis-server on 127.0.0.1:$REDIS_PORT (CPU $LOAD_CPU)"
taskset -c "$LOAD_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
  --appendonly no --dir "$WORK" --daemonize no >"$RAW/redis.log" 2>&1 &
REDIS_PID=$!; PIDS+=("$REDIS_PID")
MEASURED_REDIS=$REDIS_PID
wait_for redis-server "$REDIS_PID" "$RAW/redis.log" redis-cli -p "$REDIS_PORT" ping

# webdis.json format: /etc/webdis/webdis.json and /usr/share/doc/webdis/README.
# daemonize=false keeps it our child (so $! is its pid); DEBUG is disabled as in
# the packaged config; verbosity 1 = errors and warnings only.
cat >"$WORK/webdis.json" <<EOF
{
  "redis_host": "127.0.0.1",
  "redis_port": $REDIS_PORT,
  "redis_auth": null,
  "http_host": "127.0.0.1",
  "http_port": $WEBDIS_PORT,
  "threads": $WEBDIS_THREADS,
  "daemonize": false,
  "database": 0,
  "acl": [{ "disabled": ["DEBUG"] }],
  "verbosity": 1,
  "logfile": "$RAW/webdis.log"
}
EOF
log "webdis on 127.0.0.1:$WEBDIS_PORT (CPU $SERVER_CPU, $WEBDIS_THREADS thread(s))"
taskset -c "$SERVER_CPU" webdis "$WORK/webdis.json" >"$RAW/webdis.stdout" 2>"$RAW/webdis.stderr" &
WEBDIS_PID=$!; PIDS+=("$WEBDIS_PID")
wait_for webdis "$WEBDIS_PID" "$RAW/webdis.stderr" curl -sf "http://127.0.0.1:$WEBDIS_PORT/PING"

# One server per engine (and one of REF_CLI's build), all pinned to the server CPU: each
# sits idle while another target is measured. The engine is chosen with RESTASH_HTTP_ENGINE,
# which a build without the fast engine ignores (it is all node:http).
declare -A OURS_URL OURS_PID_OF
OURS_TARGETS=()
# One server of ours, in the background, pinned to the server CPU, its output in
# $RAW/<name>.stdout/.stderr; sets LAUNCHED_PID. The rest of the arguments are the CLI's.
launch_ours() { # name engine node-flags cli [cli args...]
  local name=$1 engine=$2
  local -a flags
  read -ra flags <<<"$3"
  shift 3
  log "restash server $name (CPU $SERVER_CPU, HTTP engine $engine, node ${flags[*]:-with its defaults}): ${*:2}"
  RESTASH_HTTP_ENGINE=$engine taskset -c "$SERVER_CPU" node "${flags[@]}" "$@" --token "$TOKEN" \
    --log-level "$OURS_LOG_LEVEL" >"$RAW/$name.stdout" 2>"$RAW/$name.stderr" &
  LAUNCHED_PID=$!; PIDS+=("$LAUNCHED_PID")
}
start_ours() { # target cli engine node-flags
  local target=$1 cli=$2 engine=$3 port pid
  port=$(distinct_port)
  launch_ours "$target" "$engine" "$4" "$cli" --port "$port" --redis "redis://127.0.0.1:$REDIS_PORT"
  pid=$LAUNCHED_PID
  wait_for "restash server $target" "$pid" "$RAW/$target.stderr" curl -sf "http://127.0.0.1:$port/-/health"
  OURS_URL[$target]="http://127.0.0.1:$port"
  OURS_PID_OF[$target]=$pid
  OURS_TARGETS+=("$target")
}
for engine in $ENGINES; do
  [[ $engine == fast || $engine == node ]] || die "unknown engine '$engine' in ENGINES (fast, node)"
  start_ours "ours-$engine" "$CLI" "$engine" "$OURS_NODE_FLAGS"
done
[[ $REF_ENGINE == fast || $REF_ENGINE == node ]] || die "unknown REF_ENGINE '$REF_ENGINE' (fast, node)"
[[ -n $REF_CLI ]] && start_ours ours-ref "$REF_CLI" "$REF_ENGINE" "$REF_NODE_FLAGS"
((${#OURS_TARGETS[@]})) || die "ENGINES is empty and no REF_CLI: nothing of ours to measure"
# The cluster scenarios compare ours on one Redis with ours on the cluster: one engine for both.
if [[ -z ${OURS_URL[ours-$CLUSTER_ENGINE]:-} ]]; then
  [[ " $SCENARIOS " == *" cluster-"* ]] && start_ours "ours-$CLUSTER_ENGINE" "$CLI" "$CLUSTER_ENGINE" "$OURS_NODE_FLAGS"
fi
OURS=${OURS_URL[ours-$CLUSTER_ENGINE]:-${OURS_URL[${OURS_TARGETS[0]}]}}
OURS_PID=${OURS_PID_OF[ours-$CLUSTER_ENGINE]:-${OURS_PID_OF[${OURS_TARGETS[0]}]}}
OURS_STDERR="$RAW/ours-$CLUSTER_ENGINE.stderr"
WEBDIS="http://127.0.0.1:$WEBDIS_PORT"
AUTH="Authorization: Bearer $TOKEN"

# ---- the cluster (only for the cluster-* scenarios) --------------------------
# CLUSTER_MASTERS redis-servers with --cluster-enabled, no replicas (they would
# only copy writes; throughput is what is measured), pinned like the single
# Redis (LOAD_CPU), each in its own directory, no persistence; then a second
# instance of our server with --redis-cluster, pinned like the first (SERVER_CPU).
CLUSTER_PORTS=()
CLUSTER_PIDS=()
OURS_CLUSTER_PID=
OURS_CLUSTER=
# every master answers cluster_state:ok (all 16384 slots served, as it sees them)
cluster_ok() {
  local port
  for port in "${CLUSTER_PORTS[@]}"; do
    redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}
# How many keys matching a pattern each master holds, space-separated.
keys_per_master() { # pattern
  local port counts=()
  for port in "${CLUSTER_PORTS[@]}"; do
    counts+=("$(redis-cli -p "$port" --scan --pattern "$1" | wc -l)")
  done
  echo "${counts[*]}"
}
if ((WANT_CLUSTER)); then
  read -ra CLUSTER_PORTS <<<"$(cluster_ports "$CLUSTER_MASTERS" $TAKEN_PORTS)" ||
    die "found no free ports for the cluster"
  ((${#CLUSTER_PORTS[@]} == CLUSTER_MASTERS)) || die "found no free ports for the cluster"
  log "redis cluster: $CLUSTER_MASTERS masters on 127.0.0.1:${CLUSTER_PORTS[*]} (CPU $LOAD_CPU)"
  for port in "${CLUSTER_PORTS[@]}"; do
    mkdir -p "$WORK/cluster-$port"
    taskset -c "$LOAD_CPU" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --cluster-enabled yes --cluster-config-file nodes.conf --dir "$WORK/cluster-$port" \
      --daemonize no >"$RAW/cluster-$port.log" 2>&1 &
    CLUSTER_PIDS+=("$!"); PIDS+=("$!")
  done
  for i in "${!CLUSTER_PORTS[@]}"; do
    wait_for "cluster node ${CLUSTER_PORTS[$i]}" "${CLUSTER_PIDS[$i]}" "$RAW/cluster-${CLUSTER_PORTS[$i]}.log" \
      redis-cli -p "${CLUSTER_PORTS[$i]}" ping
  done
  nodes=()
  for port in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$RAW/cluster-create.log" 2>&1 ||
    { tail -n 20 "$RAW/cluster-create.log" >&2; die "redis-cli --cluster create failed (above: the end of $RAW/cluster-create.log)"; }
  # The masters learn of each other's slots over the cluster bus; give it time.
  for _ in $(seq 300); do cluster_ok && break; sleep 0.1; done
  cluster_ok || die "the cluster did not reach cluster_state:ok on every master within 30 s (logs in $RAW)"

  TAKEN_PORTS+="${CLUSTER_PORTS[*]} "
  OURS_CLUSTER_PORT=$(distinct_port)
  seeds=$(printf 'redis://%s,' "${nodes[@]}")
  launch_ours ours-cluster "$CLUSTER_ENGINE" "$OURS_NODE_FLAGS" "$CLI" --port "$OURS_CLUSTER_PORT" --redis-cluster "${seeds%,}"
  OURS_CLUSTER_PID=$LAUNCHED_PID
  wait_for "restash server (cluster)" "$OURS_CLUSTER_PID" "$RAW/ours-cluster.stderr" \
    curl -sf "http://127.0.0.1:$OURS_CLUSTER_PORT/-/health"
  OURS_CLUSTER="http://127.0.0.1:$OURS_CLUSTER_PORT"
fi

# ---- preflight: each request answers what we expect --------------------------
# wrk only checks status codes, so make sure the bodies are right once.
expect() { # description expected actual
  [[ $3 == "$2" ]] || die "preflight $1: expected $2, got: $3"
}
for target in "${OURS_TARGETS[@]}"; do
  url=${OURS_URL[$target]}
  expect "$target SET" '{"result":"OK"}' "$(curl -s -H "$AUTH" -d '["SET","foo","bar"]' "$url/")"
  expect "$target GET" '{"result":"bar"}' "$(curl -s -H "$AUTH" "$url/get/foo")"
done
expect "webdis SET" '{"SET":[true,"OK"]}' "$(curl -s -d 'SET/foo/bar' "$WEBDIS/")"
expect "webdis GET" '{"GET":"bar"}' "$(curl -s "$WEBDIS/GET/foo")"
# The same body as lua/pipeline-ours.lua sends: [["SET","k0","v"],…]
pipeline_body=$(seq 0 $((PIPELINE_SIZE - 1)) | awk '{ printf "%s[\"SET\",\"k%d\",\"v\"]", (NR > 1 ? "," : ""), $1 }')
for target in "${OURS_TARGETS[@]}"; do
  oks=$(curl -s -H "$AUTH" -d "[$pipeline_body]" "${OURS_URL[$target]}/pipeline" | grep -o '{"result":"OK"}' | wc -l)
  expect "$target pipeline" "$PIPELINE_SIZE OKs" "$oks OKs"
done

# Cluster scenarios: the same checks against both of our servers, the keys
# key:0…key:N-1 written through each (so cluster-get reads existing values on
# both), and the keys of both workloads must sit on every master — otherwise
# the cluster would be one busy node and the comparison meaningless.
CLUSTER_KEYS_PER_MASTER=
PIPELINE_KEYS_PER_MASTER=
if ((WANT_CLUSTER)); then
  keys_body=$(seq 0 $((CLUSTER_KEYS - 1)) | awk '{ printf "%s[\"SET\",\"key:%d\",\"bar\"]", (NR > 1 ? "," : ""), $1 }')
  for target in ours-single ours-cluster; do
    url=$OURS; [[ $target == ours-cluster ]] && url=$OURS_CLUSTER
    oks=$(curl -s -H "$AUTH" -d "[$keys_body]" "$url/pipeline" | grep -o '{"result":"OK"}' | wc -l)
    expect "$target populating key:0…key:$((CLUSTER_KEYS - 1))" "$CLUSTER_KEYS OKs" "$oks OKs"
    expect "$target GET" '{"result":"bar"}' "$(curl -s -H "$AUTH" "$url/get/key:$((CLUSTER_KEYS - 1))")"
    expect "$target SET" '{"result":"OK"}' "$(curl -s -H "$AUTH" -d '["SET","key:0","bar"]' "$url/")"
    oks=$(curl -s -H "$AUTH" -d "[$pipeline_body]" "$url/pipeline" | grep -o '{"result":"OK"}' | wc -l)
    expect "$target pipeline" "$PIPELINE_SIZE OKs" "$oks OKs"
  done
  # Read from the masters themselves, not through our server.
  expect "cluster GET key:$((CLUSTER_KEYS - 1)) (redis-cli -c)" bar \
    "$(redis-cli -c -p "${CLUSTER_PORTS[0]}" get "key:$((CLUSTER_KEYS - 1))")"
  CLUSTER_KEYS_PER_MASTER=$(keys_per_master 'key:*')
  PIPELINE_KEYS_PER_MASTER=$(keys_per_master 'k[0-9]*')
  log "keys per master: key:* $CLUSTER_KEYS_PER_MASTER; pipeline k0…k$((PIPELINE_SIZE - 1)) $PIPELINE_KEYS_PER_MASTER"
  for n in $CLUSTER_KEYS_PER_MASTER $PIPELINE_KEYS_PER_MASTER; do
    ((n > 0)) || die "a cluster master holds none of the benchmark's keys; the workload would not spread"
  done
fi

# ---- measuring ---------------------------------------------------------------
# WIRE=1: tcpdump on the loopback, pinned to WIRE_CPU, keeps the packets that
# carry bytes to or from the target's port, headers only, for the measured run
# alone; bench/wire.mjs then times each request from wrk's write to the
# server's answer (see README, Method).
start_capture() { # port pcap-file
  rm -f "$2"
  taskset -c "$WIRE_CPU" tcpdump -i lo -n -s 96 -B 65536 -w "$2" \
    "tcp port $1 and (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) != 0" 2>"$2.err" &
  CAPTURE_PID=$!
  wait_for "tcpdump (WIRE=1 needs root)" "$CAPTURE_PID" "$2.err" grep -q 'listening on' "$2.err"
}
stop_capture() {
  # tcpdump takes packets from the kernel's ring a block at a time, a block once
  # full or 1 s old: stopped sooner, it would lose the last ones.
  sleep 1.2
  kill -INT "$CAPTURE_PID" 2>/dev/null || true
  wait "$CAPTURE_PID" 2>/dev/null || true
  CAPTURE_PID=
}
# One wrk run: warm-up (discarded, lets V8 and the connection pools settle),
# then the measured run with CPU counters read just around it.
run_wrk() { # round scenario target pid stderr-file url lua [extra wrk args...]
  local round=$1 scenario=$2 target=$3 pid=$4 errfile=$5 url=$6 lua=$7
  shift 7
  local out="$RAW/r$round-$scenario-$target.txt"
  local wrk=(taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" --latency -s "$BENCH_DIR/lua/$lua" "$@" "$url")
  log "round $round · $scenario · $target"
  local warmups=1 i
  ((round == 1)) && warmups=$FIRST_WARMUPS
  for ((i = 0; i < warmups; i++)); do run_fg "${wrk[@]}" -d"$WARMUP" >/dev/null; done
  alive_or_die "$target" "$pid" "$errfile"
  local before attempt share port pcap="$WORK/capture.pcap"
  port=${url#*://*:}
  port=${port%%/*}
  for ((attempt = 1; ; attempt++)); do
    wait_quiet
    ((WIRE)) && start_capture "$port" "$pcap"
    snapshot "$pid"; before=$SNAP
    run_fg "${wrk[@]}" -d"$DURATION" >"$out" 2>&1
    alive_or_die "$target" "$pid" "$errfile"
    snapshot "$pid"
    ((WIRE)) && stop_capture
    share=$(noisy "$before" "$SNAP") || break
    ((attempt <= NOISE_RETRIES)) || { log "  other processes took ${share}% of a core again; keeping this run"; break; }
    log "  other processes took ${share}% of a core during the run; running it again"
  done
  local json cmds=1
  json=$(sed -n 's/^BENCH_JSON //p' "$out")
  [[ -n $json ]] || die "no result line in $out"
  if [[ $scenario == pipeline || $scenario == cluster-pipeline ]]; then cmds=$PIPELINE_SIZE; fi
  local wire=null dropped
  if ((WIRE)); then
    wire=$(node "$BENCH_DIR/wire.mjs" "$pcap" "$port") || die "could not read the capture of $target"
    dropped=$(grep -o '[0-9]* packets\? dropped by kernel' "$pcap.err" | grep -o '^[0-9]*' || echo 0)
    wire="${wire%\}},\"dropped\":${dropped:-0}}"
    rm -f "$pcap" "$pcap.err"
  fi
  printf '{"round":%d,"scenario":"%s","target":"%s","tool":"wrk","attempts":%d,"commands_per_request":%d,"wrk":%s,"ticks":%s,"wire":%s}\n' \
    "$round" "$scenario" "$target" "$attempt" "$cmds" "$json" "$(ticks_json "$before" "$SNAP")" "$wire" >>"$RUNS"
}

# redis-benchmark SET, with and without pipelining; --csv rather than -q: the
# same ops/s, plus p50/p99 for the table.
run_rb() { # round target pipeline requests
  local round=$1 target=$2 pipeline=$3 requests=$4
  local out="$RAW/r$round-pipeline-$target.csv"
  log "round $round · pipeline · $target"
  local before t0 t1 attempt share
  for ((attempt = 1; ; attempt++)); do
    wait_quiet
    snapshot -; before=$SNAP; t0=$(date +%s%N)
    run_fg taskset -c "$RB_CPU" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t set -P "$pipeline" \
      -c "$CONNECTIONS" -n "$requests" --csv >"$out" 2>&1
    t1=$(date +%s%N); snapshot -
    share=$(noisy "$before" "$SNAP") || break
    ((attempt <= NOISE_RETRIES)) || { log "  other processes took ${share}% of a core again; keeping this run"; break; }
    log "  other processes took ${share}% of a core during the run; running it again"
  done
  local test rps avg min p50 p95 p99 max
  IFS=, read -r test rps avg min p50 p95 p99 max < <(grep '^"SET"' "$out" | tr -d '"')
  [[ -n ${rps:-} ]] || die "no result line in $out"
  printf '{"round":%d,"scenario":"pipeline","target":"%s","tool":"redis-benchmark","attempts":%d,"commands_per_request":1,"rb":{"requests":%d,"pipeline":%d,"rps":%s,"p50_ms":%s,"p99_ms":%s,"wall_ns":%d},"ticks":%s}\n' \
    "$round" "$target" "$attempt" "$requests" "$pipeline" "$rps" "$p50" "$p99" $((t1 - t0)) \
    "$(ticks_json "$before" "$SNAP")" >>"$RUNS"
}

log "rounds=$ROUNDS duration=$DURATION warmup=$WARMUP (×$FIRST_WARMUPS in round 1) wrk -t$THREADS -c$CONNECTIONS scenarios: $SCENARIOS"
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# What was measured: the tree may move on during a run, so note it now.
GIT_HEAD=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$(git -C "$ROOT" status --porcelain -- packages 2>/dev/null | wc -l)
# Interleaved: within each round every target runs once, ours first (each
# engine) then the other, so slow drift of the machine (steal, thermal, noisy
# neighbours) hits every target alike instead of one target's whole block.
run_ours() { # round scenario path lua
  local target
  for target in "${OURS_TARGETS[@]}"; do
    run_wrk "$1" "$2" "$target" "${OURS_PID_OF[$target]}" "$RAW/$target.stderr" "${OURS_URL[$target]}$3" "$4" -H "$AUTH"
  done
}
for ((round = 1; round <= ROUNDS; round++)); do
  for scenario in $SCENARIOS; do
    case $scenario in
      get)
        run_ours "$round" get /get/foo get.lua
        run_wrk "$round" get webdis "$WEBDIS_PID" "$RAW/webdis.stderr" "$WEBDIS/GET/foo" get.lua
        ;;
      set)
        run_ours "$round" set / set-ours.lua
        run_wrk "$round" set webdis "$WEBDIS_PID" "$RAW/webdis.stderr" "$WEBDIS/" set-webdis.lua
        ;;
      pipeline)
        run_ours "$round" pipeline /pipeline pipeline-ours.lua
        run_rb "$round" "redis-benchmark-P$RB_PIPELINE" "$RB_PIPELINE" "$RB_REQUESTS_PIPELINED"
        run_rb "$round" redis-benchmark-P1 1 "$RB_REQUESTS"
        ;;
      # ours on one Redis, then ours on the cluster, with the same requests
      cluster-get)
        run_wrk "$round" cluster-get ours-single "$OURS_PID" "$OURS_STDERR" "$OURS/" get-keys.lua -H "$AUTH"
        MEASURED_REDIS="${CLUSTER_PIDS[*]}" run_wrk "$round" cluster-get ours-cluster "$OURS_CLUSTER_PID" \
          "$RAW/ours-cluster.stderr" "$OURS_CLUSTER/" get-keys.lua -H "$AUTH"
        ;;
      cluster-set)
        run_wrk "$round" cluster-set ours-single "$OURS_PID" "$OURS_STDERR" "$OURS/" set-keys.lua -H "$AUTH"
        MEASURED_REDIS="${CLUSTER_PIDS[*]}" run_wrk "$round" cluster-set ours-cluster "$OURS_CLUSTER_PID" \
          "$RAW/ours-cluster.stderr" "$OURS_CLUSTER/" set-keys.lua -H "$AUTH"
        ;;
      cluster-pipeline)
        run_wrk "$round" cluster-pipeline ours-single "$OURS_PID" "$OURS_STDERR" "$OURS/pipeline" \
          pipeline-ours.lua -H "$AUTH"
        MEASURED_REDIS="${CLUSTER_PIDS[*]}" run_wrk "$round" cluster-pipeline ours-cluster "$OURS_CLUSTER_PID" \
          "$RAW/ours-cluster.stderr" "$OURS_CLUSTER/pipeline" pipeline-ours.lua -H "$AUTH"
        ;;
      *) die "unknown scenario '$scenario' (get, set, pipeline, cluster-get, cluster-set, cluster-pipeline, cluster)" ;;
    esac
  done
done

# ---- summary -----------------------------------------------------------------
cat >"$RAW/meta.json" <<EOF
{
  "started": "$STARTED",
  "finished": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "clk_tck": $CLK_TCK,
  "cpus_used": $CPUS_USED,
  "config": {
    "duration": "$DURATION", "warmup": "$WARMUP", "first_warmups": $FIRST_WARMUPS, "rounds": $ROUNDS,
    "wrk_threads": $THREADS, "connections": $CONNECTIONS,
    "pipeline_size": $PIPELINE_SIZE, "rb_pipeline": $RB_PIPELINE,
    "rb_requests_pipelined": $RB_REQUESTS_PIPELINED, "rb_requests": $RB_REQUESTS,
    "load_cpu": $LOAD_CPU, "server_cpu": $SERVER_CPU, "rb_cpu": $RB_CPU,
    "webdis_threads": $WEBDIS_THREADS, "ours_log_level": "$OURS_LOG_LEVEL",
    "engines": "$ENGINES", "ref_cli": "$REF_CLI", "ref_engine": "$REF_ENGINE", "cluster_engine": "$CLUSTER_ENGINE",
    "ours_node_flags": "$OURS_NODE_FLAGS", "ref_node_flags": "$REF_NODE_FLAGS",
    "cluster_masters": $CLUSTER_MASTERS, "cluster_keys": $CLUSTER_KEYS,
    "quiet_wait": $QUIET_WAIT, "noise_limit": $NOISE_LIMIT, "noise_retries": $NOISE_RETRIES,
    "wire": $WIRE, "wire_cpu": $WIRE_CPU
  },
  "cluster": $(if ((WANT_CLUSTER)); then
    printf '{"masters":%d,"replicas":0,"ports":[%s],"keys_per_master":[%s],"pipeline_keys_per_master":[%s]}' \
      "$CLUSTER_MASTERS" "$(IFS=,; echo "${CLUSTER_PORTS[*]}")" "${CLUSTER_KEYS_PER_MASTER// /,}" \
      "${PIPELINE_KEYS_PER_MASTER// /,}"
  else echo null; fi),
  "git": {
    "head": "$GIT_HEAD",
    "uncommitted_files_in_packages": $GIT_DIRTY
  },
  "versions": {
    "node": "$(node --version)",
    "wrk": "$(wrk --version 2>&1 | head -n1 | awk '{print $2}')",
    "webdis": "$(dpkg-query -W -f='${Version}' webdis 2>/dev/null || echo unknown)",
    "redis": "$(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/')"
  }
}
EOF
# Server stderr: anything there (beyond the startup banner on stdout) is worth a look.
for f in "$RAW"/ours*.stderr "$RAW"/webdis.stderr "$RAW"/webdis.log; do
  [[ -s $f ]] && log "note: $f is not empty (see the summary's warnings)"
done
node "$BENCH_DIR/summarize.mjs" "$RAW" "$RESULTS/latest.json"
