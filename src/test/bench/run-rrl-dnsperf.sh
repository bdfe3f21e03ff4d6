#!/usr/bin/env bash
# run-rrl-dnsperf.sh: what response rate limiting costs per query. Two popdns processes serve the
# hachyderm.io zone (zones/, with static placeholders for the geo names, as run-dnsperf.sh does), both
# pinned to CPU 0: one with rate limiting off, one with it on at a limit the load stays below
# (rate-limit.responses-per-second: 1000000, slip 2), so that every answer goes through the
# limiter's table and is allowed, the path an operator's normal traffic takes. Two dnsperf on CPU 1
# send each of them the mixed query file of make-queries.py at the same fixed rate at the same time,
# so that the rest of a shared machine's work weighs on both alike (runs one after the other differ
# by more than the effect measured). It reports each server's CPU time per answered query (from
# /proc/PID/stat), per round and the median, and prints a Markdown section for BENCHMARKS.md.
#
# usage: src/test/bench/run-rrl-dnsperf.sh                 (about 4 minutes on 2 cores)
#        BENCH_QUICK=1 src/test/bench/run-rrl-dnsperf.sh   (about 1 minute)
#
# Settings (environment): BENCH_QUICK=1, BENCH_ROUNDS (7), BENCH_WARMUP (5 s of full-speed load
# before measuring), BENCH_RATE (20000 queries/s in all, half to each server), BENCH_RATE_SECONDS
# (10), BENCH_QUERIES (100000), BENCH_PORT (first port tried, 26453), BENCH_JAR (a popdns.jar to run
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
bench_settings "2 3 3 5 0 0" "7 5 8 10 0 0"
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

start_server() { # start_server MODE PORT: popdns with MODE's config; SERVER_PID
  local mode=$1 port=$2 http
  pick_port http
  SERVER_LOG="$WORK/$mode.log"
  SERVER_CMD=(taskset -c "$SERVER_CPU" "$JAVA" "${JVM_FLAGS[@]}" -jar "$JAR" serve --config "$WORK/$mode.yaml"
    --zones "$WORK/zones" --listen "127.0.0.1:$port" --http "127.0.0.1:$http")
  launch_server "popdns-rrl-$mode" "$port"
}

# Both servers run at once on the server CPU and take the same load at the same time (two dnsperf
# on the client CPU, each at half the rate), so that whatever else the machine runs weighs on both
# alike: on a shared machine, runs one after the other differ by more than the effect measured.
one_round() { # one_round _ ROUND (run_rounds calls it once per word of SERVERS: only the first runs)
  local round=$2 off_port on_port off_pid on_pid off_before on_before off_after on_after
  [ "$1" = off ] || return 0
  pick_port off_port
  NOTE=0
  [ "$round" = 1 ] && NOTE=1
  say "round $round (load $(loadavg))"
  # the first server started gets the better of the JIT's and the kernel's first choices: alternate
  if [ $((round % 2)) = 1 ]; then
    start_server off "$off_port"
    off_pid=$SERVER_PID
    OTHER_PID=$off_pid
    pick_port on_port
    start_server on "$on_port"
    on_pid=$SERVER_PID
  else
    pick_port on_port
    start_server on "$on_port"
    on_pid=$SERVER_PID
    OTHER_PID=$on_pid
    start_server off "$off_port"
    off_pid=$SERVER_PID
  fi
  if [ "$NOTE" = 1 ]; then note "the servers (off, then on, with their own --config)"; note_cmd "${SERVER_CMD[@]}"; fi
  grep -q "rate-limit: 1000000 responses/s" "$WORK/on.log" || die "rate limiting is not on"
  run_dnsperf "off-$round-warmup" "$WORK/queries.bin" "$WARMUP" -p "$off_port" -q 200 &
  local w1=$!
  run_dnsperf "on-$round-warmup" "$WORK/queries.bin" "$WARMUP" -p "$on_port" -q 200
  wait "$w1"
  off_before="$(cpu_ticks "$off_pid")"
  on_before="$(cpu_ticks "$on_pid")"
  run_dnsperf "off-$round-rate" "$WORK/queries.bin" "$RATE_SECONDS" -p "$off_port" -q 500 -Q $((RATE / 2)) &
  local r1=$!
  run_dnsperf "on-$round-rate" "$WORK/queries.bin" "$RATE_SECONDS" -p "$on_port" -q 500 -Q $((RATE / 2))
  wait "$r1"
  off_after="$(cpu_ticks "$off_pid")"
  on_after="$(cpu_ticks "$on_pid")"
  local mode before after completed
  for mode in off on; do
    if [ "$mode" = off ]; then before=$off_before after=$off_after; else before=$on_before after=$on_after; fi
    completed="$(dp_field "Queries completed" "$WORK/out/$mode-$round-rate.txt")"
    read -r bu bs <<<"$before"
    read -r au as <<<"$after"
    awk -v m="$mode" -v r="$round" -v n="$completed" -v t=$(((au - bu) + (as - bs))) -v hz="$CLK_TCK" \
      'BEGIN { printf "%s\t%s\t%d\t%.3f\n", m, r, n, t * 1000000 / hz / n }' >>"$WORK/results.tsv"
    say "$(tail -1 "$WORK/results.tsv")"
  done
  SERVER_PID=""
  OTHER_PID=""
  stop_pid "$on_pid"
  stop_pid "$off_pid"
}

run_rounds one_round

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
off_cpu="$(awk '$1 == "off" { print $4 }' "$WORK/results.tsv" | median)"
on_cpu="$(awk '$1 == "on" { print $4 }' "$WORK/results.tsv" | median)"
ratios="$(paste <(awk '$1 == "off" { print $4 }' "$WORK/results.tsv") <(awk '$1 == "on" { print $4 }' "$WORK/results.tsv") \
  | awk '{ printf "%.3f\n", $2 / $1 }')"
ratio="$(echo "$ratios" | median)"

echo "### CPU per query, rate limiting off vs on below the limit ($START_DATE, popdns at $(cd "$ROOT" && git rev-parse --short HEAD))"
echo
echo "src/test/bench/run-rrl-dnsperf.sh: two popdns processes at once, both pinned to CPU $SERVER_CPU, one with rate"
echo "limiting off and one with it on (responses-per-second 1000000: every answer is counted in the"
echo "table and allowed, the path of traffic below the limit); two dnsperf on CPU $CLIENT_CPU send each the query"
echo "file of make-queries.py ($QUERY_COUNT queries) at $((RATE / 2)) queries/s for $RATE_SECONDS s, after a ${WARMUP} s warm-up at"
echo "full speed. CPU time of each server (/proc/PID/stat) per answered query; $ROUNDS rounds, the one"
echo "started first alternating; load average"
echo "$LOAD_START at the start (other work shares the machine: it weighs on both servers alike)."
echo
echo "| rate limiting | CPU µs per query (median of rounds) |"
echo "|---|---|"
echo "| off | $off_cpu |"
echo "| on, below the limit | $on_cpu |"
echo "| on / off, per round: $(echo $ratios | tr ' ' ',') | median $ratio |"
echo
echo "Every round (mode, round, queries answered, CPU µs per query):"
echo
echo '```'
cat "$WORK/results.tsv"
echo '```'
