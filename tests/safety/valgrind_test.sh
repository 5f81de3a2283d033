#!/usr/bin/env bash
# A static run on the bundled example is valgrind-clean: no invalid access, no leak. So is a run
# that the watchdog ends (-t 1 with --nat-rules - from a pipe that never ends): its report is
# rendered on the watchdog's thread while the run's thread is still reading.
set -euo pipefail
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
log=$(mktemp)
work=$(mktemp -d)
feeder=
trap '[ -z "$feeder" ] || kill "$feeder" 2>/dev/null || true; rm -rf "$log" "$work"' EXIT
vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --log-file="$log")
rc=0
# -t 120: valgrind is slow, and what is checked here is memory, not the deadline.
"${vg[@]}" "$HC_BIN" --static -C "$HC_SOURCE_DIR/zones/named.conf" --nat-rules "$HC_SOURCE_DIR/zones/router.rules" \
  --all --format json -t 120 >/dev/null || rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: valgrind run exited $rc"
  cat "$log"
  exit 1
fi
grep -E "ERROR SUMMARY|definitely lost" "$log"

exec {pipe}< <(sleep 120)
feeder=$!
rc=0
"${vg[@]}" "$HC_BIN" --static -C "$HC_SOURCE_DIR/zones/named.conf" --nat-rules - -t 1 --format json \
  --textfile "$work/hairpin.prom" <&"$pipe" >"$work/out.json" || rc=$?
if [ $rc -ne 3 ] || ! grep -q 'did not finish within -t 1 s' "$work/out.json" || ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
  echo "FAIL: valgrind run ended by the watchdog exited $rc (want 3)"
  cat "$log" "$work/out.json"
  exit 1
fi
grep -E "ERROR SUMMARY|definitely lost" "$log"
echo "ok: valgrind-clean, also when the watchdog ends the run"
