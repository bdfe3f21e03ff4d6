#!/usr/bin/env bash
# The cost of the peer exchange (issue 11): three popdns nodes on loopback probing N PoPs x 3 tcp
# checks (interval 2 s, the default) at one local listener, run twice for SECONDS each: once as
# peers (each pulls the other two's /api/v1/health every 2 s) and once alone. Prints per node the
# CPU seconds used (utime + stime from /proc) in the window and, with peers, the bytes of one view
# and the bytes per second each node receives. The exchange's CPU is the difference. No geo names:
# the exchange does not depend on them, and no GeoIP database is loaded.
#
#   src/test/bench/peer-exchange-cost.sh [POPS] [SECONDS]      e.g. 5 60, then 50 60
#
# Needs the jar (dns-server/target/popdns.jar), python3 and curl; binds 127.0.0.1 ports 18161-18163
# (HTTP), 18361-18363 (DNS) and 18169 (the probe target) only.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
pops="${1:-5}"
window="${2:-60}"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jar="$root/dns-server/target/popdns.jar"
[ -f "$jar" ] || { echo "peer-exchange-cost.sh: $jar missing (mvn -DskipTests package)" >&2; exit 1; }
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/zones"
cat > "$work/zones/t.test.zone" <<'EOF'
$ORIGIN t.test.
$TTL 3600
@    SOA ns1 hostmaster 1 7200 3600 1209600 300
     NS  ns1
ns1  A   198.18.0.1
EOF
{
  echo "pops:"
  for i in $(seq 1 "$pops"); do
    hq=""; [ "$i" = 1 ] && hq="hq: true, "
    echo "  pop-$i: { ${hq}location: [$(( (i * 7) % 80 )).5, $(( (i * 13) % 170 )).5], addresses: [198.19.0.$i], probe-address: 127.0.0.1 }"
  done
  echo "checks:"
  echo "  nginx: { tcp: \"{address}:18169\" }"
  echo "  puma: { tcp: \"{address}:18169\" }"
  echo "  replica: { tcp: \"{address}:18169\" }"
} > "$work/zones/pops.yaml"
head -c 32 /dev/urandom | base64 > "$work/token"

python3 -m http.server 18169 --bind 127.0.0.1 >/dev/null 2>&1 &
pids+=($!)

cpu() { # utime + stime of pid $1 in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

run() { # $1: peers|alone
  local mode="$1" n node_pids=()
  for n in 1 2 3; do
    {
      echo "identity: ns$n"
      if [ "$mode" = peers ]; then
        echo "peers:"
        echo "  self: ns$n"
        echo "  token-file: token"
        echo "  nodes:"
        for m in 1 2 3; do echo "    ns$m: { url: \"http://127.0.0.1:1816$m\" }"; done
      fi
    } > "$work/ns$n.yaml"
    "$java" -XX:+UseParallelGC -Xmx256m --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
      -jar "$jar" serve --config "$work/ns$n.yaml" --zones "$work/zones" \
      --listen "127.0.0.1:1836$n" --http "127.0.0.1:1816$n" > "$work/ns$n-$mode.log" 2>&1 &
    node_pids+=($!)
    pids+=($!)
  done
  for n in 1 2 3; do
    for _ in $(seq 1 120); do grep -q ' ready$' "$work/ns$n-$mode.log" && break; sleep 0.5; done
  done
  sleep 10 # past start-up (JIT, first exchanges)
  local before=() after=()
  for n in 1 2 3; do
    if ! kill -0 "${node_pids[$((n - 1))]}" 2>/dev/null; then
      echo "ns$n ($mode) is not running:" >&2
      tail -20 "$work/ns$n-$mode.log" >&2
      exit 1
    fi
  done
  for pid in "${node_pids[@]}"; do before+=("$(cpu "$pid")"); done
  sleep "$window"
  for pid in "${node_pids[@]}"; do after+=("$(cpu "$pid")"); done
  local ticks; ticks="$(getconf CLK_TCK)"
  for n in 0 1 2; do
    awk -v a="${after[$n]}" -v b="${before[$n]}" -v t="$ticks" -v w="$window" -v m="$mode" -v node="ns$((n + 1))" \
      'BEGIN { printf "%s %-5s: %.2f CPU s in %d s (%.2f%% of a core)\n", node, m, (a - b) / t, w, 100 * (a - b) / t / w }'
  done
  if [ "$mode" = peers ]; then
    local bytes
    bytes="$(curl -s -H "Authorization: Bearer $(cat "$work/token")" http://127.0.0.1:18161/api/v1/health | wc -c)"
    echo "one view: $bytes bytes; each node receives 2 views / 2 s = $(( bytes )) bytes/s (plus HTTP headers, ~150 bytes per pull)"
  fi
  for pid in "${node_pids[@]}"; do kill "$pid"; done
  for pid in "${node_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

echo "$pops PoPs x 3 checks, 3 nodes, interval 2 s, ${window} s windows"
run peers
run alone
