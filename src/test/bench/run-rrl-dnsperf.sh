#!/usr/bin/env bash
# run-rrl-dnsperf.sh: what response rate limiting costs per query. popdns serves the hachyderm.io
# zone (zones/, with static placeholders for the geo names, as run-dnsperf.sh does) pinned to CPU 0,
# dnsperf on CPU 1 sends the mixed query file of make-queries.py, and each round runs popdns twice:
# with rate limiting off, and on at a limit the load stays below (rate-limit.responses-per-second:
# 1000000, slip 2), so every answer goes through the limiter's table and is allowed: the path an
# operator's normal traffic takes. For each it reports the CPU time per answered query at a fixed
# offered rate (from /proc/PID/stat) and the QPS of one dnsperf at full speed. Rounds interleave the
# two so that the machine's drift falls on both alike. It prints a Markdown section for BENCHMARKS.md.
#
# usage: src/test/bench/run-rrl-dnsperf.sh                 (about 3 minutes on 2 cores)
#        BENCH_QUICK=1 src/test/bench/run-rrl-dnsperf.sh   (about 1 minute)
#
# Settings (environment): BENCH_QUICK=1, BENCH_ROUNDS (5), BENCH_WARMUP (5 s of full-speed load
# before measuring), BENCH_MAX_SECONDS (8), BENCH_RATE (20000 queries/s), BENCH_RATE_SECONDS (10),
# BENCH_QUERIES (100000), BENCH_PORT (first port tried, 26453), BENCH_JAR (a popdns.jar to run
# instead of building the work tree's), BENCH_KEEP=1 keeps the temporary directory.
#
# Needs 2 CPUs, dnsperf, taskset, ss, python3 and a JDK >= 21. Every load is bounded in time
# (dnsperf -l under `timeout`); all traffic goes to 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ME="run-rrl-dnsperf.sh"
# shellcheck source=src/test/bench/bench-lib.sh
source "$HERE/bench-lib.sh"

# defaults, quick and full: rounds; warm-up, full speed, fixed rate, profile (seconds); write
bench_settings "2 3 3 5 0 0" "5 5 8 10 0 0"
QUERY_COUNT="${BENCH_QUERIES:-100000}"
NEXT_PORT="${BENCH_PORT:-26453}"
SERVERS="off on"
ORIGIN="hachyderm.io"
ZONE="$ROOT/zones/$ORIGIN.zone"
whole_numbers ROUNDS WARMUP MAX_SECONDS RATE RATE_SECONDS QUERY_COUNT NEXT_PORT
need_two_cpus
for c in dnsperf taskset ss python3; do command -v "$c" >/dev/null || die "needs $c"; done
setup_popdns
start_work rrl-dnsperf
CLK_TCK="$(getconf CLK_TCK)"

python3 "$HERE/make-queries.py" --bench-zone "$ORIGIN" "$ZONE" "$WORK/zones/$ORIGIN.zone" >/dev/null \
  || die "could not prepare the zone file"
python3 "$HERE/make-queries.py" "$ORIGIN" "$QUERY_COUNT" "$WORK/queries.bin" "$WORK/queries.txt" \
  || die "could not write the query file"
printf '' >"$WORK/off.yaml"
printf 'rate-limit:\n  responses-per-second: 1000000\n  slip: 2\n' >"$WORK/on.yaml"
: >"$WORK/results.tsv"

start_server() { # start_server MODE PORT
  local mode=$1 port=$2 http
  pick_port http
  SERVER_LOG="$WORK/$mode.log"
  SERVER_CMD=(taskset -c "$SERVER_CPU" "$JAVA" "${JVM_FLAGS[@]}" -jar "$JAR" serve --config "$WORK/$mode.yaml"
    --zones "$WORK/zones" --listen "127.0.0.1:$port" --http "127.0.0.1:$http")
  launch_server "popdns-rrl-$mode" "$port"
}

one_round() { # one_round MODE ROUND
  local mode=$1 round=$2 port before after qps completed
  pick_port port
  open_round "$mode" "$round" "$port"
  run_dnsperf "$mode-$round-warmup" "$WORK/queries.bin" "$WARMUP" -p "$port" -q 200
  run_dnsperf "$mode-$round-max" "$WORK/queries.bin" "$MAX_SECONDS" -p "$port" -q 200
  qps="$(dp_field "Queries per second" "$DP_OUT")"
  before="$(cpu_ticks "$SERVER_PID")"
  run_dnsperf "$mode-$round-rate" "$WORK/queries.bin" "$RATE_SECONDS" -p "$port" -q 500 -Q "$RATE"
  after="$(cpu_ticks "$SERVER_PID")"
  completed="$(dp_field "Queries completed" "$DP_OUT")"
  grep -q "rate-limit: 1000000 responses/s" "$SERVER_LOG" || [ "$mode" = off ] || die "rate limiting is not on"
  stop_server
  read -r bu bs <<<"$before"
  read -r au as <<<"$after"
  awk -v m="$mode" -v r="$round" -v q="$qps" -v n="$completed" -v t=$(((au - bu) + (as - bs))) -v hz="$CLK_TCK" \
    'BEGIN { printf "%s\t%s\t%.0f\t%d\t%.3f\n", m, r, q, n, t * 1000000 / hz / n }' >>"$WORK/results.tsv"
  say "$(tail -1 "$WORK/results.tsv")"
}

run_rounds one_round

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
off_cpu="$(awk '$1 == "off" { print $5 }' "$WORK/results.tsv" | median)"
on_cpu="$(awk '$1 == "on" { print $5 }' "$WORK/results.tsv" | median)"
off_qps="$(awk '$1 == "off" { print $3 }' "$WORK/results.tsv" | median)"
on_qps="$(awk '$1 == "on" { print $3 }' "$WORK/results.tsv" | median)"

echo "### CPU per query, rate limiting off vs on below the limit ($START_DATE, popdns at $(cd "$ROOT" && git rev-parse --short HEAD))"
echo
echo "src/test/bench/run-rrl-dnsperf.sh: popdns pinned to CPU $SERVER_CPU, dnsperf to CPU $CLIENT_CPU, the query file of"
echo "make-queries.py ($QUERY_COUNT queries); $ROUNDS rounds, each running popdns with rate limiting off and then on"
echo "(responses-per-second 1000000: every answer is counted in the table and allowed). CPU time of the"
echo "server per answered query at $RATE queries/s for $RATE_SECONDS s (after a ${WARMUP} s warm-up and a ${MAX_SECONDS} s full-speed run);"
echo "load average $LOAD_START at the start."
echo
echo "| rate limiting | CPU µs per query at $RATE/s (median) | QPS at full speed (median) |"
echo "|---|---|---|"
echo "| off | $off_cpu | $off_qps |"
echo "| on, below the limit | $on_cpu | $on_qps |"
awk -v a="$off_cpu" -v b="$on_cpu" 'BEGIN { printf "| on / off | %.3f | |\n", b / a }'
echo
echo "Every round (mode, round, QPS at full speed, queries answered at the fixed rate, CPU µs per query):"
echo
echo '```'
cat "$WORK/results.tsv"
echo '```'
