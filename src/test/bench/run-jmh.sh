#!/usr/bin/env bash
# JMH micro-benchmarks of popdns's hot code (the benchmarks live in each module's
# src/test/java/dev/popdns/*/bench). Builds the test classes, then runs JMH in the module.
#
#   src/test/bench/run-jmh.sh geoip [JMH options...]        e.g. geoip GeoLocatorBenchmark -prof gc
#   src/test/bench/run-jmh.sh dns-server [JMH options...]   e.g. dns-server RouterBenchmark
#
# Pin it with taskset (e.g. `taskset -c 1 src/test/bench/run-jmh.sh geoip`) on a shared machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
module="${1:?usage: run-jmh.sh geoip|dns-server [JMH options...]}"
shift
case "$module" in
  geoip|dns-server) ;;
  *) echo "run-jmh.sh: unknown module '$module' (expected: geoip or dns-server)" >&2; exit 2 ;;
esac
[ -n "${JAVA_HOME:-}" ] && export PATH="$JAVA_HOME/bin:$PATH"
command -v mvn >/dev/null || { echo "run-jmh.sh: mvn not found (apt-get install maven)" >&2; exit 1; }
cd "$root"
classpath_file="$(mktemp)"
trap 'rm -f "$classpath_file"' EXIT
# one reactor build: the popdns modules it depends on resolve to their target/classes, never to
# whatever ~/.m2 holds; the module's own classpath is written last
mvn -B -q -ntp -o -pl "$module" -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
cd "$root/$module"
exec java -Dpopdns.geoip.dir="$root/geoip/data" \
  -cp "target/test-classes:target/classes:$(cat "$classpath_file")" org.openjdk.jmh.Main "$@"
