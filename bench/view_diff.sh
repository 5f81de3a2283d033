#!/usr/bin/env bash
# View-diff benchmark: generated split-horizon pairs of 10k, 100k and 1M names per view, read and
# compared by hairpin-check (--static --all, JSON output) and by view_diff_bench (the library alone), by
# `ldns-compare-zones -a` and by `named-checkconf -z`, on the same files in the same run.
# Prints wall time and peak memory (/usr/bin/time -v) of each, and the ratios to ldns-compare-zones.
#
# Then the realistic mix of real split-horizon zones (issue #16; hc-zone-gen --mix): half the names
# split, 14% with an MX at one of 4 hosts that exist in neither view, 3% anomalies, views inferred
# (no --internal-view/--external-view), at MIX_SIZE names (default 1M), and variants of the split,
# dangling and anomaly shares and of the number of shared targets (MIXES, at MIX_VARIANT_SIZE,
# default 100k). For each: hairpin-check --static --all --format json wall time and peak memory as
# ratios to ldns-compare-zones -a in the same run, and the size of the text report.
#
#   bench/view_diff.sh [BUILD_DIR]        (default: build; SIZES="10000 100000" to choose sizes;
#                                          SIZES="" for the realistic mixes alone, MIXES="" for the 1M one alone;
#                                          HC_BASE=older/hairpin-check to measure it too on the realistic mixes)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
SIZES=${SIZES-10000 100000 1000000}
WORK=${WORK:-$(mktemp -d /tmp/hc-view-diff.XXXXXX)}
GEN=$BUILD/bench/hc-zone-gen
BENCH=$BUILD/bench/view_diff_bench
HC=$BUILD/hairpin-check
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

for tool in "$GEN" "$BENCH"; do
  [ -x "$tool" ] || { echo "missing $tool: cmake --build $BUILD --target hc-zone-gen view_diff_bench" >&2; exit 3; }
done
command -v ldns-compare-zones >/dev/null || { echo "ldns-compare-zones missing (package ldnsutils)" >&2; exit 3; }
command -v named-checkconf >/dev/null || { echo "named-checkconf missing (package bind9-utils)" >&2; exit 3; }

# measure NAME CMD...: runs CMD under /usr/bin/time -v; sets WALL (s) and PEAK (MiB).
measure() {
  local name=$1 log=$WORK/time.log
  shift
  set +e
  /usr/bin/time -v -o "$log" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  local rc=$?
  set -e
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
  PEAK=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")
  RC=$rc
}

printf '%-9s %-34s %9s %10s %8s %8s\n' names tool wall_s peak_MiB x_wall x_peak
for n in $SIZES; do
  dir=$WORK/$n
  "$GEN" "$n" "$dir" >/dev/null

  measure ldns ldns-compare-zones -a "$dir/db.bench.intra" "$dir/db.bench.extra"
  LW=$WALL LP=$PEAK

  rows=()
  if [ -x "$HC" ]; then
    # -t 3600: the whole work is measured, which the watchdog would end at -t (default 10) + 1 s.
    measure hc "$HC" --static --all -C "$dir/named.conf" --internal-view intra --external-view extra --format json -t 3600
    # 0-2: a verdict (the planted faults make it CRITICAL); 3 or worse: the CLI cannot do it yet.
    if [ "$RC" -le 2 ]; then rows+=("hairpin-check --static --all|$WALL|$PEAK"); fi
  fi
  measure bench "$BENCH" "$dir"
  grep -q 'match,' "$WORK/bench.out" || { echo "view_diff_bench: findings differ from the manifest" >&2; cat "$WORK/bench.out" >&2; exit 1; }
  rows+=("view_diff_bench (load + diff)|$WALL|$PEAK")
  measure checkconf named-checkconf -z "$dir/named.conf"
  rows+=("named-checkconf -z|$WALL|$PEAK")
  rows+=("ldns-compare-zones -a|$LW|$LP")

  for row in "${rows[@]}"; do
    IFS='|' read -r tool w p <<<"$row"
    awk -v n="$n" -v t="$tool" -v w="$w" -v p="$p" -v lw="$LW" -v lp="$LP" \
      'BEGIN { printf "%-9s %-34s %9.2f %10.1f %8.3f %8.3f\n", n, t, w, p, (lw > 0 ? w / lw : 0), (lp > 0 ? p / lp : 0) }'
  done
done

# The realistic mix: SPLIT,DANGLING,ANOMALY,TARGETS (shares of the names; TARGETS missing hosts).
MIX_SIZE=${MIX_SIZE:-1000000}
MIX_VARIANT_SIZE=${MIX_VARIANT_SIZE:-100000}
MIX=${MIX:-0.5,0.14,0.03,4}
MIXES=${MIXES-0.2,0.14,0.03,4 0.8,0.14,0.03,4 0.5,0.02,0.03,4 0.5,0.30,0.03,4 0.5,0.14,0.03,1000 0.5,0.14,0.10,4}
echo
echo "realistic mix (split,dangling,anomaly,targets): hairpin-check --static --all, views inferred"
printf '%-9s %-22s %-30s %9s %10s %8s %8s %10s\n' names mix tool wall_s peak_MiB x_wall x_peak text_KiB
mix_run() {
  local n=$1 mix=$2 dir=$WORK/mix-$1-$2
  "$GEN" --mix "$mix" "$n" "$dir" >/dev/null
  measure ldns ldns-compare-zones -a "$dir/db.bench.intra" "$dir/db.bench.extra"
  local LW=$WALL LP=$PEAK
  measure hc "$HC" --static --all -C "$dir/named.conf" --format json
  [ "$RC" -le 2 ] || { echo "hairpin-check failed (exit $RC):" >&2; head -c 2000 "$WORK/hc.err" >&2; exit 1; }
  local HW=$WALL HP=$PEAK
  # HC_BASE=path/to/an/older/hairpin-check: measured on the same pair in the same run, for a
  # before/after under the same load.
  local BW="" BP=""
  if [ -n "${HC_BASE:-}" ]; then
    measure base "$HC_BASE" --static --all -C "$dir/named.conf" --format json
    BW=$WALL BP=$PEAK
  fi
  # The JSON must list every name of the shared targets: count equals the length of names.
  python3 - "$WORK/hc.out" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
for f in r["findings"]:
    if "count" in f and f["count"] != len(f["names"]):
        sys.exit(f"count {f['count']} but {len(f['names'])} names in {f['kind']} {f.get('name')}")
PY
  measure text "$HC" --static --all -C "$dir/named.conf"
  local TK
  TK=$(awk -v b="$(stat -c %s "$WORK/text.out")" 'BEGIN { printf "%.1f", b / 1024 }')
  measure bench "$BENCH" "$dir"
  grep -q 'match,' "$WORK/bench.out" || { echo "view_diff_bench: findings differ from the manifest" >&2; cat "$WORK/bench.out" >&2; exit 1; }
  awk -v n="$n" -v m="$mix" -v w="$HW" -v p="$HP" -v lw="$LW" -v lp="$LP" -v tk="$TK" 'BEGIN {
    printf "%-9s %-22s %-30s %9.2f %10.1f %8.3f %8.3f %10s\n", n, m, "hairpin-check --format json", w, p, (lw > 0 ? w / lw : 0), (lp > 0 ? p / lp : 0), tk
    printf "%-9s %-22s %-30s %9.2f %10.1f %8.3f %8.3f\n", n, m, "ldns-compare-zones -a", lw, lp, 1, 1 }'
  [ -z "$BW" ] || awk -v n="$n" -v m="$mix" -v w="$BW" -v p="$BP" -v lw="$LW" -v lp="$LP" 'BEGIN {
    printf "%-9s %-22s %-30s %9.2f %10.1f %8.3f %8.3f\n", n, m, "HC_BASE --format json", w, p, (lw > 0 ? w / lw : 0), (lp > 0 ? p / lp : 0) }'
  [ -z "${HC_DEBUG_TIMING:-}" ] || sed 's/^/    /' "$WORK/hc.err"
  rm -rf "$dir"
}
mix_run "$MIX_SIZE" "$MIX"
for m in $MIXES; do mix_run "$MIX_VARIANT_SIZE" "$m"; done
