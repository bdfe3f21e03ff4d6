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
die() { echo "$ME: $*" >&2; exit 1; }
say() { echo "$ME: $*" >&2; }

QUICK="${BENCH_QUICK:-0}"
if [ "$QUICK" = 1 ]; then
  d_rounds=1 d_warmup=5 d_max=5 d_rate_s=5 d_profile=5 d_write=0
else
  d_rounds=3 d_warmup=8 d_max=10 d_rate_s=10 d_profile=20 d_write=1
fi
ROUNDS="${BENCH_ROUNDS:-$d_rounds}"
WARMUP="${BENCH_WARMUP:-$d_warmup}"
MAX_SECONDS="${BENCH_MAX_SECONDS:-$d_max}"
RATE="${BENCH_RATE:-20000}"
RATE_SECONDS="${BENCH_RATE_SECONDS:-$d_rate_s}"
PROFILE_SECONDS="${BENCH_PROFILE_SECONDS:-$d_profile}"
WRITE="${BENCH_WRITE:-$d_write}"
SERVERS="${BENCH_SERVERS:-popdns knot nsd}"
ZONE="${BENCH_ZONE:-$ROOT/zones/hachyderm.io.zone}"
OUT="${BENCH_OUTPUT:-$ROOT/BENCHMARKS.md}"
NEXT_PORT="${BENCH_PORT:-25353}"
SERVER_CPU=0
CLIENT_CPU=1
QUERY_COUNT=20000   # distinct queries in the file; dnsperf loops over it
MAX_QPS_BOUND=400000 # -n is sized so that the file runs out only above this rate: -l governs

for v in ROUNDS WARMUP MAX_SECONDS RATE RATE_SECONDS PROFILE_SECONDS NEXT_PORT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
done
[ "$ROUNDS" -ge 1 ] && [ "$MAX_SECONDS" -ge 1 ] && [ "$RATE" -ge 1 ] && [ "$RATE_SECONDS" -ge 1 ] \
  || die "BENCH_ROUNDS, BENCH_MAX_SECONDS, BENCH_RATE and BENCH_RATE_SECONDS must be at least 1"
for s in $SERVERS; do
  case "$s" in popdns|knot|nsd) ;; *) die "unknown server '$s' in BENCH_SERVERS (popdns, knot, nsd)" ;; esac
done
[ -f "$ZONE" ] || die "zone file not found: $ZONE"
ORIGIN="$(basename "$ZONE" .zone)"
ORIGIN="${ORIGIN%.}"
has() { case " $SERVERS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------- what the run needs
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU); nproc says $(nproc)"

need=(dnsperf:dnsperf taskset:util-linux ss:iproute2 python3:python3 getconf:libc-bin)
has knot && need+=(knotd:knot knotc:knot)
has nsd && need+=(nsd:nsd nsd-checkconf:nsd)
missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} with apt-get"
    # keep the packages' own services (nsd, knot on port 53) from starting while they install
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    fi
    ok=1
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >&2 || ok=0
    [ -n "$policy" ] && rm -f "$policy"
    [ "$ok" = 1 ] || die "could not install ${missing[*]} with apt-get"
  else
    die "missing commands; install them with: apt-get install -y ${missing[*]}"
  fi
fi
taskset -c "$SERVER_CPU,$CLIENT_CPU" true 2>/dev/null || die "cannot pin to CPUs $SERVER_CPU and $CLIENT_CPU with taskset"

if has popdns; then
  # the launcher's own JDK search and JVM flags, read from ./popdns so that they stay the same
  MIN_JAVA="$(sed -n 's/^MIN_JAVA=\([0-9]*\).*/\1/p' "$ROOT/popdns")"
  MIN_JAVA="${MIN_JAVA:-21}"
  eval "$(sed -n -e '/^java_major() {/,/^}/p' -e '/^find_java() {/,/^}/p' -e '/^jvm_flags() {/,/^}/p' "$ROOT/popdns")"
  declare -F java_major >/dev/null && declare -F find_java >/dev/null && declare -F jvm_flags >/dev/null \
    || die "could not read find_java and jvm_flags from $ROOT/popdns"
  find_java
  jvm_flags
  if [ -n "${BENCH_JAR:-}" ]; then
    JAR="$BENCH_JAR"
    [ -f "$JAR" ] || die "BENCH_JAR: no such file: $JAR"
  else
    say "building popdns (./popdns build)"
    (cd "$ROOT" && ./popdns build) || die "./popdns build failed"
    JAR="$ROOT/dns-server/target/popdns.jar"
    [ -f "$JAR" ] || die "no $JAR after ./popdns build"
  fi
  if [ "$PROFILE_SECONDS" -gt 0 ]; then
    [ -x "$JAVA_HOME/bin/jcmd" ] && [ -x "$JAVA_HOME/bin/jfr" ] \
      || die "no jcmd/jfr in $JAVA_HOME/bin for the profile (set BENCH_PROFILE_SECONDS=0 to skip it)"
  fi
fi
CLK_TCK="$(getconf CLK_TCK)"

# ---------------------------------------------------------------- scratch space and cleanup
WORK="$(mktemp -d /tmp/popdns-bench.XXXXXX)"
SERVER_PID=""
LOAD_PID=""
cleanup() {
  local rc=$?
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && stop_server || true
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "kept $WORK (logs, dnsperf output)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/zones" "$WORK/out"
# the zone as given, plus static stand-ins for the geo-managed apex and media A/AAAA when it has
# none (Knot and NSD cannot do popdns's geo routing; no pops.yaml is copied, so popdns answers
# them from the zone file too)
ZONE_ADDED="$(python3 "$HERE/make-queries.py" --bench-zone "$ORIGIN" "$ZONE" "$WORK/zones/$ORIGIN.zone")" \
  || die "could not prepare the zone file"
: >"$WORK/commands.txt"
: >"$WORK/results.tsv"

python3 "$HERE/make-queries.py" "$ORIGIN" "$QUERY_COUNT" "$WORK/queries.bin" "$WORK/queries.txt" \
  || die "could not write the query file"

# the commands as run, with the temporary directory written as $WORK
note_cmd() { local s; s="$(printf '%q ' "$@")"; echo "${s//$WORK/\$WORK}" >>"$WORK/commands.txt"; }
note() { echo "# $*" >>"$WORK/commands.txt"; }

port_free() { [ -z "$(ss -Hlnu "sport = :$1")$(ss -Hlnt "sport = :$1")" ]; }
pick_port() { # pick_port VAR: the next free UDP+TCP port on 127.0.0.1 from NEXT_PORT on
  local p=$NEXT_PORT
  while ! port_free "$p"; do p=$((p + 1)); done
  NEXT_PORT=$((p + 1))
  printf -v "$1" '%s' "$p"
}

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

write_nsd_conf() { # $1 dir, $2 port
  cat >"$1/nsd.conf" <<EOF
# nsd for run-dnsperf.sh: one server process, no chroot or user change (runs as the invoking
# user), no database file, response rate limiting off (Debian builds it in, 200 qps by default)
server:
    ip-address: 127.0.0.1@$2
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$WORK/zones"
    database: ""
    zonelistfile: "$1/zone.list"
    xfrdfile: "$1/xfrd.state"
    xfrdir: "$1"
    pidfile: "$1/nsd.pid"
    verbosity: 1
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    # answers without the NS set and glue that NSD adds by default, so that they are the size of
    # Knot's and popdns's (compare "avg response B" in the per-round table)
    minimal-responses: yes
remote-control:
    control-enable: no
zone:
    name: $ORIGIN
    zonefile: "$ORIGIN.zone"
EOF
  nsd-checkconf "$1/nsd.conf" || die "nsd-checkconf rejected $1/nsd.conf"
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
      write_nsd_conf "$dir" "$port"
      SERVER_CMD=(taskset -c "$SERVER_CPU" nsd -d -c "$dir/nsd.conf") ;;
  esac
  "${SERVER_CMD[@]}" >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!   # taskset execs the server, so this is the server's own pid
  local i
  for i in $(seq 1 120); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$SERVER_LOG" >&2; die "$name exited while starting (log above)"; }
    if echo "$ORIGIN SOA" | timeout 5 taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -n 1 -t 1 2>/dev/null \
        | grep -E 'Response codes: +NOERROR 1 ' >/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  tail -20 "$SERVER_LOG" >&2
  die "$name did not answer $ORIGIN SOA on 127.0.0.1:$port within 60 s (log above)"
}

tree_pids() { # the process and all its descendants (NSD forks its server and xfrd processes)
  local c
  echo "$1"
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree_pids "$c"; done
}

stop_server() {
  local pid=$SERVER_PID pids i
  SERVER_PID=""
  pids="$(tree_pids "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in $pids; do kill -KILL "$i" 2>/dev/null || true; done # children left behind, if any
}

cpu_ticks() { # "user sys" clock ticks of the server's process tree
  local u=0 s=0 p f
  for p in $(tree_pids "$1"); do
    read -r -a f < <(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
    [ ${#f[@]} -gt 13 ] || continue
    u=$((u + f[11])) s=$((s + f[12])) # fields 14 and 15 of /proc/PID/stat
  done
  echo "$u $s"
}

rss_kb() { # VmRSS summed over the process tree, in kB
  local t=0 p v
  for p in $(tree_pids "$1"); do
    v="$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)"
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

# dnsperf NAME SECONDS [args...]: dnsperf on CPU 1 with the query file, bounded in time and count
run_dnsperf() {
  local name=$1 secs=$2 out="$WORK/out/$1.txt"
  shift 2
  local cmd=(taskset -c "$CLIENT_CPU" dnsperf -B -d "$WORK/queries.bin" -s 127.0.0.1 -l "$secs" "$@")
  if [ "${NOTE:-0}" = 1 ]; then note "$name"; note_cmd "${cmd[@]}"; fi
  timeout $((secs + 30)) "${cmd[@]}" >"$out" 2>&1 || { tail -20 "$out" >&2; die "dnsperf failed ($name)"; }
  DP_OUT="$out"
}
dp_field() { # the first number after "LABEL:" in dnsperf's statistics
  awk -v l="$1:" 'index($0, l) == 3 || index($0, l) == 1 { sub(".*" l " *", ""); print $1 + 0; exit }' "$2"
}

# ---------------------------------------------------------------- one server, one round
measure() {
  local name=$1 round=$2 port
  pick_port port
  NOTE=0
  [ "$round" = 1 ] && NOTE=1
  say "round $round: $name on 127.0.0.1:$port (load $(cut -d' ' -f1-3 /proc/loadavg))"
  if [ "$name" = popdns ]; then
    # shellcheck disable=SC2086 # BENCH_POPDNS_FLAGS is a list of flags
    start_server "$name" "$port" ${BENCH_POPDNS_FLAGS:-}
  else
    start_server "$name" "$port"
  fi
  if [ "$NOTE" = 1 ]; then note "$name: the server"; note_cmd "${SERVER_CMD[@]}"; fi
  local warm_runs=$(((WARMUP * MAX_QPS_BOUND + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  local max_runs=$(((MAX_SECONDS * MAX_QPS_BOUND + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  local rate_runs=$(((RATE_SECONDS * RATE + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  if [ "$WARMUP" -gt 0 ]; then run_dnsperf "$name-$round-warmup" "$WARMUP" -p "$port" -n "$warm_runs"; fi
  local rss_warm load t0 t1 u0 s0 u1 s1 u2 s2 u3 s3
  rss_warm="$(rss_kb "$SERVER_PID")"
  load="$(cut -d' ' -f1 /proc/loadavg)"

  local pids_before
  pids_before="$(tree_pids "$SERVER_PID" | sort | tr '\n' ' ')"

  # (1) full speed: QPS, CPU per query, lost
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID"); t0="$(date +%s.%N)"
  run_dnsperf "$name-$round-max" "$MAX_SECONDS" -p "$port" -n "$max_runs"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID"); t1="$(date +%s.%N)"
  local max_out="$DP_OUT" qps done_max lost_max resp codes
  qps="$(dp_field 'Queries per second' "$max_out")"
  done_max="$(dp_field 'Queries completed' "$max_out")"
  lost_max="$(dp_field 'Queries lost' "$max_out")"
  resp="$(awk '/Average packet size/ {gsub(",", ""); print $NF; exit}' "$max_out")"
  codes="$(awk -F': *' '/Response codes/ {gsub(/ [0-9]+ \(/, " "); gsub(/\)/, ""); print $2; exit}' "$max_out")"

  # (3) fixed offered rate: latency percentiles from dnsperf -v, CPU per query at that rate
  read -r u2 s2 < <(cpu_ticks "$SERVER_PID")
  run_dnsperf "$name-$round-rate" "$RATE_SECONDS" -p "$port" -n "$rate_runs" -Q "$RATE" -v
  read -r u3 s3 < <(cpu_ticks "$SERVER_PID")
  local rate_out="$DP_OUT" done_rate lost_rate lat
  done_rate="$(dp_field 'Queries completed' "$rate_out")"
  lost_rate="$(dp_field 'Queries lost' "$rate_out")"
  # per-query lines: "> RCODE name type SECONDS" ("> T ..." is a timeout); nearest-rank percentiles
  lat="$(awk '/^> / && $2 != "T" && $2 != "I" {print $NF * 1000000}' "$rate_out" | sort -g \
    | awk '{v[NR] = $1} END {
        if (NR == 0) { print "- - - -"; exit }
        split("0.50 0.99 0.999", q, " ")
        for (i = 1; i <= 3; i++) { r = int(q[i] * NR); if (r < q[i] * NR) r++; if (r < 1) r = 1; printf "%.0f ", v[r] }
        printf "%.0f\n", v[NR] }')"
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
PROFILE_MD="$WORK/profile.md"
profile_popdns() {
  local port jfr="$WORK/popdns.jfr" secs=$PROFILE_SECONDS
  pick_port port
  say "profile: popdns under full load, JFR for ${secs}s"
  NOTE=1
  # shellcheck disable=SC2086 # BENCH_POPDNS_FLAGS is a list of flags
  start_server popdns "$port" ${BENCH_POPDNS_FLAGS:-}
  note "profile: the server"
  note_cmd "${SERVER_CMD[@]}"
  if [ "$WARMUP" -gt 0 ]; then
    run_dnsperf profile-warmup "$WARMUP" -p "$port" -n $(((WARMUP * MAX_QPS_BOUND) / QUERY_COUNT + 1))
  fi
  local load_secs=$((secs + 6))
  local cmd=(taskset -c "$CLIENT_CPU" dnsperf -B -d "$WORK/queries.bin" -s 127.0.0.1 -l "$load_secs"
    -p "$port" -n $(((load_secs * MAX_QPS_BOUND) / QUERY_COUNT + 1)))
  note "profile: the load, with the recording started 2 s into it"
  note_cmd "${cmd[@]}"
  timeout $((load_secs + 30)) "${cmd[@]}" >"$WORK/out/profile-load.txt" 2>&1 &
  LOAD_PID=$!
  sleep 2
  local u0 s0 u1 s1
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID")
  # jdk.CPUTimeSample (JDK 25, Linux) samples by thread CPU time, so time in system calls counts;
  # jdk.ExecutionSample only sees threads running Java code.
  local jcmd=(taskset -c "$CLIENT_CPU" "$JAVA_HOME/bin/jcmd" "$SERVER_PID" JFR.start name=bench settings=profile
    "duration=${secs}s" "filename=$jfr" "jdk.CPUTimeSample#enabled=true" "jdk.CPUTimeSample#throttle=1ms")
  note_cmd "${jcmd[@]}"
  "${jcmd[@]}" >"$WORK/out/jcmd.txt" 2>&1 || { cat "$WORK/out/jcmd.txt" >&2; die "jcmd JFR.start failed"; }
  sleep "$secs"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID")
  wait "$LOAD_PID" || true
  LOAD_PID=""
  local i
  for i in $(seq 1 60); do
    if [ -s "$jfr" ] && ! taskset -c "$CLIENT_CPU" "$JAVA_HOME/bin/jcmd" "$SERVER_PID" JFR.check 2>/dev/null | grep 'name=bench' >/dev/null; then
      break
    fi
    sleep 0.5
  done
  stop_server
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
    echo "recording from /proc: $(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$CLK_TCK" -v d="$secs" \
      'BEGIN { if (u < 0 || s < 0 || u + s == 0) { print "n/a (the counters did not advance)"; exit }
               printf "%.0f%% of one CPU, %.0f%% of it in the kernel (stime)", 100 * (u + s) / t / d, 100 * s / (u + s) }')."
    echo
    echo "Where the CPU time goes, by the sample's top frame (package, or the native method for"
    echo "system calls); jdk.CPUTimeSample, all threads:"
    echo
    echo '```'
    top_frames "$WORK/out/cpu-samples.txt" 12
    echo '```'
    echo
    echo "Inclusive share (a method anywhere on the stack) of the same samples, top 25:"
    echo
    echo '```'
    inclusive "$WORK/out/cpu-samples.txt" 25
    echo '```'
    echo
    echo "Java code only (jdk.ExecutionSample, JIT-compiled code and interpreter; no native or kernel time):"
    echo
    echo '```'
    "$jfrtool" view --width 150 hot-methods "$jfr" | awk -v n=24 'NF && ++k <= n'
    echo '```'
    echo
    echo "Allocation (jdk.ObjectAllocationSample by site, top 12):"
    echo
    echo '```'
    "$jfrtool" view --width 150 allocation-by-site "$jfr" | awk -v n=15 'NF && ++k <= n'
    echo '```'
    echo
    echo "GC pauses over the recording:"
    echo
    echo '```'
    "$jfrtool" view --width 150 gc-pauses "$jfr" | awk -v n=12 'NF && ++k <= n'
    echo '```'
  } >"$PROFILE_MD"
}

# top_frames FILE N: samples by top frame: the package, or the method when the frame has no line
# number (a native method: system calls)
top_frames() {
  awk '/stackTrace = \[/ {getline; f = $1; sub(/\(.*/, "", f); total++;
         if ($0 ~ /line:/) { n = split(f, p, "."); k = ""; for (i = 1; i < n - 1; i++) k = k (i > 1 ? "." : "") p[i]; f = k ".*" } else f = f "()  [native]";
         c[f]++ }
       END { for (f in c) printf "%6.1f%%  %6d  %s\n", 100 * c[f] / total, c[f], f; printf "%6.1f%%  %6d  %s\n", 100, total, "(all samples)" }' "$1" \
    | sort -k2,2nr | awk -v n="$2" 'NR <= n'
}

# inclusive FILE N: share of samples with the method anywhere on the stack (counted once a sample)
inclusive() {
  awk '/stackTrace = \[/ {in_st = 1; total++; delete seen; next}
       in_st && /^ *\]/ {in_st = 0; next}
       in_st { f = $1; sub(/\(.*/, "", f); if (!(f in seen)) { seen[f] = 1; c[f]++ } }
       END { for (f in c) printf "%6.1f%%  %s\n", 100 * c[f] / total, f }' "$1" \
    | sort -k1,1nr | grep -v -E 'Thread\.run|FastThreadLocalRunnable|ThreadExecutorMap|SingleThreadEventExecutor\$4' | awk -v n="$2" 'NR <= n'
}

# ---------------------------------------------------------------- the runs
START_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
SECONDS=0
for round in $(seq 1 "$ROUNDS"); do
  for s in $SERVERS; do
    measure "$s" "$round"
    [ "$MEASURED" = 1 ] || measure "$s" "$round"
    [ "$MEASURED" = 1 ] || die "$s exited during the measurement twice in round $round (logs in $WORK)"
  done
done
if has popdns && [ "$PROFILE_SECONDS" -gt 0 ]; then
  profile_popdns
else
  echo "No profile in this run (BENCH_PROFILE_SECONDS=0 or popdns not in BENCH_SERVERS)." >"$PROFILE_MD"
fi
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$SECONDS

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
  echo "nproc: $(nproc); CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); memory: $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -srm)"
  if has popdns; then
    "$JAVA" -version 2>&1 | sed 's/^/java: /'
    echo "JVM flags (from ./popdns jvm_flags): ${JVM_FLAGS[*]}"
    if [ -n "${BENCH_JAR:-}" ]; then
      echo "popdns: $BENCH_JAR${BENCH_JAR_NOTE:+ ($BENCH_JAR_NOTE)}"
    else
      echo "popdns: work tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$ROOT" status --porcelain -- '*/src/main' '*pom.xml' 2>/dev/null)" ] && echo ' with uncommitted changes')"
    fi
  fi
  if has knot; then knotd --version 2>&1 | awk 'NR == 1'; fi
  if has nsd; then { nsd -v 2>&1 || true; } | awk 'NR == 1'; fi
  dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf " $2}'
  echo '```'
  echo
  echo "### Commands"
  echo
  echo "\`$(for v in BENCH_QUICK BENCH_ROUNDS BENCH_WARMUP BENCH_MAX_SECONDS BENCH_RATE BENCH_RATE_SECONDS BENCH_PROFILE_SECONDS BENCH_SERVERS BENCH_ZONE BENCH_PORT BENCH_JAR BENCH_POPDNS_FLAGS; do [ -n "${!v:-}" ] && printf '%s=%q ' "$v" "${!v}"; done)src/test/bench/run-dnsperf.sh\`"
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

cat "$SECTION"
if [ "$WRITE" = 1 ]; then
  if [ -f "$OUT" ] && grep -q '<!-- run-dnsperf:begin' "$OUT"; then
    awk -v f="$SECTION" '
      /<!-- run-dnsperf:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
      /<!-- run-dnsperf:end -->/ { skip = 0; next }
      !skip { print }' "$OUT" >"$WORK/out.md"
    cat "$WORK/out.md" >"$OUT"
  else
    [ -f "$OUT" ] || printf '# Benchmarks\n\n' >"$OUT"
    { echo; cat "$SECTION"; } >>"$OUT"
  fi
  say "wrote the results to $OUT"
fi
