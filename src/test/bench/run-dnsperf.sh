#!/usr/bin/env bash
# run-dnsperf.sh: dnsperf against popdns, Knot DNS (knotd) and NSD serving the same zone file on
# loopback, each server pinned to CPU 0 and dnsperf to CPU 1. For each server it reports the QPS of
# one dnsperf at full speed, the server's CPU time per answered query (from /proc/PID/stat of the
# server's whole process tree), the latency percentiles at a fixed offered rate, resident memory
# after warm-up and after the run, and lost queries; then a JFR CPU profile of popdns under load.
# It writes the results between the run-dnsperf markers of BENCHMARKS.md (or BENCH_OUTPUT).
#
# usage: src/test/bench/run-dnsperf.sh            (full run, about 5 minutes on 2 cores)
#        BENCH_QUICK=1 src/test/bench/run-dnsperf.sh   (about 1 minute; prints, does not write)
#
# Settings (environment): BENCH_QUICK=1, BENCH_ROUNDS (3; rounds interleave the servers),
# BENCH_WARMUP (8 s of full-speed load before measuring), BENCH_MAX_SECONDS (10),
# BENCH_RATE (20000 queries/s for the latency run), BENCH_RATE_SECONDS (10),
# BENCH_PROFILE_SECONDS (20; 0 = no JFR profile), BENCH_SERVERS ("popdns knot nsd"),
# BENCH_ZONE (zones/hachyderm.io.zone), BENCH_PORT (first port tried, 25353),
# BENCH_JAR (a popdns.jar to run instead of building the work tree's with ./popdns build),
# BENCH_JAR_NOTE (what that jar was built from, for the report), BENCH_POPDNS_FLAGS (extra JVM
# flags for popdns, e.g. -Dio.netty.leakDetection.level=disabled), BENCH_OUTPUT (BENCHMARKS.md),
# BENCH_WRITE (1 = update BENCH_OUTPUT; default 1, 0 when quick), BENCH_KEEP=1 keeps the
# temporary directory (logs, every dnsperf output, the JFR recording).
#
# Needs 2 CPUs, dnsperf, knotd, nsd, taskset, ss, python3 and a JDK >= 21 (with jcmd and jfr for
# the profile); as root it installs the missing Debian packages, otherwise it names them and stops.
# Every load is bounded in time (dnsperf -l, under `timeout`) and in count (dnsperf -n); all
# traffic goes to 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ME="run-dnsperf.sh"
# shellcheck source=src/test/bench/bench-lib.sh
source "$HERE/bench-lib.sh"

# defaults, quick and full: rounds; warm-up, full speed, fixed rate, profile (seconds); write
bench_settings "1 5 5 5 5 0" "3 8 10 10 20 1"
SERVERS="${BENCH_SERVERS:-popdns knot nsd}"
ZONE="${BENCH_ZONE:-$ROOT/zones/hachyderm.io.zone}"
OUT="${BENCH_OUTPUT:-$ROOT/BENCHMARKS.md}"
NEXT_PORT="${BENCH_PORT:-25353}"
QUERY_COUNT=20000   # distinct queries in the file; dnsperf loops over it

whole_numbers ROUNDS WARMUP MAX_SECONDS RATE RATE_SECONDS PROFILE_SECONDS NEXT_PORT
[ "$ROUNDS" -ge 1 ] && [ "$MAX_SECONDS" -ge 1 ] && [ "$RATE" -ge 1 ] && [ "$RATE_SECONDS" -ge 1 ] \
  || die "BENCH_ROUNDS, BENCH_MAX_SECONDS, BENCH_RATE and BENCH_RATE_SECONDS must be at least 1"
known_servers popdns knot nsd
[ -f "$ZONE" ] || die "zone file not found: $ZONE"
ORIGIN="$(basename "$ZONE" .zone)"
ORIGIN="${ORIGIN%.}"

# ---------------------------------------------------------------- what the run needs
need_two_cpus
need=(dnsperf:dnsperf taskset:util-linux ss:iproute2 python3:python3 getconf:libc-bin)
has knot && need+=(knotd:knot knotc:knot)
has nsd && need+=(nsd:nsd nsd-checkconf:nsd)
mapfile -t missing < <(missing_packages "${need[@]}")
install_missing commands "${missing[@]}"
can_pin

if has popdns; then setup_popdns; fi
CLK_TCK="$(getconf CLK_TCK)"

# ---------------------------------------------------------------- scratch space and cleanup (start_work)
start_work popdns-bench
# the zone as given, plus static stand-ins for the geo-managed apex and media A/AAAA when it has
# none (Knot and NSD cannot do popdns's geo routing; no pops.yaml is copied, so popdns answers
# them from the zone file too)
ZONE_ADDED="$(python3 "$HERE/make-queries.py" --bench-zone "$ORIGIN" "$ZONE" "$WORK/zones/$ORIGIN.zone")" \
  || die "could not prepare the zone file"
: >"$WORK/results.tsv"

python3 "$HERE/make-queries.py" "$ORIGIN" "$QUERY_COUNT" "$WORK/queries.bin" "$WORK/queries.txt" \
  || die "could not write the query file"

# ---------------------------------------------------------------- the servers
write_knot_conf() { # $1 dir, $2 port
  cat >"$1/knot.conf" <<EOF
# knotd for run-dnsperf.sh: one UDP worker, no user change (it runs as the invoking user)
server:
    rundir: "$1"
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
control:
    listen: "$1/knot.sock"
database:
    storage: "$1/db"
template:
  - id: default
    storage: "$WORK/zones"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $ORIGIN
EOF
  knotc -c "$1/knot.conf" conf-check >/dev/null || die "knotc conf-check rejected $1/knot.conf"
}

# start_server NAME PORT [extra JVM flags...]: sets SERVER_PID, SERVER_CMD, SERVER_LOG
start_server() {
  local name=$1 port=$2 dir="$WORK/$1"
  shift 2
  mkdir -p "$dir" "$dir/db"
  SERVER_LOG="$dir/server.log"
  case "$name" in
    popdns)
      local http
      pick_port http
      SERVER_CMD=(taskset -c "$SERVER_CPU" "$JAVA" "${JVM_FLAGS[@]}" "$@" -jar "$JAR" serve
        --zones "$WORK/zones" --listen "127.0.0.1:$port" --http "127.0.0.1:$http") ;;
    knot)
      write_knot_conf "$dir" "$port"
      SERVER_CMD=(taskset -c "$SERVER_CPU" knotd -c "$dir/knot.conf") ;;
    nsd)
      write_nsd_conf "$dir" "$port" "$WORK/zones"
      SERVER_CMD=(taskset -c "$SERVER_CPU" nsd -d -c "$dir/nsd.conf") ;;
  esac
  launch_server "$name" "$port"
}

# ---------------------------------------------------------------- one server, one round
measure() {
  local name=$1 round=$2 port
  pick_port port
  if [ "$name" = popdns ]; then
    # shellcheck disable=SC2086 # BENCH_POPDNS_FLAGS is a list of flags
    open_round "$name" "$round" "$port" ${BENCH_POPDNS_FLAGS:-}
  else
    open_round "$name" "$round" "$port"
  fi
  local warm_runs=$(((WARMUP * MAX_QPS_BOUND + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  local max_runs=$(((MAX_SECONDS * MAX_QPS_BOUND + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  local rate_runs=$(((RATE_SECONDS * RATE + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  if [ "$WARMUP" -gt 0 ]; then run_dnsperf "$name-$round-warmup" "$WORK/queries.bin" "$WARMUP" -p "$port" -n "$warm_runs"; fi
  local rss_warm load t0 t1 u0 s0 u1 s1 u2 s2 u3 s3
  rss_warm="$(rss_kb "$SERVER_PID")"
  load="$(cut -d' ' -f1 /proc/loadavg)"

  local pids_before
  pids_before="$(tree_pids "$SERVER_PID" | sort | tr '\n' ' ')"

  # (1) full speed: QPS, CPU per query, lost
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID"); t0="$(date +%s.%N)"
  run_dnsperf "$name-$round-max" "$WORK/queries.bin" "$MAX_SECONDS" -p "$port" -n "$max_runs"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID"); t1="$(date +%s.%N)"
  local max_out="$DP_OUT" qps done_max lost_max resp codes
  qps="$(dp_field 'Queries per second' "$max_out")"
  done_max="$(dp_field 'Queries completed' "$max_out")"
  lost_max="$(dp_field 'Queries lost' "$max_out")"
  resp="$(dp_resp "$max_out")"
  codes="$(dp_codes "$max_out")"

  # (3) fixed offered rate: latency percentiles from dnsperf -v, CPU per query at that rate
  read -r u2 s2 < <(cpu_ticks "$SERVER_PID")
  run_dnsperf "$name-$round-rate" "$WORK/queries.bin" "$RATE_SECONDS" -p "$port" -n "$rate_runs" -Q "$RATE" -v
  read -r u3 s3 < <(cpu_ticks "$SERVER_PID")
  local rate_out="$DP_OUT" done_rate lost_rate lat
  done_rate="$(dp_field 'Queries completed' "$rate_out")"
  lost_rate="$(dp_field 'Queries lost' "$rate_out")"
  lat="$(latencies "$rate_out")"
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    # seen on this shared machine: a server ended by a signal that the script did not send
    echo "- $name, round $round: the server exited during the measurement, so this attempt was dropped and the round run again; the end of its log: \`$(tail -2 "$SERVER_LOG" | tr '\n' ' ' | sed 's/`//g')\`; dnsperf had $lost_max + $lost_rate lost." >>"$WORK/notes.txt"
    say "  $name exited during the measurement; running round $round again"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    MEASURED=0
    return 0
  fi
  local rss_after
  rss_after="$(rss_kb "$SERVER_PID")"
  local nprocs pids_after
  nprocs="$(tree_pids "$SERVER_PID" | wc -l)"
  pids_after="$(tree_pids "$SERVER_PID" | sort | tr '\n' ' ')"
  if [ "$pids_before" != "$pids_after" ]; then
    echo "- $name, round $round: its processes changed during the measurement (before: $pids_before; after: $pids_after), so the CPU figures miss the time of processes that came or went." >>"$WORK/notes.txt"
    say "  warning: $name's processes changed during the measurement"
  fi
  stop_server

  awk -v OFS='\t' -v name="$name" -v round="$round" -v qps="$qps" -v done_max="$done_max" \
      -v lost_max="$lost_max" -v du=$((u1 - u0)) -v ds=$((s1 - s0)) -v t0="$t0" -v t1="$t1" \
      -v done_rate="$done_rate" -v lost_rate="$lost_rate" -v rdu=$((u3 - u2)) -v rds=$((s3 - s2)) \
      -v lat="$lat" -v rss_warm="$rss_warm" -v rss_after="$rss_after" -v load="$load" \
      -v resp="$resp" -v codes="$codes" -v tck="$CLK_TCK" -v nprocs="$nprocs" 'BEGIN {
        split(lat, l, " ")
        us = 1000000 / tck
        secs = t1 - t0
        print name, round, sprintf("%.0f", qps), done_max, lost_max,
          sprintf("%.2f", (du + ds) * us / done_max), sprintf("%.2f", du * us / done_max),
          sprintf("%.2f", ds * us / done_max), sprintf("%.0f", 100 * (du + ds) / tck / secs),
          done_rate, lost_rate, sprintf("%.2f", (rdu + rds) * us / (done_rate > 0 ? done_rate : 1)),
          sprintf("%.2f", rdu * us / (done_rate > 0 ? done_rate : 1)), sprintf("%.2f", rds * us / (done_rate > 0 ? done_rate : 1)),
          l[1], l[2], l[3], l[4], sprintf("%.1f", rss_warm / 1024), sprintf("%.1f", rss_after / 1024),
          load, resp, codes, nprocs
      }' >>"$WORK/results.tsv"
  say "  $(tail -1 "$WORK/results.tsv" | cut -f3-9 | tr '\t' ' ') (qps done lost cpu_us user_us sys_us cpu%)"
  MEASURED=1
}

# ---------------------------------------------------------------- JFR profile of popdns under load
profile_popdns() {
  local port jfr="$WORK/popdns.jfr" secs=$PROFILE_SECONDS
  pick_port port
  say "profile: popdns under full load, JFR for ${secs}s"
  # shellcheck disable=SC2086 # BENCH_POPDNS_FLAGS is a list of flags
  profile_server "$port" "$WORK/queries.bin" ${BENCH_POPDNS_FLAGS:-}
  start_load "$WORK/queries.bin" "$port" $((secs + 6)) "profile: the load, with the recording started 2 s into it"
  sleep 2
  local u0 s0 u1 s1
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID")
  # jdk.CPUTimeSample (JDK 25, Linux) samples by thread CPU time, so time in system calls counts;
  # jdk.ExecutionSample only sees threads running Java code.
  jcmd_run JFR.start name=bench settings=profile "duration=${secs}s" "filename=$jfr" \
    "jdk.CPUTimeSample#enabled=true" "jdk.CPUTimeSample#throttle=1ms"
  sleep "$secs"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID")
  end_recording "$jfr"
  [ -s "$jfr" ] || die "no JFR recording was written to $jfr"
  local jfrtool="$JAVA_HOME/bin/jfr"
  note "profile: reading the recording"
  note_cmd "$jfrtool" view --width 150 cpu-time-hot-methods "$jfr"
  note_cmd "$jfrtool" view --width 150 hot-methods "$jfr"
  note_cmd "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$jfr"
  local qps
  qps="$(dp_field 'Queries per second' "$WORK/out/profile-load.txt")"
  "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$jfr" >"$WORK/out/cpu-samples.txt"
  "$jfrtool" print --events jdk.ExecutionSample --stack-depth 64 "$jfr" >"$WORK/out/exec-samples.txt"
  {
    echo "popdns at $(printf '%.0f' "$qps") QPS (one dnsperf at full speed), ${secs} s of JFR"
    echo "(settings=profile plus jdk.CPUTimeSample every 1 ms of thread CPU time). Process CPU over the"
    echo "recording from /proc: $(cpu_line $((u1 - u0)) $((s1 - s0)) "$secs")."
    echo
    echo "Where the CPU time goes, by the sample's top frame (package, or the native method for"
    echo "system calls); jdk.CPUTimeSample, all threads:"
    echo
    code_block top_frames "$WORK/out/cpu-samples.txt" 12
    echo
    echo "Inclusive share (a method anywhere on the stack) of the same samples, top 25:"
    echo
    code_block inclusive "$WORK/out/cpu-samples.txt" 25
    echo
    jfr_views "$jfr" "Java code only (jdk.ExecutionSample, JIT-compiled code and interpreter; no native or kernel time):" \
      "Allocation (jdk.ObjectAllocationSample by site, top 12):" 15 "GC pauses over the recording:"
  } >"$PROFILE_MD"
}

# ---------------------------------------------------------------- the runs
measure_again() { # measure_again SERVER ROUND: measure, once more when the server exited during it
  measure "$1" "$2"
  [ "$MEASURED" = 1 ] || measure "$1" "$2"
  [ "$MEASURED" = 1 ] || die "$1 exited during the measurement twice in round $2 (logs in $WORK)"
}
run_rounds measure_again
end_runs # the profile, LOAD_END, ELAPSED

# ---------------------------------------------------------------- the report
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
col() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s {print $c}' "$WORK/results.tsv"; }
sumcol() { col "$1" "$2" | awk '{t += $1} END {print t + 0}'; }
fmt0() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.0f", v }'; }

SECTION="$WORK/section.md"
{
  echo "<!-- run-dnsperf:begin (written by src/test/bench/run-dnsperf.sh; edits here are overwritten) -->"
  echo "## Results: dnsperf, popdns vs Knot DNS vs NSD"
  echo
  echo "Run $START_DATE$( [ "$QUICK" = 1 ] && echo ' (quick mode)'), $ROUNDS round(s) interleaving the servers, ${ELAPSED} s in all;"
  echo "load average (1/5/15 min) $LOAD_START at the start, $LOAD_END at the end (the machine is shared)."
  echo "Each server pinned to CPU $SERVER_CPU, dnsperf to CPU $CLIENT_CPU; zone $(basename "$ZONE"), $QUERY_COUNT queries"
  echo "(see below); ${WARMUP} s of full-speed warm-up per server start. Figures are medians over the rounds,"
  echo "lost queries are summed."
  echo
  echo "| server | max QPS (1 dnsperf) | CPU µs/query at max (user + sys) | server CPU at max | p50 / p99 / p99.9 µs at $RATE QPS | CPU µs/query at $RATE QPS (user + sys) | RSS MiB after warm-up / after run | lost (max + rate runs) |"
  echo "|---|---|---|---|---|---|---|---|"
  for s in $SERVERS; do
    printf '| %s | %s | %s (%s + %s) | %s%% | %s / %s / %s | %s (%s + %s) | %s / %s | %s |\n' "$s" \
      "$(fmt0 "$(col "$s" 3 | median)")" "$(col "$s" 6 | median)" "$(col "$s" 7 | median)" "$(col "$s" 8 | median)" \
      "$(fmt0 "$(col "$s" 9 | median)")" "$(fmt0 "$(col "$s" 15 | median)")" "$(fmt0 "$(col "$s" 16 | median)")" \
      "$(fmt0 "$(col "$s" 17 | median)")" "$(col "$s" 12 | median)" "$(col "$s" 13 | median)" "$(col "$s" 14 | median)" \
      "$(col "$s" 19 | median)" "$(col "$s" 20 | median)" \
      "$(( $(sumcol "$s" 5) + $(sumcol "$s" 11) ))"
  done
  echo
  if has popdns && has nsd; then
    pc="$(col popdns 6 | median)" nc="$(col nsd 6 | median)" pr="$(col popdns 12 | median)" nr="$(col nsd 12 | median)"
    lost=$(( $(sumcol popdns 5) + $(sumcol popdns 11) ))
    awk -v pc="$pc" -v nc="$nc" -v pr="$pr" -v nr="$nr" -v lost="$lost" 'BEGIN {
      r = pc / nc; printf "**Target** (popdns CPU per query at most 1.5x NSD'"'"'s, no lost queries): %.2fx NSD at full speed", r
      printf ", %.2fx at the fixed rate, %d lost: %s.\n", pr / nr, lost, (r <= 1.5 && lost == 0) ? "met" : "NOT met" }'
    echo
  fi
  echo "QPS is capped by the single dnsperf on one CPU (about 120-150k QPS here), so it cannot rank servers"
  echo "that all keep up; CPU time per answered query is the comparable figure. It is utime+stime of the"
  echo "server's whole process tree (/proc/PID/stat, CLK_TCK $CLK_TCK; NSD's main, xfrd and server processes,"
  echo "every JVM thread including JIT and GC) over the dnsperf run, divided by the queries completed. On"
  echo "loopback the sender's system call also pays for delivering each datagram to the receiving socket,"
  echo "so the sys part is largely the same kernel work for every server. \"server CPU at max\" is that"
  echo "CPU time over the run's wall time: 100% means the server, not dnsperf, was the limit. Latency is"
  echo "dnsperf's per-query figure (-v), i.e. measured by the client; it includes dnsperf's own delay."
  echo "RSS is VmRSS summed over the process tree (NSD's processes share the zone pages, so that overcounts)."
  echo
  if [ -s "$WORK/notes.txt" ]; then
    echo "Warnings:"
    echo
    cat "$WORK/notes.txt"
    echo
  fi
  if [ -n "${BENCH_POPDNS_FLAGS:-}" ]; then
    echo "popdns ran with the extra JVM flags \`$BENCH_POPDNS_FLAGS\` (BENCH_POPDNS_FLAGS)."
    echo
  fi
  echo "Per round:"
  echo
  echo "| server | round | QPS | completed | lost | CPU µs/q | user µs/q | sys µs/q | CPU % | rate: completed | rate: lost | rate: CPU µs/q | rate: user µs/q | rate: sys µs/q | p50 µs | p99 µs | p99.9 µs | max µs | RSS warm MiB | RSS after MiB | load avg 1 min | avg response B | response codes (max run) | processes |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  sed -e 's/\t/ | /g' -e 's/^/| /' -e 's/$/ |/' "$WORK/results.tsv"
  echo
  echo "### Profile of popdns under load (JFR)"
  echo
  cat "$PROFILE_MD"
  echo
  echo "### Machine and versions"
  echo
  echo '```'
  machine_versions ""
  if has knot; then knotd --version 2>&1 | awk 'NR == 1'; fi
  if has nsd; then { nsd -v 2>&1 || true; } | awk 'NR == 1'; fi
  dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf " $2}'
  echo '```'
  echo
  echo "### Commands"
  echo
  echo "\`$(bench_env BENCH_QUICK BENCH_ROUNDS BENCH_WARMUP BENCH_MAX_SECONDS BENCH_RATE BENCH_RATE_SECONDS BENCH_PROFILE_SECONDS BENCH_SERVERS BENCH_ZONE BENCH_PORT BENCH_JAR BENCH_POPDNS_FLAGS)src/test/bench/run-dnsperf.sh\`"
  echo "ran these (first round; \$WORK is its temporary directory, ports are the first free ones from $((${BENCH_PORT:-25353})) on):"
  echo
  echo '```'
  cat "$WORK/commands.txt"
  echo '```'
  echo
  echo "The query file is written by src/test/bench/make-queries.py ($QUERY_COUNT queries, seed 53) in dnsperf's -B"
  echo "format so that one file mixes queries without EDNS (15%), with EDNS (35%) and with EDNS and DO (50%)."
  echo "Its mix, by question type and EDNS:"
  echo
  echo '```'
  awk '{ t = $2 " " ($3 == "" ? "no-edns" : $3); c[t]++ } END { for (t in c) printf "%6d  %s\n", c[t], t }' "$WORK/queries.txt" \
    | sort -nr | awk '{ printf "%s  ", $0; if (NR % 4 == 0) print "" } END { if (NR % 4) print "" }'
  echo '```'
  echo
  echo "Names: the apex, media, www and status (CNAMEs to the apex), mail, _dmarc, ns1-3, 1000 random"
  echo "names that do not exist (NXDOMAIN), 5% with random letter case, and example.com (REFUSED)."
  if [ -n "$ZONE_ADDED" ]; then
    echo
    echo "The zone file has no A/AAAA for the apex and media: popdns answers those from geo routing"
    echo "(zones/pops.yaml), which Knot and NSD cannot do. So that all three answer the same questions"
    echo "from the same file, the script served $(basename "$ZONE") with these static records appended"
    echo "(and no pops.yaml): the figures are for the static-zone answer path, not the geo path."
    echo
    echo '```'
    echo "$ZONE_ADDED"
    echo '```'
  fi
  if has knot || has nsd; then
    echo
    echo "<details><summary>Server configurations written by the script</summary>"
    echo
    for s in knot nsd; do
      has "$s" || continue
      echo '```'
      sed "s#$WORK#\$WORK#g" "$WORK/$s/$s.conf"
      echo '```'
    done
    echo "</details>"
  fi
  echo "<!-- run-dnsperf:end -->"
} >"$SECTION"

publish_section run-dnsperf '# Benchmarks\n\n'
