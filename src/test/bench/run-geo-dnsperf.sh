#!/usr/bin/env bash
# run-geo-dnsperf.sh: the geo-routed answer path under dnsperf, popdns vs gdnsd 3 (its geoip plugin
# in city-auto mode) serving the same PoPs on loopback, and NSD serving the same zone with the HQ's
# records as static ones (the plain authoritative reference: it ignores ECS), each server pinned to
# CPU 0 and dnsperf to CPU 1. Every query of the main file carries EDNS Client Subnet for a different real network (from
# the GeoLite2 City database, fixed seed: make-ecs-queries.py), and a second file asks the same
# questions without the option. For each server it reports the CPU time per answered query (from
# /proc/PID/stat), the QPS of one dnsperf at full speed and the latency percentiles at a fixed
# offered rate, with and without ECS, and the cost of the first pass through the file (every subnet
# new to the server), with the hypervisor's steal time during each run (a shared VM's tails follow it); for popdns the share of client-table lookups that placed the client (metrics);
# whether both servers pick the same PoP for a sample of the queries; then JFR profiles of popdns
# under the ECS load (first pass, and the steady state). It writes the results between the
# run-geo-dnsperf markers of BENCHMARKS.md (or BENCH_OUTPUT).
#
# usage: src/test/bench/run-geo-dnsperf.sh                 (full run, about 5.5 minutes on 2 cores)
#        BENCH_QUICK=1 src/test/bench/run-geo-dnsperf.sh   (about 1.5 minutes; prints, does not write)
#
# Settings (environment): BENCH_QUICK=1, BENCH_ROUNDS (3; rounds interleave the servers),
# BENCH_WARMUP (5 s of full-speed load without ECS before measuring), BENCH_MAX_SECONDS (8),
# BENCH_RATE (20000 queries/s for the latency runs), BENCH_RATE_SECONDS (8),
# BENCH_PROFILE_SECONDS (15; 0 = no JFR profile), BENCH_QUERIES (100000 queries, each with its own
# subnet), BENCH_SEED (7871), BENCH_V6_SHARE (0.3 of the subnets are IPv6 /56, the rest IPv4 /24),
# BENCH_AGREE_SAMPLE (10000 queries asked of both servers; 0 = no check), BENCH_SERVERS
# ("popdns gdnsd nsd"), BENCH_ZONES (zones/: the zone file and pops.yaml), BENCH_GEOIP
# (geoip/data/GeoLite2-City.mmdb), BENCH_PORT (first port tried, 25453), BENCH_JAR (a popdns.jar to
# run instead of building the work tree's with ./popdns build), BENCH_JAR_NOTE (what that jar was
# built from, for the report), BENCH_POPDNS_FLAGS (extra JVM flags for popdns), BENCH_OUTPUT
# (BENCHMARKS.md), BENCH_WRITE (1 = update BENCH_OUTPUT; default 1, 0 when quick), BENCH_KEEP=1
# keeps the temporary directory (logs, every dnsperf output, the query files, the JFR recordings).
#
# Needs 2 CPUs, dnsperf, gdnsd (3.x), nsd, taskset, ss, curl, python3 with the maxminddb and yaml modules
# (Debian python3-maxminddb, python3-yaml) and a JDK >= 21 (jcmd and jfr for the profile); as root
# it installs the missing Debian packages, otherwise it names them and stops. Every load is bounded
# in time (dnsperf -l, under `timeout`) and in count (dnsperf -n; the agreement check asks a fixed
# number of queries, one at a time, with a time limit); all traffic goes to 127.0.0.1. The ECS
# options carry real networks' addresses: they are data inside the queries, never destinations.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
ME="run-geo-dnsperf.sh"
# shellcheck source=src/test/bench/bench-lib.sh
source "$HERE/bench-lib.sh"

# defaults, quick and full: rounds; warm-up, full speed, fixed rate, profile (seconds); write
bench_settings "1 3 3 3 5 0" "3 5 8 8 15 1"
d_sample=10000
if [ "$QUICK" = 1 ]; then d_sample=2000; fi
QUERY_COUNT="${BENCH_QUERIES:-100000}"
SEED="${BENCH_SEED:-7871}"
V6_SHARE="${BENCH_V6_SHARE:-0.3}"
AGREE_SAMPLE="${BENCH_AGREE_SAMPLE:-$d_sample}"
SERVERS="${BENCH_SERVERS:-popdns gdnsd nsd}"
ZONES="${BENCH_ZONES:-$ROOT/zones}"
GEOIP="${BENCH_GEOIP:-$ROOT/geoip/data/GeoLite2-City.mmdb}"
OUT="${BENCH_OUTPUT:-$ROOT/BENCHMARKS.md}"
NEXT_PORT="${BENCH_PORT:-25453}"
FIRST_PASS_LIMIT=90   # seconds: the first pass (-n 1) stops here however slow the server is

whole_numbers ROUNDS WARMUP MAX_SECONDS RATE RATE_SECONDS PROFILE_SECONDS QUERY_COUNT SEED AGREE_SAMPLE NEXT_PORT
[[ "$V6_SHARE" =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]] || die "BENCH_V6_SHARE must be 0..1, got '$V6_SHARE'"
[ "$ROUNDS" -ge 1 ] && [ "$MAX_SECONDS" -ge 1 ] && [ "$RATE" -ge 1 ] && [ "$RATE_SECONDS" -ge 1 ] \
  && [ "$QUERY_COUNT" -ge 100 ] \
  || die "BENCH_ROUNDS, BENCH_MAX_SECONDS, BENCH_RATE, BENCH_RATE_SECONDS must be at least 1, BENCH_QUERIES at least 100"
known_servers popdns gdnsd nsd
[ -f "$ZONES/pops.yaml" ] || die "no pops.yaml in $ZONES"
ZONE_FILES=("$ZONES"/*.zone)
[ ${#ZONE_FILES[@]} -eq 1 ] && [ -f "${ZONE_FILES[0]}" ] || die "expected exactly one *.zone file in $ZONES"
ZONE="${ZONE_FILES[0]}"
ORIGIN="$(basename "$ZONE" .zone)"
ORIGIN="${ORIGIN%.}"

# ---------------------------------------------------------------- what the run needs
need_two_cpus

# a python3 that has the maxminddb module (Debian's is /usr/bin/python3; PATH may name another)
find_python() {
  local p
  for p in "$(command -v python3 2>/dev/null || true)" /usr/bin/python3; do
    [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import maxminddb, yaml' 2>/dev/null && { PY="$p"; return 0; }
  done
  return 1
}
need=(dnsperf:dnsperf taskset:util-linux ss:iproute2 curl:curl getconf:libc-bin)
has gdnsd && need+=(gdnsd:gdnsd)
has nsd && need+=(nsd:nsd nsd-checkconf:nsd)
mapfile -t missing < <(missing_packages "${need[@]}")
if ! find_python; then
  missing+=(python3)
  /usr/bin/python3 -c 'import maxminddb' 2>/dev/null || missing+=(python3-maxminddb)
  /usr/bin/python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
fi
if [ ${#missing[@]} -gt 0 ]; then
  install_missing "commands or modules" "${missing[@]}"
  find_python || die "no python3 with the maxminddb and yaml modules after installing them"
fi
can_pin
if has gdnsd; then
  GDNSD_VERSION="$(gdnsd --help 2>&1 | awk '/^gdnsd version/ {print $3; exit}' || true)"
  case "$GDNSD_VERSION" in 3.*) ;; *) die "needs gdnsd 3.x (gdnsd --help says '${GDNSD_VERSION:-nothing}')" ;; esac
fi
if [ ! -f "$GEOIP" ]; then
  if [ "$GEOIP" = "$ROOT/geoip/data/GeoLite2-City.mmdb" ]; then
    say "no $GEOIP: fetching it with geoip/fetch-geolite2.sh"
    "$ROOT/geoip/fetch-geolite2.sh" >&2 || die "geoip/fetch-geolite2.sh failed"
  fi
  [ -f "$GEOIP" ] || die "GeoIP database not found: $GEOIP"
fi

if has popdns; then setup_popdns; fi
CLK_TCK="$(getconf CLK_TCK)"

# ---------------------------------------------------------------- scratch space and cleanup (start_work)
start_work popdns-geo-bench
NOTE_STRIP="$ROOT/" # note_cmd writes the work tree's paths relative to it
# popdns serves a copy, so that edits to the work tree's zones/ cannot reload it mid-run
cp "$ZONE" "$ZONES/pops.yaml" "$WORK/zones/"
: >"$WORK/phases.txt"
: >"$WORK/notes.txt"

say "writing $QUERY_COUNT ECS queries (seed $SEED) from $(basename "$GEOIP")"
GEN=("$PY" "$HERE/make-ecs-queries.py" generate --db "$GEOIP" --pops "$WORK/zones/pops.yaml" --origin "$ORIGIN"
  --count "$QUERY_COUNT" --seed "$SEED" --v6-share "$V6_SHARE"
  --ecs "$WORK/ecs.bin" --plain "$WORK/plain.bin" --meta "$WORK/queries.tsv" --ecs-new "$WORK/ecs-new.bin")
note "the query files"
note_cmd "${GEN[@]}"
"${GEN[@]}" >"$WORK/queries-summary.txt" || die "could not write the query files"
cat "$WORK/queries-summary.txt" >&2
"$PY" "$HERE/make-ecs-queries.py" pops "$WORK/zones/pops.yaml" >"$WORK/pops.tsv" || die "could not read pops.yaml"

# ---------------------------------------------------------------- gdnsd's configuration
# The PoPs of pops.yaml as one geoip map in city-auto mode (great-circle distance to the same
# coordinates as popdns), one resource per geo name, DYNA records for the geo names in a copy of the
# zone file. service_types => up: the static "always up" state, no health probes (popdns runs with
# --no-probes). What popdns has and this configuration cannot express is named in the report.
write_gdnsd_conf() { # $1 dir, $2 port
  local dir=$1 port=$2
  mkdir -p "$dir/zones" "$dir/run" "$dir/state"
  local dcs="" coords="" dcmap="" id hq lat lon v4 v6 bias state
  while IFS=$'\t' read -r id hq lat lon v4 v6 bias state; do
    case "$id" in \#*) continue ;; esac
    if [ "$hq" = 1 ]; then dcs="$id${dcs:+, $dcs}"; else dcs="${dcs:+$dcs, }$id"; fi
    coords+="          $id => [ $lat, $lon ]"$'\n'
    local a4="" a6=""
    [ "$v4" != "-" ] && a4="addrs_v4 => [ ${v4//,/, } ]"
    [ "$v6" != "-" ] && a6="addrs_v6 => [ \"${v6//,/\", \"}\" ]"
    dcmap+="          $id => { $a4${a4:+${a6:+, }}$a6 }"$'\n'
    [ "$GDNSD_NOTES" = 1 ] || continue
    [ "$bias" != 0 ] && echo "- gdnsd: PoP $id has bias $bias in pops.yaml, which gdnsd's map here does not express." >>"$WORK/notes.txt"
    [ "$state" != active ] && echo "- gdnsd: PoP $id is drained in pops.yaml, which gdnsd's map here does not express." >>"$WORK/notes.txt"
    { [ "$v4" = "-" ] || [ "$v6" = "-" ]; } && echo "- PoP $id lacks an address family: popdns skips it for that family, gdnsd's answer differs." >>"$WORK/notes.txt"
  done <"$WORK/pops.tsv"
  local resources="" records="" name ttl over rel res
  while IFS=$'\t' read -r _ name ttl over; do
    res="$(echo "${name%.}" | tr -c 'a-zA-Z0-9\n' '_')"
    rel="${name%.}"
    rel="${rel%"$ORIGIN"}"
    rel="${rel%.}"
    [ -z "$rel" ] && rel="@"
    resources+="      $res => {"$'\n'"        map => pops"$'\n'"        dcmap => {"$'\n'"$dcmap        }"$'\n'"      }"$'\n'
    records+="$rel $ttl DYNA geoip!$res"$'\n'
    [ "$GDNSD_NOTES" = 1 ] && [ "$over" != "-" ] && echo "- gdnsd: $name has country/continent overrides in pops.yaml, which gdnsd's map here does not express." >>"$WORK/notes.txt"
  done < <(grep '^#name' "$WORK/pops.tsv")
  cat >"$dir/config" <<EOF
# gdnsd 3 for run-geo-dnsperf.sh: one UDP and one TCP listener thread on loopback, run and state
# directories in the temporary directory. gdnsd 3 has no HTTP stats listener (gdnsdctl uses the
# control socket in run_dir).
options => {
  listen => [ 127.0.0.1:$port ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => "$dir/run"
  state_dir => "$dir/state"
}
plugins => {
  geoip => {
    service_types => up
    maps => {
      pops => {
        geoip2_db => "$GEOIP"
        datacenters => [ $dcs ]
        auto_dc_coords => {
$coords        }
      }
    }
    resources => {
$resources    }
  }
}
EOF
  { cat "$WORK/zones/$(basename "$ZONE")"; echo "; added by run-geo-dnsperf.sh: the geo names, answered by gdnsd's geoip plugin"; printf '%s' "$records"; } \
    >"$dir/zones/$ORIGIN"
  gdnsd -c "$dir" checkconf >"$dir/checkconf.log" 2>&1 || { cat "$dir/checkconf.log" >&2; die "gdnsd checkconf rejected $dir/config"; }
}
# checked once before the runs; the notes about what it cannot express are written then only
GDNSD_NOTES=1
if has gdnsd; then write_gdnsd_conf "$WORK/gdnsd-check" 53; fi
GDNSD_NOTES=0

# ---------------------------------------------------------------- NSD's configuration
# NSD as the reference for plain authoritative serving: the same zone with each geo name's
# HQ records as static A/AAAA (NSD ignores the ECS option and answers every client alike), one
# server process, RRL off, minimal responses (the answer sizes of the others).
nsd_zone() { # $1 dir: the zone with the geo names' HQ records static, in DIR/zones
  local dir=$1 id hq lat lon v4 v6 bias state name ttl over rel records="" a4="" a6="" a
  mkdir -p "$dir/zones"
  while IFS=$'\t' read -r id hq lat lon v4 v6 bias state; do
    case "$id" in \#*) continue ;; esac
    [ "$hq" = 1 ] || continue
    a4="${v4//,/ }"
    a6="${v6//,/ }"
  done <"$WORK/pops.tsv"
  while IFS=$'\t' read -r _ name ttl over; do
    rel="${name%.}"
    rel="${rel%"$ORIGIN"}"
    rel="${rel%.}"
    [ -z "$rel" ] && rel="@"
    for a in $a4; do [ "$a" != "-" ] && records+="$rel $ttl IN A $a"$'\n'; done
    for a in $a6; do [ "$a" != "-" ] && records+="$rel $ttl IN AAAA $a"$'\n'; done
  done < <(grep '^#name' "$WORK/pops.tsv")
  { cat "$WORK/zones/$(basename "$ZONE")"; echo "; added by run-geo-dnsperf.sh: the geo names' HQ records, static"; printf '%s' "$records"; } \
    >"$dir/zones/$ORIGIN.zone"
}

# ---------------------------------------------------------------- the servers
# start_server NAME PORT: sets SERVER_PID, SERVER_CMD, SERVER_LOG, HTTP_PORT (popdns)
start_server() {
  local name=$1 port=$2 dir="$WORK/$1-$2"
  mkdir -p "$dir"
  SERVER_LOG="$dir/server.log"
  HTTP_PORT=""
  GC_LOG=""
  case "$name" in
    popdns)
      pick_port HTTP_PORT
      # every collection's pause with its wall-clock time, to find the longest in each measured run
      GC_LOG="$dir/gc.log"
      # shellcheck disable=SC2206 # BENCH_POPDNS_FLAGS is a list of flags
      SERVER_CMD=(taskset -c "$SERVER_CPU" "$JAVA" "${JVM_FLAGS[@]}" "-Xlog:gc:file=$GC_LOG:time" ${BENCH_POPDNS_FLAGS:-} -jar "$JAR" serve
        --zones "$WORK/zones" --listen "127.0.0.1:$port" --http "127.0.0.1:$HTTP_PORT" --geoip "$GEOIP" --no-probes) ;;
    gdnsd)
      write_gdnsd_conf "$dir" "$port"
      SERVER_CMD=(taskset -c "$SERVER_CPU" gdnsd -c "$dir" start) ;;
    nsd)
      nsd_zone "$dir"
      write_nsd_conf "$dir" "$port" "$dir/zones"
      SERVER_CMD=(taskset -c "$SERVER_CPU" nsd -d -c "$dir/nsd.conf") ;;
  esac
  launch_server "$name" "$port" "${HTTP_PORT:+http://127.0.0.1:$HTTP_PORT/api/v1/status}"
}

jit_ticks() { # utime+stime of the JVM's JIT compiler threads (0 for other servers)
  local t=0 d f
  for d in /proc/"$1"/task/*; do
    case "$(cat "$d/comm" 2>/dev/null)" in
      C1\ Compiler*|C2\ Compiler*)
        read -r -a f < <(sed 's/^.*) //' "$d/stat" 2>/dev/null) || continue
        t=$((t + f[11] + f[12])) ;;
    esac
  done
  echo "$t"
}

geo_stats() { # "located unknown": popdns's client-table lookups, from /metrics ("- -" for gdnsd)
  if [ -z "$HTTP_PORT" ]; then echo "- -"; return; fi
  curl -sf -m 5 "http://127.0.0.1:$HTTP_PORT/metrics" \
    | awk '/^popdns_geoip_lookups_total\{result="located"\}/ {l = $2} /^popdns_geoip_lookups_total\{result="unknown"\}/ {u = $2}
           END { if (l == "" || u == "") print "- -"; else printf "%d %d\n", l, u }' \
    || echo "- -"
}

load1() { cut -d' ' -f1 /proc/loadavg; }
# CPU time the hypervisor gave other guests while this one wanted it, in clock ticks, all CPUs
# (/proc/stat "steal"; 0 on bare metal): on a shared VM it is what drives the latency tails
steal_ticks() { awk '/^cpu / {print $9; exit}' /proc/stat; }

gc_pauses() { # gc_pauses LOG FROM TO: "count longest_ms" of the pauses logged between two epoch times
  [ -n "$1" ] && [ -f "$1" ] || { echo "- -"; return; }
  "$PY" - "$@" <<'GCEOF'
import re, sys
from datetime import datetime
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
n, longest = 0, 0.0
for line in open(log, errors="replace"):
    m = re.match(r"\[(\S+?)\].*Pause .* ([0-9.]+)ms$", line.strip())
    if not m:
        continue
    at = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    if t0 <= at <= t1:
        n, longest = n + 1, max(longest, float(m.group(2)))
print(n, "%.2f" % longest)
GCEOF
}

# phase SERVER ROUND PHASE FILE SECONDS [dnsperf args...]: one measured dnsperf run; appends a line
# of key=value facts to phases.txt
phase() {
  local name=$1 round=$2 ph=$3 file=$4 secs=$5
  shift 5
  local u0 s0 u1 s1 j0 j1 g0 g1 t0 t1 ld st0 st1
  ld="$(load1)"
  read -r g0 < <(geo_stats)
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID"); j0="$(jit_ticks "$SERVER_PID")"; t0="$(date +%s.%N)"; st0="$(steal_ticks)"
  run_dnsperf "$name-$round-$ph" "$file" "$secs" "$@"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID"); j1="$(jit_ticks "$SERVER_PID")"; t1="$(date +%s.%N)"; st1="$(steal_ticks)"
  read -r g1 < <(geo_stats)
  local gcn gcmax
  read -r gcn gcmax < <(gc_pauses "$GC_LOG" "$t0" "$t1")
  local lat="- - - -"
  case " $* " in *" -v "*) lat="$(latencies "$DP_OUT")" ;; esac
  local p50 p99 p999 pmax
  read -r p50 p99 p999 pmax <<<"$lat"
  local resp codes
  resp="$(dp_resp "$DP_OUT")"
  codes="$(dp_codes "$DP_OUT")"
  codes="${codes// /_}"
  echo "server=$name round=$round phase=$ph load=$ld done=$(dp_field 'Queries completed' "$DP_OUT")" \
    "lost=$(dp_field 'Queries lost' "$DP_OUT") qps=$(dp_field 'Queries per second' "$DP_OUT")" \
    "du=$((u1 - u0)) ds=$((s1 - s0)) jit=$((j1 - j0)) steal=$((st1 - st0)) secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" \
    "geo0=${g0// /,} geo1=${g1// /,} gcn=$gcn gcmax=$gcmax p50=$p50 p99=$p99 p999=$p999 pmax=$pmax resp=${resp:--} codes=${codes:--}" >>"$WORK/phases.txt"
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "- $name, round $round: the server exited during $ph; the end of its log: \`$(tail -2 "$SERVER_LOG" | tr '\n' ' ' | sed 's/`//g')\`" >>"$WORK/notes.txt"
    die "$name exited during $ph (logs in $WORK)"
  fi
}

# ---------------------------------------------------------------- one server, one round
measure() {
  local name=$1 round=$2 port
  pick_port port
  open_round "$name" "$round" "$port"
  local plain_runs ecs_runs
  plain_runs=$(((WARMUP * MAX_QPS_BOUND + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  # (0) warm-up without ECS: the JIT compiles the answer path
  if [ "$WARMUP" -gt 0 ]; then run_dnsperf "$name-$round-warmup" "$WORK/plain.bin" "$WARMUP" -p "$port" -n "$plain_runs"; fi
  # (1) first pass through the ECS file: every subnet is new to the server
  phase "$name" "$round" first-pass "$WORK/ecs.bin" "$FIRST_PASS_LIMIT" -p "$port" -n 1
  # (2) full speed, ECS then without: QPS, CPU per query, lost
  ecs_runs=$(((MAX_SECONDS * MAX_QPS_BOUND + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  phase "$name" "$round" ecs-max "$WORK/ecs.bin" "$MAX_SECONDS" -p "$port" -n "$ecs_runs"
  phase "$name" "$round" plain-max "$WORK/plain.bin" "$MAX_SECONDS" -p "$port" -n "$ecs_runs"
  # (3) fixed offered rate: latency percentiles (dnsperf -v), CPU per query at that rate
  local rate_runs=$(((RATE_SECONDS * RATE + QUERY_COUNT - 1) / QUERY_COUNT + 1))
  phase "$name" "$round" ecs-rate "$WORK/ecs.bin" "$RATE_SECONDS" -p "$port" -n "$rate_runs" -Q "$RATE" -v
  phase "$name" "$round" plain-rate "$WORK/plain.bin" "$RATE_SECONDS" -p "$port" -n "$rate_runs" -Q "$RATE" -v
  # (4) a pass through the second ECS file: every subnet new again, now with the code compiled
  phase "$name" "$round" new-pass "$WORK/ecs-new.bin" "$FIRST_PASS_LIMIT" -p "$port" -n 1
  echo "server=$name round=$round phase=rss rss=$(rss_kb "$SERVER_PID") threads=$(ls "/proc/$SERVER_PID/task" | wc -l) load=$(load1)" >>"$WORK/phases.txt"
  stop_server
}

# ---------------------------------------------------------------- do both pick the same PoP?
AGREE_MD="$WORK/agree.md"
agreement() {
  local pport gport ppid
  pick_port pport
  pick_port gport
  say "agreement: $AGREE_SAMPLE queries asked of popdns and gdnsd"
  start_server popdns "$pport"
  ppid=$SERVER_PID
  OTHER_PID=$ppid
  SERVER_PID=""
  start_server gdnsd "$gport"
  local cmd=(timeout 300 "$PY" "$HERE/make-ecs-queries.py" compare --meta "$WORK/queries.tsv" --pops "$WORK/zones/pops.yaml"
    --sample "$AGREE_SAMPLE" --server "popdns=$pport" --server "gdnsd=$gport" --plain-sample 200 --max-seconds 240 --out "$WORK/disagreements.tsv")
  note "agreement: both servers as above, then"
  note_cmd "${cmd[@]}"
  "${cmd[@]}" >"$WORK/out/agree.txt" 2>&1 || { cat "$WORK/out/agree.txt" >&2; die "the agreement check failed"; }
  stop_server
  SERVER_PID=$ppid
  OTHER_PID=""
  stop_server
  {
    echo '```'
    cat "$WORK/out/agree.txt"
    echo '```'
    local nd
    nd="$(grep -vc '^#' "$WORK/disagreements.tsv" || true)"
    if [ "${nd:-0}" -gt 0 ]; then
      echo
      echo "Queries where a server differs from the other or from the expected PoP (first 20 of $nd):"
      echo
      echo '```'
      head -21 "$WORK/disagreements.tsv" | column -t -s $'\t'
      echo '```'
    fi
  } >"$AGREE_MD"
}

# ---------------------------------------------------------------- JFR profiles of popdns under the ECS load
by_thread() { # samples by thread (name without its trailing number)
  awk '/eventThread = / { t = $0; sub(/.*eventThread = "/, "", t); sub(/".*/, "", t); sub(/-?[0-9]+$/, "", t); c[t]++; total++ }
       END { for (t in c) printf "%6.1f%%  %6d  %s\n", 100 * c[t] / total, c[t], t }' "$1" | sort -k2,2nr | awk -v n="$2" 'NR <= n'
}
OWN='dev\.popdns|com\.maxmind|com\.github\.benmanes|io\.micrometer|org\.xbill|java\.net\.Inet|java\.lang\.Math'
profile_popdns() {
  local port secs=$PROFILE_SECONDS cold="$WORK/popdns-first-pass.jfr" jfr="$WORK/popdns-steady.jfr"
  pick_port port
  say "profile: popdns under the ECS load, JFR over the first pass and ${secs}s of the steady state"
  profile_server "$port" "$WORK/plain.bin"
  local jfr_opts=(settings=profile "jdk.CPUTimeSample#enabled=true" "jdk.CPUTimeSample#throttle=1ms")
  note "profile: the first pass through the ECS file, recorded whole"
  jcmd_run JFR.start name=cold "${jfr_opts[@]}"
  local cu0 cs0 cu1 cs1 ct0 ct1
  read -r cu0 cs0 < <(cpu_ticks "$SERVER_PID"); ct0="$(date +%s.%N)"
  run_dnsperf profile-first-pass "$WORK/ecs.bin" "$FIRST_PASS_LIMIT" -p "$port" -n 1
  read -r cu1 cs1 < <(cpu_ticks "$SERVER_PID"); ct1="$(date +%s.%N)"
  jcmd_run JFR.stop name=cold "filename=$cold"
  start_load "$WORK/ecs.bin" "$port" $((secs + 6)) "profile: the steady state (ECS, full speed), with the recording started 2 s into it"
  sleep 2
  local u0 s0 u1 s1 g0 g1
  read -r g0 < <(geo_stats)
  read -r u0 s0 < <(cpu_ticks "$SERVER_PID")
  jcmd_run JFR.start name=bench "duration=${secs}s" "filename=$jfr" "${jfr_opts[@]}"
  sleep "$secs"
  read -r u1 s1 < <(cpu_ticks "$SERVER_PID")
  read -r g1 < <(geo_stats)
  end_recording "$jfr"
  [ -s "$cold" ] && [ -s "$jfr" ] || die "no JFR recording was written ($cold, $jfr)"
  local jfrtool="$JAVA_HOME/bin/jfr"
  note "profile: reading the recordings"
  note_cmd "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$cold"
  note_cmd "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$jfr"
  note_cmd "$jfrtool" view --width 150 hot-methods "$jfr"
  note_cmd "$jfrtool" view --width 150 allocation-by-site "$jfr"
  "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$cold" >"$WORK/out/cold-samples.txt"
  "$jfrtool" print --events jdk.CPUTimeSample --stack-depth 64 "$jfr" >"$WORK/out/cpu-samples.txt"
  local fp_done fp_qps qps
  fp_done="$(dp_field 'Queries completed' "$WORK/out/profile-first-pass.txt")"
  fp_qps="$(dp_field 'Queries per second' "$WORK/out/profile-first-pass.txt")"
  qps="$(dp_field 'Queries per second' "$WORK/out/profile-load.txt")"
  local steady_q
  steady_q="$(awk -v q="$qps" -v d="$secs" 'BEGIN {printf "%.0f", q * d}')"
  {
    echo "**First pass** (every ECS subnet new to the server; the whole pass recorded): $fp_done queries at"
    echo "$(printf '%.0f' "$fp_qps") QPS. Process CPU from /proc over the pass: $(cpu_line $((cu1 - cu0)) $((cs1 - cs0)) "$(awk -v a="$ct0" -v b="$ct1" 'BEGIN {print b - a}')" "$fp_done")."
    echo
    code_block top_frames "$WORK/out/cold-samples.txt" 14
    echo
    echo "By thread:"
    echo
    code_block by_thread "$WORK/out/cold-samples.txt" 6
    echo
    echo "Inclusive share (a method anywhere on the stack) of the first pass's samples, popdns, GeoIP and"
    echo "related code only, top 30:"
    echo
    code_block inclusive "$WORK/out/cold-samples.txt" 30 "$OWN"
    echo
    echo "**Steady state** (the same file again), ${secs} s at"
    echo "$(printf '%.0f' "$qps") QPS (one dnsperf at full speed); client-table lookups over the recording: $(awk -v a="$g0" -v b="$g1" 'BEGIN {
        split(a, x, " "); split(b, y, " "); h = y[1] - x[1]; m = y[2] - x[2]
        if (h + m > 0) printf "%d located, %d unknown (%.2f%%)", h, m, 100 * h / (h + m); else print "n/a" }')."
    echo "Process CPU from /proc: $(cpu_line $((u1 - u0)) $((s1 - s0)) "$secs" "$steady_q")."
    echo "By top frame (package, or the native method for system calls); jdk.CPUTimeSample, all threads:"
    echo
    code_block top_frames "$WORK/out/cpu-samples.txt" 14
    echo
    echo "By thread:"
    echo
    code_block by_thread "$WORK/out/cpu-samples.txt" 6
    echo
    echo "Inclusive share of the same samples, popdns, GeoIP and related code only, top 30:"
    echo
    code_block inclusive "$WORK/out/cpu-samples.txt" 30 "$OWN"
    echo
    jfr_views "$jfr" "Java code only (jdk.ExecutionSample: JIT-compiled code and interpreter, no native or kernel time):" \
      "Allocation (jdk.ObjectAllocationSample by site):" 16 "GC pauses over the steady-state recording:"
  } >"$PROFILE_MD"
}

# ---------------------------------------------------------------- the runs
run_rounds measure
if has popdns && has gdnsd && [ "$AGREE_SAMPLE" -gt 0 ]; then
  agreement
else
  echo "No agreement check in this run (BENCH_AGREE_SAMPLE=0, or not both servers in BENCH_SERVERS)." >"$AGREE_MD"
fi
end_runs # the profile, LOAD_END, ELAPSED

# ---------------------------------------------------------------- the report
{
  machine_versions "${BENCH_POPDNS_FLAGS:+ $BENCH_POPDNS_FLAGS}"
  if has gdnsd; then echo "gdnsd $GDNSD_VERSION ($(dpkg-query -W -f='Debian package ${Version}' gdnsd 2>/dev/null || echo 'not from a Debian package'))"; fi
  if has nsd; then echo "NSD $(nsd -v 2>&1 | awk 'NR == 1 {print $NF}') ($(dpkg-query -W -f='Debian package ${Version}' nsd 2>/dev/null || echo 'not from a Debian package'))"; fi
  dnsperf -h 2>&1 | awk '/^Version/ {print "dnsperf " $2}'
  echo "python: $("$PY" --version 2>&1), maxminddb $("$PY" -c 'import maxminddb; print(getattr(maxminddb, "__version__", "?"))' 2>/dev/null)"
  echo "GeoIP: $GEOIP"
} >"$WORK/versions.txt"
{
  printf '`'
  bench_env BENCH_QUICK BENCH_ROUNDS BENCH_WARMUP BENCH_MAX_SECONDS BENCH_RATE BENCH_RATE_SECONDS BENCH_PROFILE_SECONDS \
    BENCH_QUERIES BENCH_SEED BENCH_V6_SHARE BENCH_AGREE_SAMPLE BENCH_SERVERS BENCH_ZONES BENCH_GEOIP BENCH_PORT BENCH_JAR BENCH_POPDNS_FLAGS
  echo 'src/test/bench/run-geo-dnsperf.sh`'
} >"$WORK/invocation.txt"
GDNSD_CONF=""
if has gdnsd; then GDNSD_CONF="$(ls -d "$WORK"/gdnsd-[0-9]* 2>/dev/null | head -1)"; fi

SECTION="$WORK/section.md"
R_QUICK="$QUICK" R_ROUNDS="$ROUNDS" R_WARMUP="$WARMUP" R_RATE="$RATE" R_TCK="$CLK_TCK" R_SERVERS="$SERVERS" \
R_ELAPSED="$ELAPSED" R_START="$START_DATE" R_LOAD_START="$LOAD_START" R_LOAD_END="$LOAD_END" R_COUNT="$QUERY_COUNT" \
R_SEED="$SEED" R_GDNSD_CONF="$GDNSD_CONF" R_ZONE="$(basename "$ZONE")" R_ORIGIN="$ORIGIN" R_PORT="$((${BENCH_PORT:-25453}))" \
  "$PY" - "$WORK" "$SECTION" <<'PYEOF' || die "could not write the report"
import os, statistics, sys
work, out = sys.argv[1], sys.argv[2]
E = os.environ
QUICK, ROUNDS, WARMUP, RATE = E["R_QUICK"] == "1", int(E["R_ROUNDS"]), int(E["R_WARMUP"]), int(E["R_RATE"])
TCK, SERVERS, ELAPSED = int(E["R_TCK"]), E["R_SERVERS"].split(), int(E["R_ELAPSED"])
START, LOAD_START, LOAD_END = E["R_START"], E["R_LOAD_START"], E["R_LOAD_END"]
COUNT, SEED, GDNSD_CONF, ZONE, ORIGIN = int(E["R_COUNT"]), int(E["R_SEED"]), E["R_GDNSD_CONF"], E["R_ZONE"], E["R_ORIGIN"]

def read(path):
    return open(os.path.join(work, path)).read() if os.path.exists(os.path.join(work, path)) else ""

rows = []
for line in read("phases.txt").splitlines():
    d = dict(kv.split("=", 1) for kv in line.split())
    rows.append(d)

def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None

def fig(d):
    """per-query figures of one phase row"""
    done = num(d.get("done")) or 0
    us = 1e6 / TCK
    r = dict(d)
    r["done_n"] = done
    if done > 0:
        r["cpu"] = (int(d["du"]) + int(d["ds"])) * us / done
        r["user"] = int(d["du"]) * us / done
        r["sys"] = int(d["ds"]) * us / done
        r["jit_us"] = int(d["jit"]) * us / done
    secs = num(d.get("secs")) or 0
    r["cpu_pct"] = 100.0 * (int(d["du"]) + int(d["ds"])) / TCK / secs if secs > 0 else None
    g0, g1 = d.get("geo0", "-,-").split(","), d.get("geo1", "-,-").split(",")
    if "-" not in g0 + g1 and "" not in g0 + g1:
        h, m = int(g1[0]) - int(g0[0]), int(g1[1]) - int(g0[1])
        r["geo"] = (h, m)
    return r

def sel(server, phase):
    return [fig(d) for d in rows if d.get("server") == server and d.get("phase") == phase]

def med(vals, fmt="%.2f"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    return fmt % statistics.median(vals)

def medv(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

def geo_rate(rs):
    h = sum(r["geo"][0] for r in rs if "geo" in r)
    m = sum(r["geo"][1] for r in rs if "geo" in r)
    if not any("geo" in r for r in rs):
        return "n/a"
    return "%.2f%% (%d / %d)" % (100.0 * h / (h + m), h, h + m) if h + m else "-"

def loads(rs):
    ls = [num(r.get("load")) for r in rs if num(r.get("load")) is not None]
    return "%.2f-%.2f" % (min(ls), max(ls)) if ls else "-"

def lost(rs):
    return "%d" % sum(int(num(r.get("lost")) or 0) for r in rs)

o = []
w = o.append
w("<!-- run-geo-dnsperf:begin -->")
w("<!-- written by src/test/bench/run-geo-dnsperf.sh; edits between these markers are overwritten -->")
w("## Results: geo routing with EDNS Client Subnet, popdns vs gdnsd%s" % (" and NSD" if "nsd" in SERVERS else ""))
w("")
w("Run %s%s, %d round(s) interleaving the servers, %d s in all; load average (1/5/15 min) %s at the"
  % (START, " (quick mode)" if QUICK else "", ROUNDS, ELAPSED, LOAD_START))
w("start, %s at the end (the machine has 2 cores and is shared with other work: every figure below" % LOAD_END)
w("carries the 1-minute load average of the runs it comes from). Each server pinned to CPU 0, dnsperf to")
w("CPU 1; %d queries for the geo names, each with an ECS option for a different real network (see" % COUNT)
w("below), and the same questions without the option. Figures are medians over the rounds, lost queries")
w("are summed.")
w("")
w("| server | queries | QPS at max (1 dnsperf) | CPU µs/query at max (user + sys) | server CPU at max | p50 / p99 / p99.9 µs at %d QPS | CPU µs/query at %d QPS (user + sys) | GeoIP located share (popdns) | lost | load avg 1 min |" % (RATE, RATE))
w("|---|---|---|---|---|---|---|---|---|---|")
summary = {}
for s in SERVERS:
    for label, mx, rt in (("ECS", "ecs-max", "ecs-rate"), ("no ECS", "plain-max", "plain-rate"),
                          ("ECS, every subnet new: first pass", "first-pass", None),
                          ("ECS, every subnet new: second file", "new-pass", None)):
        m, r = sel(s, mx), sel(s, rt) if rt else []
        if not m:
            continue
        summary[(s, mx)] = medv([x.get("cpu") for x in m])
        if rt:
            summary[(s, rt)] = medv([x.get("cpu") for x in r])
        cpu = "%s (%s + %s)" % (med([x.get("cpu") for x in m]), med([x.get("user") for x in m]), med([x.get("sys") for x in m]))
        if mx in ("first-pass", "new-pass") and s == "popdns":
            cpu += ", of which the JIT compiler threads %s" % med([x.get("jit_us") for x in m])
        w("| %s | %s | %s | %s | %s%% | %s | %s | %s | %s | %s |" % (
            s, label, med([num(x.get("qps")) for x in m], "%.0f"), cpu, med([x.get("cpu_pct") for x in m], "%.0f"),
            "%s / %s / %s" % (med([num(x.get("p50")) for x in r], "%.0f"), med([num(x.get("p99")) for x in r], "%.0f"),
                              med([num(x.get("p999")) for x in r], "%.0f")) if r else "-",
            "%s (%s + %s)" % (med([x.get("cpu") for x in r]), med([x.get("user") for x in r]), med([x.get("sys") for x in r])) if r else "-",
            ((geo_rate(m) if not r else "max run: %s; rate run: %s" % (geo_rate(m), geo_rate(r))) if s == "popdns" else "-"),
            lost(m + r), loads(m + r)))
w("")
if "popdns" in SERVERS and "gdnsd" in SERVERS:
    def ratio(a, b):
        return a / b if a is not None and b else None
    r_max = ratio(summary.get(("popdns", "ecs-max")), summary.get(("gdnsd", "ecs-max")))
    r_rate = ratio(summary.get(("popdns", "ecs-rate")), summary.get(("gdnsd", "ecs-rate")))
    r_first = ratio(summary.get(("popdns", "first-pass")), summary.get(("gdnsd", "first-pass")))
    r_new = ratio(summary.get(("popdns", "new-pass")), summary.get(("gdnsd", "new-pass")))
    fmt = lambda v: "%.2fx" % v if v is not None else "-"
    verdict = lambda v, t: "-" if v is None else ("met" if v <= t else "NOT met")
    w("**Target** (popdns CPU per query with ECS at most 1.0x gdnsd's at full speed, 1.2x at a fixed rate, same run):")
    w("at full speed %s (%s);" % (fmt(r_max), verdict(r_max, 1.0)))
    w("at %d QPS %s (%s). With every subnet new to the server:" % (RATE, fmt(r_rate), verdict(r_rate, 1.2)))
    w("%s on the first pass (popdns's JIT still compiling), %s on the second file (code compiled)." % (fmt(r_first), fmt(r_new)))
    w("")
    if "nsd" in SERVERS:
        r_plain = ratio(summary.get(("popdns", "plain-max")), summary.get(("nsd", "plain-max")))
        w("Without ECS (the resolver's own address), popdns's CPU per query is %s NSD's at full speed (target at most 1.0x: %s)."
          % (fmt(r_plain), verdict(r_plain, 1.0)))
        for ph, label in (("ecs-rate", "with ECS"), ("plain-rate", "without ECS")):
            pp = medv([num(x.get("p99")) for x in sel("popdns", ph)])
            pn = medv([num(x.get("p99")) for x in sel("nsd", ph)])
            p9 = medv([num(x.get("p999")) for x in sel("popdns", ph)])
            if pp is not None and pn is not None and p9 is not None:
                w("At %d QPS %s: popdns p99 %.0f µs vs NSD's %.0f µs (target no worse: %s); popdns p99.9 %.0f µs (target at most 2,000: %s)."
                  % (RATE, label, pp, pn, "met" if pp <= pn else "NOT met", p9, "met" if p9 <= 2000 else "NOT met"))
        w("")
    for s in SERVERS:
        e, p = summary.get((s, "ecs-max")), summary.get((s, "plain-max"))
        er, pr = summary.get((s, "ecs-rate")), summary.get((s, "plain-rate"))
        if e and p:
            w("- %s, ECS vs no ECS: %.2fx the CPU per query at full speed%s." % (s, e / p, (", %.2fx at %d QPS" % (er / pr, RATE)) if er and pr else ""))
    w("")
w("CPU time per answered query is utime+stime of the server's process (/proc/PID/stat, CLK_TCK %d; every" % TCK)
w("thread: for popdns the event loop, JIT compiler and GC threads) over the dnsperf run, divided by the")
w("queries completed. Order of the runs per server start: %d s of warm-up without ECS; the first pass, one" % WARMUP)
w("run through the ECS file (-n 1) in which every query asks about a subnet the server has not seen, so")
w("the JIT compiles the code (the JIT compiler threads' share is shown); ECS and no ECS at full speed and")
w("at the fixed rate, repeating the same file (%d subnets); last, one pass through a second file of as" % COUNT)
w("many other subnets, with the code compiled. Both servers look every query up in a network-to-ranking")
w("table computed at start (popdns's client table, gdnsd's tree), so repetition changes little for either.")
w("\"no ECS\" asks the same names over EDNS without the option: both servers then locate the resolver,")
w("127.0.0.1 (no location: the HQ).")
w("Latency is dnsperf's per-query figure (-v),")
w("measured by the client and including its own delay. The located share is the change of")
w("`popdns_geoip_lookups_total{result}` (located, unknown) in `/metrics` over each run.")
w("")
notes = read("notes.txt").strip()
if notes:
    w("Notes:")
    w("")
    w(notes)
    w("")
w("Per round (load: 1-minute load average when the run started; steal: CPU time the hypervisor gave")
w("other guests during the run, both CPUs, from /proc/stat: the latency tails follow it):")
w("")
w("| server | round | run | load | steal ms | QPS | completed | lost | CPU µs/q | user µs/q | sys µs/q | JIT µs/q | CPU % | p50 µs | p99 µs | p99.9 µs | max µs | GeoIP located / lookups | avg response B | response codes |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for d in rows:
    if d.get("phase") == "rss":
        continue
    r = fig(d)
    f2 = lambda k: "%.2f" % r[k] if r.get(k) is not None else "-"
    steal = "%.0f" % (int(d["steal"]) * 1000.0 / TCK) if d.get("steal", "-") not in ("-", "") else "-"
    w("| %s | %s | %s | %s | %s | %.0f | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        d["server"], d["round"], d["phase"], d["load"], steal, num(d["qps"]) or 0, r["done_n"], d["lost"], f2("cpu"), f2("user"), f2("sys"),
        f2("jit_us") if d["server"] == "popdns" else "-", "%.0f" % r["cpu_pct"] if r.get("cpu_pct") is not None else "-",
        d["p50"], d["p99"], d["p999"], d["pmax"],
        ("%d / %d" % (r["geo"][0], r["geo"][0] + r["geo"][1])) if "geo" in r else "-", d["resp"], d["codes"].replace("_", " ")))
w("")
gc = [d for d in rows if d.get("server") == "popdns" and d.get("gcn", "-") != "-" and d.get("phase") in ("ecs-rate", "plain-rate")]
if gc:
    w("popdns's collections during the runs at %d QPS (G1, from -Xlog:gc): " % RATE + "; ".join(
        "round %s %s: %s pauses, longest %s ms" % (d["round"], d["phase"], d["gcn"], d["gcmax"] if d["gcn"] != "0" else "-") for d in gc) + ".")
    w("")
rss = [d for d in rows if d.get("phase") == "rss"]
if rss:
    w("Resident memory after each round's runs: " + "; ".join("%s round %s %.1f MiB (%s threads)" % (d["server"], d["round"], int(d["rss"]) / 1024.0, d["threads"]) for d in rss) + ".")
    w("")
w("### Do both servers pick the same PoP?")
w("")
w("The sample of the ECS queries below was asked of a popdns and a gdnsd started side by side (one query")
w("at a time), and each answer's addresses were mapped back to the PoP that owns them. \"expected\" is the")
w("PoP that the README's routing rules give (every PoP healthy) from the record's coordinates, computed by")
w("make-ecs-queries.py with the same haversine as popdns's `Distance`; margin_km in the list of differences")
w("is how much farther the second-nearest PoP is.")
w("")
w(read("agree.md").rstrip())
w("")
w("### Profile of popdns under the ECS load (JFR)")
w("")
w("popdns alone, after %d s of warm-up without ECS; JFR with settings=profile plus jdk.CPUTimeSample every" % WARMUP)
w("1 ms of thread CPU time (which also counts time in system calls).")
w("")
w(read("profile.md").rstrip())
w("")
w("### The query files")
w("")
w("Written by src/test/bench/make-ecs-queries.py in dnsperf's -B format (2-byte length + message), one")
w("option per query, which dnsperf's -E (one fixed option for every query) cannot do. It walks the search")
w("tree of the GeoLite2 City database for its networks, picks networks uniformly with seed %d, and in each a" % SEED)
w("random /24 (IPv4) or /56 (IPv6), or the /24 or /56 that holds it when the network is smaller; no")
w("subnet is used twice. The questions are A and AAAA for the geo names, with EDNS (UDP size 1232, no DO).")
w("What it drew:")
w("")
w("```")
w(read("queries-summary.txt").rstrip())
w("```")
w("")
if GDNSD_CONF:
    w("<details><summary>gdnsd's configuration and the records added to its copy of %s</summary>" % ZONE)
    w("")
    w("```")
    w(open(os.path.join(GDNSD_CONF, "config")).read().replace(work, "$WORK").rstrip())
    w("```")
    w("```")
    z = open(os.path.join(GDNSD_CONF, "zones", ORIGIN)).read().split("; added by run-geo-dnsperf.sh")
    w(("; added by run-geo-dnsperf.sh" + z[1]).rstrip() if len(z) > 1 else "")
    w("```")
    w("</details>")
    w("")
w("### Machine and versions")
w("")
w("```")
w(read("versions.txt").rstrip())
w("```")
w("")
w("### Commands")
w("")
w(read("invocation.txt").strip() + " ran these (first round; $WORK is its temporary directory, ports are")
w("the first free ones from %s on):" % E["R_PORT"])
w("")
w("```")
w(read("commands.txt").rstrip())
w("```")
w("<!-- run-geo-dnsperf:end -->")
open(out, "w").write("\n".join(o) + "\n")
PYEOF

publish_section run-geo-dnsperf '# Benchmarks\n'
