#!/usr/bin/env bash
# popdns-zone-sync: brings the live zones directory of a popdns server up to date with a branch of
# the zones git repository, but only with a tree that `popdns check` accepts.
#
#   1. fetch the branch into a staging checkout ($STATE_DIR/checkout);
#   2. compare its $ZONES_SUBDIR (*.zone and pops.yaml) with the live directory; nothing changed:
#      log "up to date" and stop;
#   3. `popdns check` the new tree, and refuse a SOA serial that goes backwards (the server would
#      refuse it too, leaving the live files and the served zones apart);
#   4. copy the changed files next to the live directory, then rename each into place: every file
#      is replaced atomically, the directory itself stays the same inode;
#   5. ask the server to reload (POST /api/v1/reload) and wait for its verdict.
#
# Why files are renamed into a fixed directory rather than a symlink swapped: the server watches
# the zones directory with inotify, which follows a symlink once, when the watch is set up. After a
# symlink swap it would go on watching the old directory (and lose the watch when that is deleted),
# so later changes would be seen only through explicit reload calls. Renaming each file into the
# watched directory is seen by the watch (IN_MOVED_TO), is atomic per file, and all renames happen
# back to back, well inside the server's 300 ms quiet period, so one reload sees the whole set.
# The explicit reload call that follows makes the outcome certain even if the watch fired midway.
#
# A tree that fails the check leaves the live zones untouched and exits 1.
#
# Environment (popdns-zone-sync.service reads /etc/popdns/zone-sync.env):
#   ZONES_REPO        git URL of the zones repository (required)
#   ZONES_BRANCH      branch to serve (main)
#   ZONES_SUBDIR      folder of the zones inside the repository (zones; "." for the top)
#   LIVE_DIR          the server's zones directory (/var/lib/popdns/zones)
#   STATE_DIR         checkout and scratch space, on the file system of LIVE_DIR
#                     ($STATE_DIRECTORY from systemd, else /var/lib/popdns-sync)
#   POPDNS            the popdns command, words split on spaces
#                     (java -jar /usr/lib/popdns/popdns.jar)
#   POPDNS_HTTP       the server's HTTP address (http://127.0.0.1:8053)
#   ADMIN_TOKEN_FILE  bearer token for the reload call ($CREDENTIALS_DIRECTORY/admin-token when
#                     systemd passes it); without one, the server's directory watch alone reloads
#   RELOAD_TIMEOUT    seconds to wait for the server's verdict on the reload (15)
#   GIT_SSH_KEY       private key for an ssh:// repository ($CREDENTIALS_DIRECTORY/deploy-key when
#                     present)
#
# Exit status: 0 applied or already up to date; 1 the new tree was refused (live zones untouched);
# 2 could not run (configuration, git, file system); 3 applied, but the server did not confirm
# the reload (it refused the set, or could not be reached).
set -euo pipefail

ZONES_BRANCH="${ZONES_BRANCH:-main}"
ZONES_SUBDIR="${ZONES_SUBDIR:-zones}"
LIVE_DIR="${LIVE_DIR:-/var/lib/popdns/zones}"
STATE_DIR="${STATE_DIR:-${STATE_DIRECTORY:-/var/lib/popdns-sync}}"
POPDNS="${POPDNS:-java -jar /usr/lib/popdns/popdns.jar}"
POPDNS_HTTP="${POPDNS_HTTP:-http://127.0.0.1:8053}"
RELOAD_TIMEOUT="${RELOAD_TIMEOUT:-15}"
if [ -z "${ADMIN_TOKEN_FILE:-}" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -e "$CREDENTIALS_DIRECTORY/admin-token" ]; then
  ADMIN_TOKEN_FILE="$CREDENTIALS_DIRECTORY/admin-token"
fi
if [ -z "${GIT_SSH_KEY:-}" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ] && [ -e "$CREDENTIALS_DIRECTORY/deploy-key" ]; then
  GIT_SSH_KEY="$CREDENTIALS_DIRECTORY/deploy-key"
fi

log() { printf '%s popdns-zone-sync: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { local code="$1"; shift; log "$*"; exit "$code"; }

[ -n "${ZONES_REPO:-}" ] || die 2 "ZONES_REPO is not set (expected: the git URL of the zones repository)"
[ -d "$LIVE_DIR" ] || die 2 "live zones directory $LIVE_DIR does not exist"
[ -w "$LIVE_DIR" ] || die 2 "live zones directory $LIVE_DIR is not writable by $(id -un)"
mkdir -p "$STATE_DIR"
read -r -a POPDNS_CMD <<< "$POPDNS"

# One run at a time (a manual run beside the timer's).
exec 9> "$STATE_DIR/lock"
flock -n 9 || { log "another run holds $STATE_DIR/lock; nothing done"; exit 0; }

# --- 1. fetch -------------------------------------------------------------------------------
checkout="$STATE_DIR/checkout"
if [ -n "${GIT_SSH_KEY:-}" ]; then
  export GIT_SSH_COMMAND="ssh -i $GIT_SSH_KEY -o IdentitiesOnly=yes -o BatchMode=yes"
fi
git_c() { git -C "$checkout" -c advice.detachedHead=false "$@"; }
if [ ! -d "$checkout/.git" ]; then
  rm -rf "$checkout"
  git init --quiet "$checkout" || die 2 "git init $checkout failed"
  git_c remote add origin "$ZONES_REPO"
fi
git_c remote set-url origin "$ZONES_REPO"
git_c fetch --quiet --prune origin "+refs/heads/$ZONES_BRANCH:refs/remotes/origin/$ZONES_BRANCH" \
  || die 2 "git fetch of $ZONES_BRANCH from $ZONES_REPO failed; live zones untouched"
commit="$(git_c rev-parse --verify --quiet "refs/remotes/origin/$ZONES_BRANCH^{commit}")" \
  || die 2 "branch $ZONES_BRANCH not found in $ZONES_REPO"
git_c checkout --quiet --force --detach "$commit" || die 2 "git checkout $commit failed"
git_c clean --quiet -ffdx
short="${commit:0:12}"
new="$checkout/$ZONES_SUBDIR"
[ -d "$new" ] || die 1 "commit $short has no $ZONES_SUBDIR/ folder; live zones untouched"

# --- 2. what changed --------------------------------------------------------------------------
# The server reads *.zone and pops.yaml at the top of its directory; nothing else is synced.
served_files() { # lists the served files of directory $1, one name per line
  local f
  for f in "$1"/*.zone "$1"/pops.yaml; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    printf '%s\n' "${f##*/}"
  done
}
mapfile -t new_files < <(served_files "$new")
for name in "${new_files[@]}"; do
  # a symlink could point anywhere this user can read; zone data is plain files
  if [ -L "$new/$name" ] || [ ! -f "$new/$name" ]; then
    die 1 "commit $short: $ZONES_SUBDIR/$name is not a regular file; live zones untouched"
  fi
done
changed=()
for name in "${new_files[@]}"; do
  cmp -s "$new/$name" "$LIVE_DIR/$name" || changed+=("$name")
done
removed=()
while IFS= read -r name; do
  [ -e "$new/$name" ] || removed+=("$name")
done < <(served_files "$LIVE_DIR")
if [ ${#changed[@]} -eq 0 ] && [ ${#removed[@]} -eq 0 ]; then
  log "up to date at $short ($ZONES_BRANCH)"
  exit 0
fi

# --- 3. check -------------------------------------------------------------------------------
if ! report="$("${POPDNS_CMD[@]}" check "$new" 2>&1)"; then
  log "commit $short: popdns check failed; live zones untouched:"
  printf '%s\n' "$report" >&2
  exit 1
fi
log "commit $short: $report"

# "ok: 2 zone(s), 30 RRsets in DIR (a.test. serial 5, b.test. serial 7); ..." -> "a.test. 5" lines
serials() { grep -o '[^ (,]* serial [0-9]*' <<< "$1" | sed 's/ serial / /' || true; }
contains() { local x="$1" y; shift; for y in "$@"; do [ "$y" = "$x" ] && return 0; done; return 1; }
# RFC 1982 §3.2: s1 < s2 in sequence space arithmetic (32 bits)
serial_lt() { local a=$1 b=$2; (( (a < b && b - a < 2147483648) || (a > b && a - b > 2147483648) )); }
if [ -n "$(served_files "$LIVE_DIR")" ]; then
  if live_report="$("${POPDNS_CMD[@]}" check "$LIVE_DIR" 2>&1)"; then
    declare -A live_serial=()
    while read -r origin serial; do
      [ -n "$origin" ] && live_serial["$origin"]="$serial"
    done < <(serials "$live_report")
    while read -r origin serial; do
      [ -n "$origin" ] || continue
      old="${live_serial[$origin]:-}"
      [ -n "$old" ] || continue
      if serial_lt "$serial" "$old"; then
        die 1 "commit $short: $origin serial $serial is older than the live $old (RFC 1982 §3.2), which the server refuses; bump it above $old. Live zones untouched"
      fi
      if [ "$serial" = "$old" ] && contains "${origin%.}.zone" "${changed[@]}"; then
        log "warning: ${origin%.}.zone changed but its serial stayed $serial (nameservers are compared by serial)"
      fi
    done < <(serials "$report")
  else
    log "warning: the live zones in $LIVE_DIR do not pass popdns check; serials not compared"
  fi
fi

# --- 4. apply -------------------------------------------------------------------------------
incoming="$STATE_DIR/incoming"
rm -rf "$incoming"
mkdir -p "$incoming"
# rename(2) is atomic only within one file system; across two, mv would copy in place.
[ "$(stat -c %d "$incoming")" = "$(stat -c %d "$LIVE_DIR")" ] \
  || die 2 "$incoming and $LIVE_DIR are on different file systems (set STATE_DIR beside $LIVE_DIR); live zones untouched"
for name in "${changed[@]}"; do
  cp -- "$new/$name" "$incoming/$name"
  chmod 0644 "$incoming/$name"
done
for name in "${changed[@]}"; do
  mv -f -- "$incoming/$name" "$LIVE_DIR/$name"
done
for name in "${removed[@]}"; do
  rm -f -- "$LIVE_DIR/$name"
done
rmdir "$incoming"
log "commit $short: applied to $LIVE_DIR: changed [${changed[*]}] removed [${removed[*]}]"

# --- 5. reload ------------------------------------------------------------------------------
if [ -z "${ADMIN_TOKEN_FILE:-}" ]; then
  log "no ADMIN_TOKEN_FILE: the server's directory watch reloads on its own; not confirmed"
  exit 0
fi
[ -r "$ADMIN_TOKEN_FILE" ] || die 3 "cannot read ADMIN_TOKEN_FILE $ADMIN_TOKEN_FILE; the directory watch should still reload"
token="$(tr -d '\r\n' < "$ADMIN_TOKEN_FILE")"

# Reload counters and the last outcome from /api/v1/status: "reloads": {"ok": N, "failed": N, "last": "..."}
reload_state() {
  local json
  json="$(curl -fsS --max-time 5 "$POPDNS_HTTP/api/v1/status")" || return 1
  json="$(tr -d '\n' <<< "$json")"
  local ok failed last
  ok="$(grep -o '"reloads" *: *{[^}]*' <<< "$json" | grep -o '"ok" *: *[0-9]*' | grep -o '[0-9]*$')" || return 1
  failed="$(grep -o '"reloads" *: *{[^}]*' <<< "$json" | grep -o '"failed" *: *[0-9]*' | grep -o '[0-9]*$')" || return 1
  last="$(grep -o '"reloads" *: *{[^}]*' <<< "$json" | grep -o '"last" *: *"[^"]*' | sed 's/^"last" *: *"//')" || last=""
  printf '%s %s %s\n' "$ok" "$failed" "$last"
}
before="$(reload_state)" || die 3 "cannot read $POPDNS_HTTP/api/v1/status; the directory watch should still reload"
read -r ok0 failed0 _ <<< "$before"
# the token goes through stdin (curl -H @-), never on a command line other users could read
status="$(printf 'Authorization: Bearer %s\n' "$token" \
  | curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -X POST -H @- "$POPDNS_HTTP/api/v1/reload")" || status="000"
[ "$status" = 202 ] || die 3 "POST $POPDNS_HTTP/api/v1/reload answered HTTP $status (expected 202); the directory watch should still reload"
# The watch may have reloaded already, or may merge our request into its own reload: either reads
# the files as renamed above. Wait for the reload counters to move, then to settle, and judge by
# the last outcome.
deadline=$((SECONDS + RELOAD_TIMEOUT))
seen=""
while [ $SECONDS -lt $deadline ]; do
  sleep 0.5
  now="$(reload_state)" || continue
  read -r ok failed last <<< "$now"
  [ $((ok + failed)) -gt $((ok0 + failed0)) ] || continue
  if [ "$now" != "$seen" ]; then seen="$now"; continue; fi
  case "$last" in
    ok*) log "commit $short: server reloaded: $last"; exit 0 ;;
    *) die 3 "commit $short: the server refused the new zones and keeps serving the previous ones: $last" ;;
  esac
done
die 3 "commit $short: no reload outcome from the server within ${RELOAD_TIMEOUT}s"
