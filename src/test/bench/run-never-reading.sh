#!/usr/bin/env bash
# run-never-reading.sh: TCP clients that send queries and never read the answers (RFC 7766
# backpressure), against popdns and Knot DNS (knotd) serving the same zone on loopback: 50 clients
# pipeline queries for a ~600-octet TXT for BENCH_SECONDS (30) while another client sends one UDP
# and one TCP query a second (never-reading-clients.py). Per server: resident memory before and at
# peak, connections the server closed, probes that went unanswered (3 s) after the first 2 s.
# popdns runs with the JAVA_OPTS and MALLOC_ARENA_MAX of deploy/systemd/popdns.service, twice back to back: from a cold
# start (the heap grows towards its working size, bounded by -Xmx) and warm (what the clients cost
# once it has).
#
# usage: src/test/bench/run-never-reading.sh      (about 2.5 minutes; prints, writes nothing)
# Settings (environment): BENCH_SECONDS (30), BENCH_JAR (dns-server/target/popdns.jar).
# Needs python3, knotd, kdig and a JDK >= 21 (JAVA_HOME or java on PATH). All traffic is loopback.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
DURATION="${BENCH_SECONDS:-30}"
JAR="${BENCH_JAR:-$ROOT/dns-server/target/popdns.jar}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[ -f "$JAR" ] || { echo "run-never-reading.sh: $JAR missing (./popdns build)" >&2; exit 1; }
for c in python3 knotd kdig "$JAVA"; do
  command -v "$c" > /dev/null || { echo "run-never-reading.sh: $c not found" >&2; exit 1; }
done

tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$tmp/zones" "$tmp/knot/run" "$tmp/knot/db"
chunk="$(printf 'x%.0s' $(seq 190))"
cat > "$tmp/zones/defence.test.zone" << ZONE
\$ORIGIN defence.test.
\$TTL 3600
@     SOA  ns1 hostmaster 1 7200 3600 1209600 600
      NS   ns1
ns1   A    192.0.2.53
@     A    192.0.2.1
big   TXT  "${chunk}1" "${chunk}2" "${chunk}3"
ZONE

# ---------------------------------------------------------------- popdns
port="$(free_port)"
http="$(free_port)"
feature="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')"
# the JVM options and environment of the shipped unit, as a production server runs
unit="$ROOT/deploy/systemd/popdns.service"
read -ra opts <<< "$(sed -n 's/^Environment="JAVA_OPTS=\(.*\)"$/\1/p' "$unit")"
[ "${#opts[@]}" -gt 0 ] || { echo "run-never-reading.sh: no JAVA_OPTS in $unit" >&2; exit 1; }
arenas="$(sed -n 's/^Environment=MALLOC_ARENA_MAX=//p' "$unit")"
[ "${feature%%.*}" -ge 24 ] && opts=(--sun-misc-unsafe-memory-access=allow "${opts[@]}")
echo "popdns JAVA_OPTS: ${opts[*]}${arenas:+ (MALLOC_ARENA_MAX=$arenas)}"
MALLOC_ARENA_MAX="${arenas:-}" "$JAVA" "${opts[@]}" -jar "$JAR" serve --zones "$tmp/zones" --listen "127.0.0.1:$port" \
  --http "127.0.0.1:$http" > "$tmp/popdns.log" 2>&1 &
pids+=($!)
popdns=$!
for _ in $(seq 120); do grep -q ' ready$' "$tmp/popdns.log" && break; sleep 0.5; done
grep -q ' ready$' "$tmp/popdns.log" || { cat "$tmp/popdns.log" >&2; exit 1; }
echo "popdns (cold): $(python3 "$HERE/never-reading-clients.py" 127.0.0.1 "$port" "$popdns" "$DURATION")"
sleep 12 # every connection of the first run is gone (idle timeout 10 s)
echo "popdns (warm): $(python3 "$HERE/never-reading-clients.py" 127.0.0.1 "$port" "$popdns" "$DURATION")"
kill "$popdns"
wait "$popdns" 2> /dev/null || true

# ---------------------------------------------------------------- Knot DNS
port="$(free_port)"
cat > "$tmp/knot/knot.conf" << CONF
server:
    rundir: "$tmp/knot/run"
    listen: 127.0.0.1@$port
    udp-workers: 2
    tcp-workers: 2
    background-workers: 1
database:
    storage: "$tmp/knot/db"
log:
  - target: stderr
    any: info
zone:
  - domain: defence.test
    storage: "$tmp/zones"
    file: "defence.test.zone"
CONF
knotd -c "$tmp/knot/knot.conf" > "$tmp/knot.log" 2>&1 &
pids+=($!)
knot=$!
for _ in $(seq 60); do
  kdig +short +time=1 +retry=0 @127.0.0.1 -p "$port" defence.test A > /dev/null 2>&1 && break
  sleep 0.5
done
echo "knotd $(knotd --version | sed 's/.*version //'): $(python3 "$HERE/never-reading-clients.py" 127.0.0.1 "$port" "$knot" "$DURATION")"
kill "$knot"
wait "$knot" 2> /dev/null || true
