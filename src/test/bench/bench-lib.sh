# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here (ROUNDS, DP_OUT, START_DATE, ...) are read by the scripts
# bench-lib.sh: what run-dnsperf.sh and run-geo-dnsperf.sh share. Both source it from their own
# directory after setting ME (their name, for messages); sourcing it only defines functions. The
# functions read the script's settings when they are called: SERVERS, ROOT, WORK, SERVER_CPU,
# CLIENT_CPU, QUERY_COUNT, MAX_QPS_BOUND, WARMUP, PROFILE_SECONDS, CLK_TCK, OUT, WRITE, SECTION, and
# for popdns JAVA, JAVA_HOME, JVM_FLAGS and JAR (set by setup_popdns).

die() { echo "$ME: $*" >&2; exit 1; }
say() { echo "$ME: $*" >&2; }
has() { case " $SERVERS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; } # the 1, 5 and 15 minute load averages

# ---------------------------------------------------------------- settings
# bench_settings QUICK_DEFAULTS FULL_DEFAULTS: QUICK (BENCH_QUICK) and the settings both scripts
# take, their defaults each a list "ROUNDS WARMUP MAX_SECONDS RATE_SECONDS PROFILE_SECONDS WRITE" for
# the quick and the full run; the BENCH_* environment variables override them. Also the CPUs
# (server on SERVER_CPU, dnsperf on CLIENT_CPU) and MAX_QPS_BOUND.
bench_settings() {
  QUICK="${BENCH_QUICK:-0}"
  local d
  if [ "$QUICK" = 1 ]; then read -r -a d <<<"$1"; else read -r -a d <<<"$2"; fi
  ROUNDS="${BENCH_ROUNDS:-${d[0]}}"
  WARMUP="${BENCH_WARMUP:-${d[1]}}"
  MAX_SECONDS="${BENCH_MAX_SECONDS:-${d[2]}}"
  RATE="${BENCH_RATE:-20000}"
  RATE_SECONDS="${BENCH_RATE_SECONDS:-${d[3]}}"
  PROFILE_SECONDS="${BENCH_PROFILE_SECONDS:-${d[4]}}"
  WRITE="${BENCH_WRITE:-${d[5]}}"
  SERVER_CPU=0
  CLIENT_CPU=1
  MAX_QPS_BOUND=400000 # dnsperf -n is sized so that a file runs out only above this rate: -l governs
}

whole_numbers() { # whole_numbers VAR...: each variable holds a whole number, or the run stops
  local v
  for v in "$@"; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number, got '${!v}'"
  done
}

known_servers() { # known_servers NAME...: every word of SERVERS is one of these, or the run stops
  local s list="$*"
  for s in $SERVERS; do
    case " $list " in *" $s "*) ;; *) die "unknown server '$s' in BENCH_SERVERS (${list// /, })" ;; esac
  done
}

# ---------------------------------------------------------------- what the run needs
need_two_cpus() {
  [ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on CPU $SERVER_CPU, dnsperf on CPU $CLIENT_CPU); nproc says $(nproc)"
}
can_pin() {
  taskset -c "$SERVER_CPU,$CLIENT_CPU" true 2>/dev/null || die "cannot pin to CPUs $SERVER_CPU and $CLIENT_CPU with taskset"
}

missing_packages() { # missing_packages COMMAND:PACKAGE...: the packages of the commands not on PATH, a line each
  local pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || echo "${pair#*:}"
  done
}

# install_missing WHAT PACKAGE...: as root (with apt-get) installs the Debian packages, otherwise
# names them and stops; WHAT says what is missing ("commands"). Nothing to do without packages.
install_missing() {
  local what=$1
  shift
  [ $# -gt 0 ] || return 0
  local missing policy ok
  mapfile -t missing < <(printf '%s\n' "$@" | sort -u)
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} with apt-get"
    # keep the packages' own services (nsd, knot, gdnsd on port 53) from starting while they install
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
    die "missing $what; install them with: apt-get install -y ${missing[*]}"
  fi
}

# setup_popdns: JAVA, JAVA_HOME and JVM_FLAGS by the launcher's own JDK search and JVM flags, read
# from ./popdns so that they stay the same; JAR, BENCH_JAR or the work tree's (./popdns build)
setup_popdns() {
  MIN_JAVA="$(sed -n 's/^MIN_JAVA=\([0-9]*\).*/\1/p' "$ROOT/popdns")"
  MIN_JAVA="${MIN_JAVA:-21}"
  eval "$(sed -n -e '/^java_major() {/,/^}/p' -e '/^use_java() {/,/^}/p' -e '/^find_java() {/,/^}/p' -e '/^jvm_flags() {/,/^}/p' "$ROOT/popdns")"
  declare -F java_major >/dev/null && declare -F use_java >/dev/null && declare -F find_java >/dev/null && declare -F jvm_flags >/dev/null \
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
}

# ---------------------------------------------------------------- scratch space and cleanup
# start_work NAME: WORK, a new directory /tmp/NAME.XXXXXX with zones/, out/ and an empty
# commands.txt, removed at exit unless BENCH_KEEP=1 or the run failed; the servers and the load
# still running then (SERVER_PID, OTHER_PID, LOAD_PID) are stopped. PROFILE_MD: the profile's text.
start_work() {
  WORK="$(mktemp -d "/tmp/$1.XXXXXX")"
  SERVER_PID=""
  OTHER_PID=""
  LOAD_PID=""
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$WORK/zones" "$WORK/out"
  : >"$WORK/commands.txt"
  PROFILE_MD="$WORK/profile.md"
}
cleanup() {
  local rc=$?
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
  [ -n "$OTHER_PID" ] && stop_pid "$OTHER_PID" || true
  [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID" || true
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    say "kept $WORK (logs, dnsperf output)"
  else
    rm -rf "$WORK"
  fi
}

# the commands as run, with the temporary directory written as $WORK (and NOTE_STRIP, when set, left out)
note_cmd() {
  local s
  s="$(printf '%q ' "$@")"
  s="${s//$WORK/\$WORK}"
  if [ -n "${NOTE_STRIP:-}" ]; then s="${s//$NOTE_STRIP/}"; fi
  echo "$s" >>"$WORK/commands.txt"
}
note() { echo "# $*" >>"$WORK/commands.txt"; }

port_free() { [ -z "$(ss -Hlnu "sport = :$1")$(ss -Hlnt "sport = :$1")" ]; }
pick_port() { # pick_port VAR: the next free UDP+TCP port on 127.0.0.1 from NEXT_PORT on
  local p=$NEXT_PORT
  while ! port_free "$p"; do p=$((p + 1)); done
  NEXT_PORT=$((p + 1))
  printf -v "$1" '%s' "$p"
}

# ---------------------------------------------------------------- the servers
# launch_server NAME PORT [URL]: runs SERVER_CMD in the background, its output appended to
# SERVER_LOG, sets SERVER_PID, and waits until the server answers ORIGIN SOA on 127.0.0.1:PORT (and
# URL answers, when given)
launch_server() {
  local name=$1 port=$2 url=${3:-}
  # shellcheck disable=SC2153 # SERVER_CMD is set by the script's start_server
  "${SERVER_CMD[@]}" >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!   # taskset execs the server, so this is the server's own pid
  local i
  for i in $(seq 1 120); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$SERVER_LOG" >&2; die "$name exited while starting (log above)"; }
    if echo "$ORIGIN SOA" | timeout 5 taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$port" -n 1 -t 1 2>/dev/null \
        | grep -E 'Response codes: +NOERROR 1 ' >/dev/null; then
      if [ -z "$url" ] || curl -sf -m 2 "$url" >/dev/null; then
        return 0
      fi
    fi
    sleep 0.5
  done
  tail -20 "$SERVER_LOG" >&2
  die "$name did not answer $ORIGIN SOA on 127.0.0.1:$port within 60 s (log above)"
}

# open_round NAME ROUND PORT [ARGS...]: a server for one round: NOTE=1 in round 1 (the commands are
# noted), start_server NAME PORT ARGS, the server's command noted
open_round() {
  local name=$1 round=$2 port=$3
  shift 3
  NOTE=0
  [ "$round" = 1 ] && NOTE=1
  say "round $round: $name on 127.0.0.1:$port (load $(loadavg))"
  start_server "$name" "$port" "$@"
  if [ "$NOTE" = 1 ]; then note "$name: the server"; note_cmd "${SERVER_CMD[@]}"; fi
}

tree_pids() { # the process and all its descendants (NSD forks its server and xfrd processes)
  local c
  echo "$1"
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree_pids "$c"; done
}

stop_pid() {
  local pid=$1 pids i
  pids="$(tree_pids "$pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in $pids; do kill -KILL "$i" 2>/dev/null || true; done # children left behind, if any
}
stop_server() { local pid=$SERVER_PID; SERVER_PID=""; stop_pid "$pid"; }

cpu_ticks() { # "user sys" clock ticks of the server's process tree (all threads)
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

# ---------------------------------------------------------------- dnsperf
# run_dnsperf NAME FILE SECONDS [args...]: dnsperf on the client CPU with the query file FILE,
# bounded in time and count; DP_OUT: its output
run_dnsperf() {
  local name=$1 file=$2 secs=$3 out="$WORK/out/$1.txt"
  shift 3
  local cmd=(taskset -c "$CLIENT_CPU" dnsperf -B -d "$file" -s 127.0.0.1 -l "$secs" "$@")
  if [ "${NOTE:-0}" = 1 ]; then note "$name"; note_cmd "${cmd[@]}"; fi
  timeout $((secs + 30)) "${cmd[@]}" >"$out" 2>&1 || { tail -20 "$out" >&2; die "dnsperf failed ($name)"; }
  DP_OUT="$out"
}
dp_field() { # the first number after "LABEL:" in dnsperf's statistics
  awk -v l="$1:" 'index($0, l) == 3 || index($0, l) == 1 { sub(".*" l " *", ""); print $1 + 0; exit }' "$2"
}
dp_resp() { # the average response size in dnsperf's statistics
  awk '/Average packet size/ {gsub(",", ""); print $NF; exit}' "$1"
}
dp_codes() { # the response codes and their shares in dnsperf's statistics ("NOERROR 95.00%, NXDOMAIN 5.00%")
  awk -F': *' '/Response codes/ {c = $2; gsub(/ [0-9]+ \(/, " ", c); gsub(/\)/, "", c); print c; exit}' "$1"
}
latencies() { # "p50 p99 p99.9 max" in µs from dnsperf -v per-query lines ("> RCODE name type SECONDS")
  # ("> T ..." is a timeout); nearest-rank percentiles
  awk '/^> / && $2 != "T" && $2 != "I" {print $NF * 1000000}' "$1" | sort -g \
    | awk '{v[NR] = $1} END {
        if (NR == 0) { print "- - - -"; exit }
        split("0.50 0.99 0.999", q, " ")
        for (i = 1; i <= 3; i++) { r = int(q[i] * NR); if (r < q[i] * NR) r++; if (r < 1) r = 1; printf "%.0f ", v[r] }
        printf "%.0f\n", v[NR] }'
}

# ---------------------------------------------------------------- the runs
# run_rounds FUNCTION: START_DATE, LOAD_START and SECONDS from 0, then FUNCTION SERVER ROUND for
# each server of SERVERS in each of the ROUNDS rounds
run_rounds() {
  START_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
  LOAD_START="$(loadavg)"
  SECONDS=0
  local round s
  for round in $(seq 1 "$ROUNDS"); do
    for s in $SERVERS; do
      "$1" "$s" "$round"
    done
  done
}
end_runs() { # the script's profile_popdns, when popdns runs and BENCH_PROFILE_SECONDS > 0; LOAD_END, ELAPSED
  if has popdns && [ "$PROFILE_SECONDS" -gt 0 ]; then
    profile_popdns
  else
    echo "No profile in this run (BENCH_PROFILE_SECONDS=0 or popdns not in BENCH_SERVERS)." >"$PROFILE_MD"
  fi
  LOAD_END="$(loadavg)"
  ELAPSED=$SECONDS
}

# ---------------------------------------------------------------- JFR profiles of popdns
# profile_server PORT FILE [JVM flags...]: popdns for a profile on PORT (its command noted), warmed
# up with WARMUP seconds of FILE at full speed
profile_server() {
  local port=$1 file=$2
  shift 2
  NOTE=1
  start_server popdns "$port" "$@"
  note "profile: the server"
  note_cmd "${SERVER_CMD[@]}"
  if [ "$WARMUP" -gt 0 ]; then
    run_dnsperf profile-warmup "$file" "$WARMUP" -p "$port" -n $(((WARMUP * MAX_QPS_BOUND) / QUERY_COUNT + 1))
  fi
}

# start_load FILE PORT SECONDS NOTE: dnsperf at full speed in the background (LOAD_PID), noted under
# NOTE; its output in out/profile-load.txt
start_load() {
  local file=$1 port=$2 secs=$3
  local cmd=(taskset -c "$CLIENT_CPU" dnsperf -B -d "$file" -s 127.0.0.1 -l "$secs"
    -p "$port" -n $(((secs * MAX_QPS_BOUND) / QUERY_COUNT + 1)))
  note "$4"
  note_cmd "${cmd[@]}"
  timeout $((secs + 30)) "${cmd[@]}" >"$WORK/out/profile-load.txt" 2>&1 &
  LOAD_PID=$!
}

jcmd_run() { # jcmd on the client CPU for the server, noted
  local cmd=(taskset -c "$CLIENT_CPU" "$JAVA_HOME/bin/jcmd" "$SERVER_PID" "$@")
  note_cmd "${cmd[@]}"
  "${cmd[@]}" >>"$WORK/out/jcmd.txt" 2>&1 || { cat "$WORK/out/jcmd.txt" >&2; die "jcmd $1 failed"; }
}

# end_recording JFR: waits for the load and for the recording named bench to be written to JFR,
# then stops the server
end_recording() {
  local jfr=$1 i
  wait "$LOAD_PID" || true
  LOAD_PID=""
  for i in $(seq 1 60); do
    if [ -s "$jfr" ] && ! taskset -c "$CLIENT_CPU" "$JAVA_HOME/bin/jcmd" "$SERVER_PID" JFR.check 2>/dev/null | grep 'name=bench' >/dev/null; then
      break
    fi
    sleep 0.5
  done
  stop_server
}

# cpu_line UTICKS STICKS SECONDS [QUERIES]: the process's share of one CPU and the kernel's part of
# it, and with QUERIES the CPU time per query
cpu_line() {
  awk -v u="$1" -v s="$2" -v t="$CLK_TCK" -v d="$3" -v per_query=$(($# > 3)) -v n="${4:-}" \
    'BEGIN { if (u < 0 || s < 0 || u + s == 0) { print "n/a (the counters did not advance)"; exit }
             printf "%.0f%% of one CPU, %.0f%% of it in the kernel (stime)", 100 * (u + s) / t / d, 100 * s / (u + s)
             if (per_query) printf "; %.2f µs per query", (n > 0 ? (u + s) * 1000000 / t / n : 0) }'
}

code_block() { echo '```'; "$@"; echo '```'; } # code_block COMMAND...: its output as a Markdown code block

# jfr_views JFR JAVA_TITLE ALLOC_TITLE ALLOC_LINES GC_TITLE: the hot Java methods, the allocation
# sites (ALLOC_LINES lines) and the GC pauses of the recording JFR, each under its title
jfr_views() {
  jfr_view "$2" hot-methods 24 "$1"
  echo
  jfr_view "$3" allocation-by-site "$4" "$1"
  echo
  jfr_view "$5" gc-pauses 12 "$1"
}

# jfr_view TITLE VIEW LINES JFR: TITLE, then `jfr view VIEW` of the recording JFR (its first LINES
# non-empty lines) as a code block
jfr_view() {
  echo "$1"
  echo
  echo '```'
  "$JAVA_HOME/bin/jfr" view --width 150 "$2" "$4" | awk -v n="$3" 'NF && ++k <= n'
  echo '```'
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

# inclusive FILE N [REGEX]: share of samples with the method anywhere on the stack (counted once a
# sample), only the methods that match REGEX when it is given
inclusive() {
  awk '/stackTrace = \[/ {in_st = 1; total++; delete seen; next}
       in_st && /^ *\]/ {in_st = 0; next}
       in_st { f = $1; sub(/\(.*/, "", f); if (!(f in seen)) { seen[f] = 1; c[f]++ } }
       END { for (f in c) printf "%6.1f%%  %s\n", 100 * c[f] / total, f }' "$1" \
    | sort -k1,1nr | grep -v -E 'Thread\.run|FastThreadLocalRunnable|ThreadExecutorMap|SingleThreadEventExecutor\$4' \
    | grep -E -- "${3:-.}" | awk -v n="$2" 'NR <= n'
}

# ---------------------------------------------------------------- the report
# machine_versions [EXTRA]: the machine, the kernel and, when popdns runs, its java, JVM flags
# (EXTRA appended) and jar
machine_versions() {
  echo "nproc: $(nproc); CPU: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); memory: $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -srm)"
  if has popdns; then
    "$JAVA" -version 2>&1 | sed 's/^/java: /'
    echo "JVM flags (from ./popdns jvm_flags): ${JVM_FLAGS[*]}${1:-}"
    if [ -n "${BENCH_JAR:-}" ]; then
      echo "popdns: $BENCH_JAR${BENCH_JAR_NOTE:+ ($BENCH_JAR_NOTE)}"
    else
      echo "popdns: work tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git -C "$ROOT" status --porcelain -- '*/src/main' '*pom.xml' 2>/dev/null)" ] && echo ' with uncommitted changes')"
    fi
  fi
}

bench_env() { # bench_env VAR...: "VAR=value " for each variable that is set, as on the command line
  local v
  for v in "$@"; do
    if [ -n "${!v:-}" ]; then printf '%s=%q ' "$v" "${!v}"; fi
  done
}

# publish_section NAME HEAD: prints SECTION; with WRITE=1 it also replaces the lines between the
# <!-- NAME:begin and <!-- NAME:end --> markers of OUT with it, or appends it (to a new OUT after HEAD)
publish_section() {
  local name=$1 head=$2
  cat "$SECTION"
  if [ "$WRITE" = 1 ]; then
    if [ -f "$OUT" ] && grep -q "<!-- $name:begin" "$OUT"; then
      awk -v f="$SECTION" -v b="<!-- $name:begin" -v e="<!-- $name:end -->" '
        index($0, b) { while ((getline l < f) > 0) print l; skip = 1; next }
        index($0, e) { skip = 0; next }
        !skip { print }' "$OUT" >"$WORK/out.md"
      cat "$WORK/out.md" >"$OUT"
    else
      [ -f "$OUT" ] || printf '%b' "$head" >"$OUT"
      { echo; cat "$SECTION"; } >>"$OUT"
    fi
    say "wrote the results to $OUT"
  fi
}

# write_nsd_conf DIR PORT ZONESDIR: nsd.conf in DIR for NSD on 127.0.0.1:PORT serving ORIGIN from
# ZONESDIR/ORIGIN.zone: one server process, no chroot or user change (runs as the invoking user), no
# database file, response rate limiting off (Debian builds it in, 200 qps by default), answers
# without the NS set and glue that NSD adds by default, so that they are the size of the others'
# (compare "avg response B" in the per-round tables)
write_nsd_conf() {
  local dir=$1 port=$2 zonesdir=$3
  cat >"$dir/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$zonesdir"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir"
    pidfile: "$dir/nsd.pid"
    verbosity: 1
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    minimal-responses: yes
remote-control:
    control-enable: no
zone:
    name: $ORIGIN
    zonefile: "$ORIGIN.zone"
EOF
  nsd-checkconf "$dir/nsd.conf" || die "nsd-checkconf rejected $dir/nsd.conf"
}
