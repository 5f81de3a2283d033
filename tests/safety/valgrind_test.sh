#!/usr/bin/env bash
# A static run on the bundled example is valgrind-clean: no invalid access, no leak.
set -euo pipefail
command -v valgrind >/dev/null || { echo "SKIP: valgrind is not installed"; exit 77; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --log-file="$log" \
  "$HC_BIN" --static -C "$HC_SOURCE_DIR/zones/named.conf" --nat-rules "$HC_SOURCE_DIR/zones/router.rules" \
  --all --format json >/dev/null || rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: valgrind run exited $rc"
  cat "$log"
  exit 1
fi
grep -E "ERROR SUMMARY|definitely lost" "$log"
echo "ok: valgrind-clean"
