#!/usr/bin/env bash
# --textfile never leaves a partial file: runs killed with SIGKILL at random moments leave either
# the previous complete exposition or the new one, and no stray temporary file is ever read.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prom=$work/hairpin.prom
args=(--static -C "$HC_SOURCE_DIR/zones/named.conf" --nat-rules "$HC_SOURCE_DIR/zones/router.rules" --all -q)
"$HC_BIN" "${args[@]}" --textfile "$prom"
complete() { tail -n 1 "$1" | grep -q '^hairpin_last_run_timestamp_seconds\|^hairpin_' && grep -q '^# TYPE hairpin_status gauge' "$1"; }
complete "$prom" || { echo "FAIL: first exposition incomplete"; exit 1; }
lines=$(wc -l <"$prom")
for i in $(seq 1 40); do
  "$HC_BIN" "${args[@]}" --textfile "$prom" &
  pid=$!
  sleep "0.00$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ "$(wc -l <"$prom")" -eq "$lines" ] || { echo "FAIL: run $i left a file of $(wc -l <"$prom") lines, expected $lines"; exit 1; }
  complete "$prom" || { echo "FAIL: run $i left an incomplete file"; exit 1; }
done
# Temporary files of killed runs are dot files: node_exporter reads only *.prom.
if ls "$work"/*.prom | grep -v "^$prom$"; then echo "FAIL: stray .prom files"; exit 1; fi
echo "ok: 40 runs killed with SIGKILL, the exposition always complete"
