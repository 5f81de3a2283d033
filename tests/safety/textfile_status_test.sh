#!/usr/bin/env bash
# --textfile that cannot be written: exit 3 and every output says UNKNOWN with the reason (not the
# run's own verdict). Temporaries of killed runs older than the deadline are removed, fresh ones kept.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(--static -C "$HC_SOURCE_DIR/zones/named.conf" --nat-rules "$HC_SOURCE_DIR/zones/router.rules" debugo.fr)
fail() { echo "FAIL: $*"; exit 1; }

# The file's directory does not exist (a root run cannot be stopped by permissions, this can).
set +e
out=$("$HC_BIN" "${args[@]}" --format nagios --textfile "$work/missing/hairpin.prom" 2>"$work/err")
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "nagios: exit $rc, expected 3 (stdout: $out)"
head -n 1 <<<"$out" | grep -q '^HAIRPIN UNKNOWN - .*not-checked .*textfile.*hairpin.prom' ||
  fail "nagios status line does not say UNKNOWN naming the textfile: $(head -n 1 <<<"$out")"
grep -q 'hairpin.prom' "$work/err" || fail "stderr does not name the textfile"

set +e
json=$("$HC_BIN" "${args[@]}" --format json --textfile "$work/missing/hairpin.prom" 2>/dev/null)
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "json: exit $rc, expected 3"
grep -q '"status": *"UNKNOWN"' <<<"$json" || fail "json status is not UNKNOWN"
grep -q '"exit_code": *3' <<<"$json" || fail "json exit_code is not 3"
grep -q 'textfile' <<<"$json" || fail "json does not name the textfile problem"

# A directory in place of the file's directory component: not a directory.
: >"$work/plainfile"
set +e
out=$("$HC_BIN" "${args[@]}" --format nagios --textfile "$work/plainfile/hairpin.prom" 2>/dev/null)
rc=$?
set -e
[ "$rc" -eq 3 ] && head -n 1 <<<"$out" | grep -q '^HAIRPIN UNKNOWN' || fail "not-a-directory: exit $rc, $out"

# Stale and fresh temporaries beside the textfile; other names are never touched.
prom=$work/hairpin.prom
: >"$work/.hairpin.prom.tmp.AbC123"
touch -d '-1 hour' "$work/.hairpin.prom.tmp.AbC123"
: >"$work/.hairpin.prom.tmp.Fresh1"
: >"$work/.other.prom.tmp.Old123"
touch -d '-1 hour' "$work/.other.prom.tmp.Old123"
: >"$work/.hairpin.prom.tmp.toolong1"
touch -d '-1 hour' "$work/.hairpin.prom.tmp.toolong1"
mkdir "$work/.hairpin.prom.tmp.Dir123"
touch -d '-1 hour' "$work/.hairpin.prom.tmp.Dir123"
set +e
out=$("$HC_BIN" "${args[@]}" -t 5 --format nagios --textfile "$prom" 2>&1)
rc=$?
set -e
head -n 1 <<<"$out" | grep -q '^HAIRPIN UNKNOWN' && fail "a writable textfile made the run UNKNOWN: $out"
[ -s "$prom" ] || fail "the textfile was not written"
[ ! -e "$work/.hairpin.prom.tmp.AbC123" ] || fail "a temporary older than the deadline was kept"
[ -e "$work/.hairpin.prom.tmp.Fresh1" ] || fail "a fresh temporary (a run under way) was removed"
[ -e "$work/.other.prom.tmp.Old123" ] || fail "another file's temporary was removed"
[ -e "$work/.hairpin.prom.tmp.toolong1" ] || fail "a name not made by mkstemp was removed"
[ -d "$work/.hairpin.prom.tmp.Dir123" ] || fail "a directory was removed"
echo "ok: an unwritable textfile is HAIRPIN UNKNOWN and exit 3; stale temporaries removed, fresh ones kept"
