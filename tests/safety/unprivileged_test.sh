#!/usr/bin/env bash
# hairpin-check needs no privilege: as nobody it reads a world-readable configuration and reports.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to become another user"; exit 77; }
command -v runuser >/dev/null || { echo "SKIP: no runuser"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$HC_SOURCE_DIR"/zones/* "$work/"
cp "$HC_BIN" "$work/hairpin-check"
chmod -R a+rX "$work"
out=$(runuser -u nobody -- "$work/hairpin-check" --static -C "$work/named.conf" --nat-rules "$work/router.rules" --all --format json)
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"]=="OK", d["status"]; assert len(d["views"])==2'
# An unreadable zone file is a config-error (exit 3), not a crash.
chmod 600 "$work/db.debugo.fr.extra"
rc=0
err=$(runuser -u nobody -- "$work/hairpin-check" --static -C "$work/named.conf" --format nagios) || rc=$?
[ $rc -eq 3 ] || { echo "FAIL: unreadable zone file gave exit $rc"; echo "$err"; exit 1; }
echo "$err" | grep -q "db.debugo.fr.extra" || { echo "FAIL: the error does not name the file: $err"; exit 1; }
echo "ok: runs as nobody; unreadable file is UNKNOWN with its name"
