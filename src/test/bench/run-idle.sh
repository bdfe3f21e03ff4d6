#!/usr/bin/env bash
# run-idle.sh: what an idle nameserver costs when no query arrives. It measures popdns with live
# health probes (5 PoPs x 3 checks at the default 2 s interval: 15 probes per 2 s, against a real
# nginx and a real PostgreSQL streaming replica on loopback), popdns with --no-probes, NSD and
# gdnsd serving the same zone (gdnsd with its http_status/tcp_connect monitors of the same
# endpoints at the same interval, the like-for-like comparison). For each: process CPU
# (utime+stime from /proc/PID/stat) as % of one core and ms per second, context switches per second
# (voluntary + involuntary over every thread: the wake-ups), resident memory, and the threads that
# use the CPU (per-thread run time from /proc/PID/task/*/schedstat, by name). Then, for popdns with
# probes, the system calls per second by kind (perf stat on the syscall tracepoints, or strace -c
# when perf cannot) and a JFR recording (CPU-time sampler) of the idle server. It writes the
# results between the run-idle markers of BENCHMARKS.md (or BENCH_OUTPUT).
#
# usage: src/test/bench/run-idle.sh                 (full run, about 8 minutes)
#        BENCH_QUICK=1 src/test/bench/run-idle.sh   (about 2 minutes; prints, does not write)
#
# Settings (environment): BENCH_QUICK=1, BENCH_IDLE_SECONDS (60; 15 quick: the measured window),
# BENCH_SETTLE_SECONDS (20; 10 quick: idle time after start-up and after every PoP is UP, before
# measuring: the GeoIP table build, its collection and the first compilations are over),
# BENCH_PROFILE_SECONDS (60; 0 quick: the JFR recording and the system-call count of popdns with
# probes, 0 = none), BENCH_SERVERS ("popdns popdns-no-probes nsd gdnsd"), BENCH_GEOIP
# (geoip/data/GeoLite2-City.mmdb), BENCH_PORT (first port tried, 26453), BENCH_JAR (a popdns.jar to
# run instead of building the work tree's with ./popdns build), BENCH_JAR_NOTE (what it was built
# from), BENCH_POPDNS_FLAGS (extra JVM flags), BENCH_OUTPUT (BENCHMARKS.md), BENCH_WRITE (1 = update
# BENCH_OUTPUT; default 1, 0 when quick), BENCH_KEEP=1 keeps the temporary directory.
#
# Needs nginx, PostgreSQL (initdb, pg_basebackup, postgres, psql, pg_isready), nsd, gdnsd (3.x),
# dnsperf (one SOA query per server to see it answers, before the measured window), curl, ss,
# python3, perf or strace, a JDK >= 21 (jcmd and jfr for the profile); as root it installs the
# missing Debian packages, otherwise it names them and stops. As root PostgreSQL runs as the
# postgres user (runuser). Every wait is bounded; everything listens on 127.0.0.1-127.0.0.5 only;
# the PoPs' answer addresses (192.0.2.0/24) are data, never contacted. The temporary directory
# (configs, data, logs) is removed at the end.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ME="run-idle.sh"
# shellcheck source=src/test/bench/bench-lib.sh
source "$HERE/bench-lib.sh"

# defaults, quick and full: rounds, warm-up, full speed, fixed rate (unused here); profile; write
bench_settings "1 0 0 0 0 0" "1 0 0 0 60 1"
IDLE_SECONDS="${BENCH_IDLE_SECONDS:-$([ "$QUICK" = 1 ] && echo 15 || echo 60)}"
SETTLE_SECONDS="${BENCH_SETTLE_SECONDS:-$([ "$QUICK" = 1 ] && echo 10 || echo 20)}"
SERVERS="${BENCH_SERVERS:-popdns popdns-no-probes nsd gdnsd}"
GEOIP="${BENCH_GEOIP:-$ROOT/geoip/data/GeoLite2-City.mmdb}"
OUT="${BENCH_OUTPUT:-$ROOT/BENCHMARKS.md}"
NEXT_PORT="${BENCH_PORT:-26453}"
INTERVAL=2 # seconds: the checks' default interval, also gdnsd's monitors'
POPS=(hq eu-west us-east us-west ap-southeast)
READY_SECONDS=120 # every PoP UP within this, or the run stops

whole_numbers IDLE_SECONDS SETTLE_SECONDS PROFILE_SECONDS NEXT_PORT
[ "$IDLE_SECONDS" -ge 5 ] || die "BENCH_IDLE_SECONDS must be at least 5"
known_servers popdns popdns-no-probes nsd gdnsd
with_popdns() { has popdns || has popdns-no-probes; }
with_endpoints() { has popdns || has gdnsd; }
ZONE="$ROOT/zones/hachyderm.io.zone"
ORIGIN=hachyderm.io
# launch_server asks dnsperf on CLIENT_CPU; the servers here are not pinned (an idle server's
# threads go where the kernel puts them, as in production)
CLIENT_CPU=0

# ---------------------------------------------------------------- what the run needs
pg_bin() { # the newest PostgreSQL's bin directory, or nothing
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}
need=(dnsperf:dnsperf taskset:util-linux ss:iproute2 curl:curl getconf:libc-bin python3:python3)
with_endpoints && need+=(nginx:nginx runuser:util-linux)
has nsd && need+=(nsd:nsd)
has gdnsd && need+=(gdnsd:gdnsd)
has popdns && ! command -v perf >/dev/null 2>&1 && need+=(strace:strace)
mapfile -t missing < <(missing_packages "${need[@]}")
if with_endpoints && [ -z "$(pg_bin)" ]; then missing+=(postgresql); fi
install_missing "commands" "${missing[@]}"
if with_endpoints; then
  PGBIN="$(pg_bin)"
  [ -n "$PGBIN" ] || die "no PostgreSQL under /usr/lib/postgresql/*/bin"
fi
if has gdnsd; then
  GDNSD_VERSION="$(gdnsd --help 2>&1 | awk '/^gdnsd version/ {print $3; exit}' || true)"
  case "$GDNSD_VERSION" in 3.*) ;; *) die "needs gdnsd 3.x (gdnsd --help says '${GDNSD_VERSION:-nothing}')" ;; esac
fi
if with_popdns; then
  [ -f "$GEOIP" ] || die "GeoIP database not found: $GEOIP (geoip/fetch-geolite2.sh fetches GeoLite2)"
  setup_popdns
fi
CLK_TCK="$(getconf CLK_TCK)"

start_work popdns-idle-bench
chmod 755 "$WORK" # PostgreSQL runs as postgres and needs to reach its directory inside
NOTE_STRIP="$ROOT/"
ENDPOINT_PIDS=()
# the probe targets' ports; 9 (discard, nothing listens) when no run needs the targets
NGINX_PORT=9 PUMA_PORT=9 PG_REPLICA_PORT=9 PG_PASSWORD_FILE="$WORK/pg-password"
idle_cleanup() {
  local rc=$?
  local p
  for p in "${ENDPOINT_PIDS[@]}"; do stop_endpoint "$p"; done
  (exit $rc)
  cleanup
}
trap idle_cleanup EXIT
cp "$ZONE" "$WORK/zones/"

# ---------------------------------------------------------------- the probe targets
# stop_endpoint PID: a PostgreSQL server (PID is its postmaster) gets SIGINT (fast shutdown),
# anything else SIGTERM; bounded, then SIGKILL (stop_pid)
stop_endpoint() {
  local pid=$1 i
  kill -INT "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  stop_pid "$pid"
}
wait_port() { # wait_port NAME PID PORT LOG: PORT listens on 127.0.0.1 within 30 s, or the run stops
  local i
  for i in $(seq 1 60); do
    kill -0 "$2" 2>/dev/null || { tail -20 "$4" >&2; die "$1 exited while starting (log above)"; }
    [ -n "$(ss -Hlnt "sport = :$3")" ] && return 0
    sleep 0.5
  done
  tail -20 "$4" >&2
  die "$1 did not listen on port $3 within 30 s (log above)"
}
# postmaster_pid DATA LAUNCHER_PID: the postmaster's pid from DATA/postmaster.pid (as root the
# launcher is runuser, whose child is the postmaster)
postmaster_pid() {
  local i
  for i in $(seq 1 60); do
    [ -s "$1/postmaster.pid" ] && { head -1 "$1/postmaster.pid"; return 0; }
    kill -0 "$2" 2>/dev/null || break
    sleep 0.5
  done
  die "no $1/postmaster.pid"
}
AS_PG=() # as root, PostgreSQL's commands run as the postgres user
[ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)
as_postgres() { "${AS_PG[@]}" "$@"; }

start_endpoints() {
  pick_port NGINX_PORT
  pick_port PUMA_PORT
  pick_port PG_PRIMARY_PORT
  pick_port PG_REPLICA_PORT
  local d="$WORK/nginx" a listen="" n
  mkdir -p "$d"
  for n in 1 2 3 4 5; do
    listen+="        listen 127.0.0.$n:$NGINX_PORT;"$'\n'"        listen 127.0.0.$n:$PUMA_PORT;"$'\n'
  done
  # nginx stands for both the PoP's nginx (/) and its Puma (/health answers OK), on 127.0.0.1-5
  cat >"$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server {
$listen        location = /health { default_type text/plain; return 200 "OK"; }
        location / { default_type text/plain; return 200 "nginx\n"; }
    }
}
EOF
  note "the probe targets: nginx (its nginx.conf under Commands)"
  note_cmd nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
  nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out.log" 2>&1 &
  ENDPOINT_PIDS+=($!)
  wait_port nginx $! "$NGINX_PORT" "$d/error.log"
  curl -sf -m 5 "http://127.0.0.3:$PUMA_PORT/health" | grep -qx OK || die "nginx does not answer OK on /health"

  # PostgreSQL: a primary and a streaming replica made with pg_basebackup -R (as PostgresPair does)
  local pg="$WORK/pg"
  mkdir -p "$pg"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$pg"
  note "the probe targets: PostgreSQL primary and streaming replica"
  note_cmd "$PGBIN/initdb" -D "$pg/primary" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C
  as_postgres "$PGBIN/initdb" -D "$pg/primary" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C >"$pg/initdb.log" 2>&1 \
    || { tail -20 "$pg/initdb.log" >&2; die "initdb failed"; }
  as_postgres tee "$pg/primary/pg_hba.conf" >/dev/null <<EOF
local all all trust
host replication postgres 127.0.0.1/32 trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.0/8 scram-sha-256
EOF
  as_postgres tee -a "$pg/primary/postgresql.conf" >/dev/null <<EOF

listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$pg'
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 30
max_wal_senders = 4
wal_level = replica
hot_standby = on
logging_collector = off
EOF
  as_postgres "$PGBIN/postgres" -D "$pg/primary" >"$pg/primary.log" 2>&1 &
  local launcher=$!
  ENDPOINT_PIDS=("$(postmaster_pid "$pg/primary" $launcher)" "${ENDPOINT_PIDS[@]}")
  wait_port "postgres primary" $launcher "$PG_PRIMARY_PORT" "$pg/primary.log"
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$PG_PASSWORD_FILE")
  timeout 30 "$PGBIN/psql" -q -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE popdns LOGIN PASSWORD '$(cat "$PG_PASSWORD_FILE")'" -c "GRANT pg_monitor TO popdns" >/dev/null \
    || die "could not create the popdns role"
  note_cmd "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$pg/replica" -R -X stream -c fast --no-sync
  timeout 60 "${AS_PG[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$pg/replica" -R -X stream -c fast --no-sync \
    >"$pg/basebackup.log" 2>&1 || { tail -20 "$pg/basebackup.log" >&2; die "pg_basebackup failed"; }
  as_postgres tee -a "$pg/replica/postgresql.conf" >/dev/null <<EOF

listen_addresses = '127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5'
port = $PG_REPLICA_PORT
unix_socket_directories = ''
EOF
  as_postgres "$PGBIN/postgres" -D "$pg/replica" >"$pg/replica.log" 2>&1 &
  launcher=$!
  ENDPOINT_PIDS=("$(postmaster_pid "$pg/replica" $launcher)" "${ENDPOINT_PIDS[@]}")
  wait_port "postgres replica" $launcher "$PG_REPLICA_PORT" "$pg/replica.log"
  local i
  for i in $(seq 1 60); do
    [ "$(timeout 5 "$PGBIN/psql" -qtA -h 127.0.0.1 -p "$PG_REPLICA_PORT" -U postgres -d postgres \
      -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ] && return 0
    sleep 0.5
  done
  die "the replica is not streaming within 30 s"
}

# ---------------------------------------------------------------- pops.yaml: 5 PoPs, 3 checks each
write_pops() {
  local lat=(50.47 52.37 39.04 37.55 1.35) lon=(12.37 4.90 -77.49 -121.99 103.82) i
  {
    echo "# run-idle.sh: 5 PoPs whose checks all reach loopback endpoints (probe-address 127.0.0.N);"
    echo "# the answer addresses (192.0.2.0/24) are data only"
    echo "pops:"
    for i in 0 1 2 3 4; do
      echo "  ${POPS[$i]}:"
      [ "$i" = 0 ] && echo "    hq: true"
      echo "    location: [${lat[$i]}, ${lon[$i]}]"
      echo "    addresses: [192.0.2.$((i + 1))]"
      echo "    probe-address: 127.0.0.$((i + 1))"
    done
    echo "checks:"
    echo "  nginx:   { http: \"http://{address}:$NGINX_PORT/\", host: hachyderm.io, expect: [200] }"
    echo "  puma:    { http: \"http://{address}:$PUMA_PORT/health\", body: \"OK\" }"
    echo "  replica: { postgres-replica: \"//{address}:$PG_REPLICA_PORT/postgres\", user: popdns,"
    echo "             password-file: $PG_PASSWORD_FILE, max-lag: 30s, sslmode: disable }"
    echo "names:"
    echo "  hachyderm.io.:       { ttl: 30, needs: [nginx, puma, replica] }"
    echo "  media.hachyderm.io.: { ttl: 30, needs: [nginx] }"
  } >"$WORK/zones/pops.yaml"
}

# ---------------------------------------------------------------- gdnsd (NSD: bench-lib.sh write_nsd_conf)
# gdnsd 3: the zone, plus one multifo resource over the five PoPs' probe addresses with the same
# three monitors as popdns's checks, at the same interval: http_status on nginx's / and on
# /health (it checks the status code only: gdnsd cannot match a body), tcp_connect on the
# replica's port (gdnsd cannot ask PostgreSQL for its lag). gdnsd monitors the addresses it
# answers with, so this resource answers 127.0.0.N: 15 monitors, as popdns's 15 (PoP, check) pairs.
write_gdnsd_conf() { # $1 dir, $2 port
  local dir=$1 port=$2 n addrs=""
  mkdir -p "$dir/zones" "$dir/run" "$dir/state"
  for n in 1 2 3 4 5; do addrs+="          pop$n => 127.0.0.$n"$'\n'; done
  cat >"$dir/config" <<EOF
# gdnsd 3 for run-idle.sh: one UDP and one TCP listener thread on loopback
options => {
  listen => [ 127.0.0.1:$port ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => "$dir/run"
  state_dir => "$dir/state"
}
service_types => {
  nginx => { plugin => http_status, port => $NGINX_PORT, url_path => "/", vhost => hachyderm.io, ok_codes => [ 200 ], interval => $INTERVAL, timeout => 1 }
  puma => { plugin => http_status, port => $PUMA_PORT, url_path => "/health", ok_codes => [ 200 ], interval => $INTERVAL, timeout => 1 }
  replica => { plugin => tcp_connect, port => $PG_REPLICA_PORT, interval => $INTERVAL, timeout => 1 }
}
plugins => {
  multifo => {
    pops => {
      service_types => [ nginx, puma, replica ]
      addrs_v4 => {
$addrs      }
    }
  }
}
EOF
  { cat "$WORK/zones/$ORIGIN.zone"; echo "; added by run-idle.sh: a name answered by the monitored resource"; echo "pops 30 DYNA multifo!pops"; } \
    >"$dir/zones/$ORIGIN"
  gdnsd -c "$dir" checkconf >"$dir/checkconf.log" 2>&1 || { cat "$dir/checkconf.log" >&2; die "gdnsd checkconf rejected $dir/config"; }
}

# ---------------------------------------------------------------- the servers
# start_server NAME PORT: sets SERVER_PID, SERVER_CMD, SERVER_LOG, HTTP_PORT (popdns)
start_server() {
  local name=$1 port=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  SERVER_LOG="$dir/server.log"
  HTTP_PORT=""
  case "$name" in
    popdns | popdns-no-probes)
      pick_port HTTP_PORT
      # shellcheck disable=SC2206 # BENCH_POPDNS_FLAGS is a list of flags
      SERVER_CMD=("$JAVA" "${JVM_FLAGS[@]}" ${BENCH_POPDNS_FLAGS:-} -jar "$JAR" serve
        --zones "$WORK/zones" --listen "127.0.0.1:$port" --http "127.0.0.1:$HTTP_PORT" --geoip "$GEOIP")
      [ "$name" = popdns-no-probes ] && SERVER_CMD+=(--no-probes) ;;
    nsd)
      write_nsd_conf "$dir" "$port" "$WORK/zones" # bench-lib.sh's
      SERVER_CMD=(nsd -d -c "$dir/nsd.conf") ;;
    gdnsd)
      write_gdnsd_conf "$dir" "$port"
      SERVER_CMD=(gdnsd -c "$dir" start) ;;
  esac
  note "$name: the server"
  note_cmd "${SERVER_CMD[@]}"
  launch_server "$name" "$port" "${HTTP_PORT:+http://127.0.0.1:$HTTP_PORT/api/v1/status}"
}

# all_up: every check of every PoP is UP in popdns's /api/v1/status; prints "up/all"
all_up() {
  curl -sf -m 5 "http://127.0.0.1:$HTTP_PORT/api/v1/status" | python3 -c '
import json, sys
pops = json.load(sys.stdin)["pops"]
states = [c["state"] for p in pops for c in p["checks"].values()]
print("%d/%d" % (states.count("up"), len(states)))
sys.exit(0 if states and all(s == "up" for s in states) else 1)'
}
wait_all_up() {
  local i last=""
  for i in $(seq 1 $((READY_SECONDS * 2))); do
    last="$(all_up || true)"
    all_up >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "popdns exited while its probes started (log: $SERVER_LOG)"
    sleep 0.5
  done
  die "not every check UP within $READY_SECONDS s (UP: ${last:-none}; log: $SERVER_LOG)"
}

# task_snapshot PID FILE: a line per thread of the process tree: "tid runtime_ns voluntary
# involuntary name" (run time from schedstat, the switches from status)
task_snapshot() {
  local p t run vol inv comm
  for p in $(tree_pids "$1"); do
    for t in /proc/"$p"/task/*; do
      read -r run _ <"$t/schedstat" 2>/dev/null || continue
      vol="$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null)" || continue
      inv="$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status" 2>/dev/null)" || continue
      comm="$(cat "$t/comm" 2>/dev/null)" || continue
      echo "${t##*/} $run ${vol:-0} ${inv:-0} ${comm// /_}"
    done
  done >"$2"
}

# measure NAME: the server idle for SETTLE_SECONDS, then IDLE_SECONDS measured; a line of facts in
# results.txt and the per-thread deltas in NAME-threads.txt
measure() {
  local name=$1 port
  pick_port port
  say "$name on 127.0.0.1:$port (load $(loadavg))"
  start_server "$name" "$port"
  [ "$name" = popdns ] && wait_all_up
  sleep "$SETTLE_SECONDS"
  kill -0 "$SERVER_PID" 2>/dev/null || die "$name exited (log: $SERVER_LOG)"
  local u0 s0 u1 s1 t0 t1 ld0 ld1
  ld0="$(loadavg)"
  task_snapshot "$SERVER_PID" "$WORK/out/$name-t0.txt"
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID"); t0="$(date +%s.%N)"
  sleep "$IDLE_SECONDS"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID"); t1="$(date +%s.%N)"
  task_snapshot "$SERVER_PID" "$WORK/out/$name-t1.txt"
  ld1="$(loadavg)"
  local secs threads
  secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')"
  threads="$(wc -l <"$WORK/out/$name-t1.txt")"
  # per thread: run time and switches over the window (a thread born in it counts from 0)
  awk 'NR == FNR { r[$1] = $2; v[$1] = $3; i[$1] = $4; next }
       { printf "%s %d %d %s\n", $1, ($2 - r[$1]) / 1000, ($3 + $4) - (v[$1] + i[$1]), $5 }' \
    "$WORK/out/$name-t0.txt" "$WORK/out/$name-t1.txt" >"$WORK/out/$name-threads.txt"
  local cs
  cs="$(awk '{s += $3} END {print s + 0}' "$WORK/out/$name-threads.txt")"
  echo "server=$name secs=$secs du=$((u1 - u0)) ds=$((s1 - s0)) cs=$cs rss=$(rss_kb "$SERVER_PID") threads=$threads" \
    "load0=${ld0// /,} load1=${ld1// /,}" >>"$WORK/results.txt"
  [ "$name" = popdns ] && [ "$PROFILE_SECONDS" -gt 0 ] && profile_idle
  stop_server
}

# ---------------------------------------------------------------- what wakes popdns (probes on)
# syscall_count SECONDS: the system calls of every thread, by kind, into out/syscalls.txt
syscall_count() {
  local secs=$1
  if command -v perf >/dev/null 2>&1 && (ulimit -n "$(ulimit -Hn)" && timeout 10 perf stat -e 'syscalls:sys_enter_futex' -p "$SERVER_PID" -- sleep 0.2) >/dev/null 2>&1; then
    local cmd=(perf stat -x, -e 'syscalls:sys_enter_*' -p "$SERVER_PID" -- sleep "$secs")
    note "perf stat -x, -e 'syscalls:sys_enter_*' -p PID -- sleep $secs"
    (ulimit -n "$(ulimit -Hn)" && timeout $((secs + 60)) "${cmd[@]}") 2>"$WORK/out/perf-syscalls.csv" >/dev/null \
      || { tail -5 "$WORK/out/perf-syscalls.csv" >&2; die "perf stat failed"; }
    awk -F, -v d="$secs" '$3 ~ /sys_enter_/ && $1 ~ /^[0-9]+$/ && $1 > 0 { n = $3; sub(/.*sys_enter_/, "", n); printf "%9.1f  %s\n", $1 / d, n; t += $1 }
      END { printf "%9.1f  %s\n", t / d, "(all system calls)" }' "$WORK/out/perf-syscalls.csv" | sort -k1,1gr | awk 'NR <= 16' >"$WORK/out/syscalls.txt"
    SYSCALL_TOOL="perf stat -e 'syscalls:sys_enter_*' -p PID, ${secs} s"
  else
    local cmd=(strace -c -f -qq -p "$SERVER_PID")
    note "timeout -s INT $secs strace -c -f -qq -p PID"
    timeout -s INT "$secs" "${cmd[@]}" 2>"$WORK/out/strace.txt" || true
    awk -v d="$secs" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "%9.1f  %s\n", $4 / d, $NF; t += $4 }
      END { printf "%9.1f  %s\n", t / d, "(all system calls)" }' "$WORK/out/strace.txt" | sort -k1,1gr | awk 'NR <= 16' >"$WORK/out/syscalls.txt"
    SYSCALL_TOOL="strace -c -f -p PID, ${secs} s (strace slows every call: counts only)"
  fi
}

by_thread() { # CPU-time samples by thread (name without its trailing number)
  awk '/eventThread = / { t = $0; sub(/.*eventThread = "/, "", t); sub(/".*/, "", t); sub(/-?[0-9]+$/, "", t); c[t]++; total++ }
       END { for (t in c) printf "%6.1f%%  %6d  %s\n", 100 * c[t] / total, c[t], t }' "$1" | sort -k2,2nr | awk -v n="$2" 'NR <= n'
}
profile_idle() {
  local secs=$PROFILE_SECONDS jfr="$WORK/popdns-idle.jfr"
  say "profile: system calls, then JFR over ${secs}s of the idle server"
  note "profile: system calls of the idle server (popdns with probes), then the JFR recording"
  syscall_count "$((secs < 30 ? secs : 30))"
  local jfr_opts=(settings=profile "jdk.CPUTimeSample#enabled=true" "jdk.CPUTimeSample#throttle=1ms")
  local cmd=("$JAVA_HOME/bin/jcmd" "$SERVER_PID" JFR.start name=idle "duration=${secs}s" "filename=$jfr" "${jfr_opts[@]}")
  note_cmd "${cmd[@]}"
  "${cmd[@]}" >>"$WORK/out/jcmd.txt" 2>&1 || { cat "$WORK/out/jcmd.txt" >&2; die "jcmd JFR.start failed"; }
  sleep "$secs"
  local i
  for i in $(seq 1 60); do
    if [ -s "$jfr" ] && ! "$JAVA_HOME/bin/jcmd" "$SERVER_PID" JFR.check 2>/dev/null | grep -q 'name=idle'; then break; fi
    sleep 0.5
  done
  [ -s "$jfr" ] || die "no JFR recording was written ($jfr)"
  local jfrtool="$JAVA_HOME/bin/jfr"
  note_cmd "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$jfr"
  "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$jfr" >"$WORK/out/cpu-samples.txt"
  {
    echo "System calls per second by kind, popdns with probes, idle ($SYSCALL_TOOL):"
    echo
    code_block cat "$WORK/out/syscalls.txt"
    echo
    echo "JFR over ${secs} s of the same idle server (settings=profile, jdk.CPUTimeSample every 1 ms of a"
    echo "thread's CPU time; the recorder's own threads included). By thread:"
    echo
    code_block by_thread "$WORK/out/cpu-samples.txt" 12
    echo
    echo "By top frame (package, or the native method for system calls):"
    echo
    code_block top_frames "$WORK/out/cpu-samples.txt" 16
    echo
    echo "Inclusive share (a method anywhere on the stack), popdns and library code, top 25:"
    echo
    code_block inclusive "$WORK/out/cpu-samples.txt" 25 'dev\.popdns|io\.netty|org\.postgresql|io\.micrometer|java\.net\.http|jdk\.internal\.net\.http'
  } >"$PROFILE_MD"
}

# ---------------------------------------------------------------- the runs
START_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_START="$(loadavg)"
SECONDS=0
PROFILE_MD="$WORK/profile.md"
echo "No profile in this run (BENCH_PROFILE_SECONDS=0 or popdns not in BENCH_SERVERS)." >"$PROFILE_MD"
: >"$WORK/results.txt"
if with_endpoints; then
  say "starting the probe targets: nginx, PostgreSQL primary and replica"
  start_endpoints
fi
if with_popdns; then
  write_pops
  "$JAVA" "${JVM_FLAGS[@]}" -jar "$JAR" check "$WORK/zones" >"$WORK/out/check.txt" 2>&1 \
    || { cat "$WORK/out/check.txt" >&2; die "popdns check rejected the generated pops.yaml"; }
fi
for s in $SERVERS; do measure "$s"; done
LOAD_END="$(loadavg)"
ELAPSED=$SECONDS

# ---------------------------------------------------------------- the report
SECTION="$WORK/section.md"
{
  echo "<!-- run-idle:begin (written by src/test/bench/run-idle.sh; edits here are overwritten) -->"
  echo "## Results: idle, no queries (run-idle.sh)"
  echo
  echo "$START_DATE, ${ELAPSED} s; load average (1, 5, 15 min) at the start $LOAD_START, at the end $LOAD_END."
  echo "Each server idle ${IDLE_SECONDS} s after ${SETTLE_SECONDS} s of settling (popdns with probes: after every"
  echo "check is UP), no query in the window. \`$(bench_env BENCH_QUICK BENCH_IDLE_SECONDS BENCH_SETTLE_SECONDS BENCH_PROFILE_SECONDS BENCH_SERVERS BENCH_JAR BENCH_POPDNS_FLAGS)src/test/bench/run-idle.sh\`"
  echo
  echo "| server | CPU % of one core | CPU ms/s | kernel share | wake-ups/s (context switches) | RSS MiB | threads | load avg (1 min) before / after |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  awk -v t="$CLK_TCK" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); d[kv[1]] = kv[2] }
      c = (d["du"] + d["ds"]) / t; split(d["load0"], a, ","); split(d["load1"], b, ",")
      label = d["server"] == "popdns" ? "popdns, probes (15 per 2 s)" : d["server"] == "gdnsd" ? "gdnsd, 15 monitors per 2 s" : d["server"]
      printf "| %s | %.2f | %.1f | %s | %.0f | %.0f | %d | %s / %s |\n", label, 100 * c / d["secs"], 1000 * c / d["secs"],
        (d["du"] + d["ds"] > 0 ? sprintf("%.0f%%", 100 * d["ds"] / (d["du"] + d["ds"])) : "-"), d["cs"] / d["secs"], d["rss"] / 1024, d["threads"], a[1], b[1] }' \
    "$WORK/results.txt"
  echo
  echo "CPU from utime+stime of /proc/PID/stat (clock ticks of 1/$CLK_TCK s, all threads and child processes);"
  echo "wake-ups: voluntary + involuntary context switches summed over every thread (/proc/PID/task/*/status)."
  echo "popdns-no-probes: the same zones and pops.yaml with \`--no-probes\`. NSD and gdnsd serve the same zone"
  echo "file; gdnsd monitors the same 15 endpoints (5 addresses x nginx /, /health, the replica's TCP port) at"
  echo "${INTERVAL} s with http_status and tcp_connect: no body match and no replication-lag query, which popdns does."
  echo
  echo "Threads by CPU over the window (run time from /proc/PID/task/*/schedstat; name without its trailing"
  echo "number; switches = context switches, each one a wake-up of that thread):"
  echo
  for s in $SERVERS; do
    [ -f "$WORK/out/$s-threads.txt" ] || continue
    echo "$s:"
    echo
    echo '```'
    awk -v d="$IDLE_SECONDS" '{ n = $4; sub(/-?[0-9]+$/, "", n); us[n] += $2; cs[n] += $3; k[n]++ }
      END { for (n in us) printf "%9.2f ms/s %8.1f switches/s %3d thread(s)  %s\n", us[n] / 1000 / d, cs[n] / d, k[n], n }' \
      "$WORK/out/$s-threads.txt" | sort -k1,1gr | awk 'NR <= 12'
    echo '```'
    echo
  done
  echo "### What wakes popdns with probes, idle"
  echo
  cat "$PROFILE_MD"
  echo
  echo "### Machine and versions"
  echo
  echo '```'
  machine_versions "${BENCH_POPDNS_FLAGS:+ $BENCH_POPDNS_FLAGS}"
  has nsd && nsd -v 2>&1 | sed -n 1p | sed 's/^/nsd: /'
  has gdnsd && echo "gdnsd $GDNSD_VERSION"
  with_endpoints && echo "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'); PostgreSQL: $("$PGBIN/postgres" --version)"
  echo '```'
  echo
  echo "### Commands"
  echo
  echo '```'
  cat "$WORK/commands.txt"
  echo '```'
  if [ -f "$WORK/zones/pops.yaml" ]; then
    echo
    echo "popdns's pops.yaml (the zone is zones/$ORIGIN.zone):"
    echo
    echo '```'
    sed "s|$WORK|\$WORK|g" "$WORK/zones/pops.yaml"
    echo '```'
  fi
  if [ -f "$WORK/nginx/nginx.conf" ]; then
    echo
    echo "nginx.conf (nginx stands for the PoPs' nginx and Puma):"
    echo
    echo '```'
    sed "s|$WORK|\$WORK|g" "$WORK/nginx/nginx.conf"
    echo '```'
  fi
  if [ -f "$WORK/gdnsd/config" ]; then
    echo
    echo "gdnsd's config:"
    echo
    echo '```'
    sed "s|$WORK|\$WORK|g" "$WORK/gdnsd/config"
    echo '```'
  fi
  echo "<!-- run-idle:end -->"
} >"$SECTION"
publish_section run-idle "# Benchmarks\n"
