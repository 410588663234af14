#!/usr/bin/env bash
# A/B of the cost of Prometheus metrics on the hot path of @restash/server:
# the same build, one server without metrics (A) and one with --metrics-token
# (B, every request recorded), both in front of one redis-server, measured by
# wrk in interleaved rounds. Prints, per round, req/s and the server's CPU time
# per request (utime+stime from /proc, so it holds up on a machine that other
# processes load, where req/s swings by 2x), and the median B/A ratios.
#
#   pnpm --filter @restash/server build && bash bench/metrics-ab.sh
#
# Knobs: ROUNDS (5), DURATION (5s), CONNECTIONS (50), SCENARIOS ("get set pipeline");
# A_CLI / B_CLI (the cli.js each side runs: compare two builds, e.g. before and
# after a change) and B_ARGS (default: --metrics-token …; empty for a pure build A/B).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLI="$ROOT/packages/server/dist/cli.js"
A_CLI=${A_CLI:-$CLI}
B_CLI=${B_CLI:-$CLI}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-50}
SCENARIOS=${SCENARIOS:-get set pipeline}
TOKEN=bench-token-0123456789
METRICS_TOKEN=bench-metrics-0123456789
B_ARGS=${B_ARGS-"--metrics-token $METRICS_TOKEN"}
WORK=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

for tool in wrk redis-server node curl; do
  command -v "$tool" >/dev/null || { echo "metrics-ab: $tool is missing" >&2; exit 1; }
done
[[ -f $CLI ]] || { echo "metrics-ab: build first (pnpm --filter @restash/server build)" >&2; exit 1; }

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() { for _ in $(seq 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "metrics-ab: $1 did not answer" >&2; exit 1; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" >/dev/null &
pids+=($!)
A_PORT=$(free_port)
B_PORT=$(free_port)
node "$A_CLI" --port "$A_PORT" --redis "redis://127.0.0.1:$REDIS_PORT" --token "$TOKEN" --log-level warn >/dev/null &
A_PID=$!
pids+=($!)
# shellcheck disable=SC2086 # B_ARGS is a list of arguments
node "$B_CLI" --port "$B_PORT" --redis "redis://127.0.0.1:$REDIS_PORT" --token "$TOKEN" --log-level warn \
  $B_ARGS >/dev/null &
B_PID=$!
pids+=($!)
wait_http "http://127.0.0.1:$A_PORT/-/health"
wait_http "http://127.0.0.1:$B_PORT/-/health"
curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$A_PORT/set/foo/bar" >/dev/null

cat >"$WORK/set.lua" <<LUA
wrk.method = "POST"
wrk.body = '["SET","foo","bar"]'
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
node -e '
const cmds = Array.from({ length: 100 }, (_, i) => ["SET", "k" + i, "v"]);
console.log(`wrk.method = "POST"\nwrk.body = ${JSON.stringify(JSON.stringify(cmds))}\nwrk.headers["Authorization"] = "Bearer ${process.argv[1]}"`);
' "$TOKEN" >"$WORK/pipeline.lua"
cat >"$WORK/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Prints "req/s cpu-us-per-request" for one wrk run against a server.
measure() { # port pid scenario
  local path=/get/foo
  [[ $3 == get ]] || path=/
  [[ $3 == pipeline ]] && path=/pipeline
  local before after out
  before=$(cpu_ticks "$2")
  out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/$3.lua" "http://127.0.0.1:$1$path")
  after=$(cpu_ticks "$2")
  local requests rps
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  node -e "console.log('$rps', (($after - $before) * 1e6 / $TICKS / $requests).toFixed(2))"
}
TICKS=$(getconf CLK_TCK)

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for scenario in $SCENARIOS; do
  rps_ratios=()
  cpu_ratios=()
  for round in $(seq "$ROUNDS"); do
    # Alternate which goes first, so that drift in machine load hits both alike.
    if ((round % 2)); then a=$(measure "$A_PORT" "$A_PID" "$scenario"); b=$(measure "$B_PORT" "$B_PID" "$scenario")
    else b=$(measure "$B_PORT" "$B_PID" "$scenario"); a=$(measure "$A_PORT" "$A_PID" "$scenario"); fi
    read -r a_rps a_cpu <<<"$a"
    read -r b_rps b_cpu <<<"$b"
    rps_ratio=$(node -e "console.log(($b_rps/$a_rps).toFixed(4))")
    cpu_ratio=$(node -e "console.log(($b_cpu/$a_cpu).toFixed(4))")
    rps_ratios+=("$rps_ratio")
    cpu_ratios+=("$cpu_ratio")
    printf '%-9s round %d  A: %9s req/s %7s us CPU/req   B: %9s req/s %7s us CPU/req   req/s ratio %s  CPU ratio %s\n' \
      "$scenario" "$round" "$a_rps" "$a_cpu" "$b_rps" "$b_cpu" "$rps_ratio" "$cpu_ratio"
  done
  printf '%-9s MEDIAN B/A: req/s ratio %s, CPU-per-request ratio %s\n' "$scenario" \
    "$(printf '%s\n' "${rps_ratios[@]}" | median)" "$(printf '%s\n' "${cpu_ratios[@]}" | median)"
done
if [[ $B_ARGS == *--metrics-token* ]]; then
  curl -fs -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$B_PORT/-/metrics" | grep -E '^restash_http_requests_total' | head -5
fi
