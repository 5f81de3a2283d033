#!/usr/bin/env bash
# Issue #18's "done when": from the lab's internal client, with no zone file readable (only named.conf
# and its options, copied into an empty folder, without the include of the key; the key file given
# with --view), `--zones-from axfr --view intra=KEY --view extra` finds the same findings as the
# file-based run. Scenario key-views-extra-only (views selected by key, www only in view extra):
# `--static --all` and `--all` each run both ways; the sets of (kind, name, view) of their
# warning/critical/unknown findings must be equal and hold extra-only, and the exit statuses equal.
# The live run needs the --view key for view intra's checks (named.conf's copy has no key statement).
#
#   tests/lab/axfr_parity_test.sh
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no network namespaces).
set -uo pipefail
source "$(dirname "$0")/common.sh"
DEADLINE=${HC_LAB_DEADLINE:-10}
SCEN=key-views-extra-only

lab_require
"$LAB" scenario "$SCEN" || { echo "FAIL: scripts/lab scenario $SCEN"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only the configuration and the key: no db.* file beside this named.conf, and no key statement in it.
cp "$RUN/named.conf.options" "$RUN/intra-key.key" "$work/"
grep -v '^include "intra-key.key";' "$RUN/named.conf" >"$work/named.conf"
chmod 600 "$work/intra-key.key"

# The (kind, name, view) of every warning/critical/unknown finding of a report, sorted, one a line.
triples() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
out = sorted({"%s %s %s" % (f.get("kind"), f.get("name"), f.get("view", "-")) for f in r["findings"]
              if f.get("severity") in ("warning", "critical", "unknown")})
print("\n".join(out))' "$1"
}

bin=${HC_HAIRPIN_CHECK:-$HC_ROOT/build/hairpin-check}
[ -x "$bin" ] || bin=$HC_ROOT/build/src/hairpin-check
expect_eq "no zone file beside the transfer run's named.conf" "$(find "$work" -name 'db.*' | wc -l)" 0
expect_no_match "no key statement in the transfer run's named.conf" "$(cat "$work/named.conf")" '^(include "intra-key|key )'
for mode in static live; do
  more=(--all)
  [ $mode = live ] || more=(--static --all)
  "$LAB" hairpin-check "${more[@]}" --format json -t "$DEADLINE" >"$work/files.json" 2>"$work/files.err"
  rc_files=$?
  "$LAB" exec hc-client "$bin" -C "$work/named.conf" --source 198.18.1.99 --resolver 198.18.1.53 \
    --ca-file "$RUN/ca.pem" --nat-rules "$RUN/router.rules" --root-hints "$RUN/root.hints" \
    --zones-from axfr --dns-server 198.18.1.53 --view "intra=$work/intra-key.key" --view extra \
    "${more[@]}" --format json -t "$DEADLINE" >"$work/axfr.json" 2>"$work/axfr.err"
  rc_axfr=$?
  files=$(triples "$work/files.json" 2>&1)
  axfr=$(triples "$work/axfr.json" 2>&1)
  echo "$mode, file-based run (exit $rc_files):"; sed 's/^/  /' <<<"$files"
  echo "$mode, transfer run (exit $rc_axfr):"; sed 's/^/  /' <<<"$axfr"
  [ -s "$work/axfr.err" ] && { echo "transfer run stderr:"; head -c 2000 "$work/axfr.err" | sed 's/^/  /'; }
  expect_match "$mode: the file-based run finds extra-only for www (published in view extra only)" "$files" '^extra-only www\.debugo\.fr extra$'
  expect_eq "$mode: the same (kind, name, view) set by AXFR as from the files" "$axfr" "$files"
  expect_eq "$mode: the same exit status" "$rc_axfr" "$rc_files"
  expect_eq "$mode: exit status 1 (the warning)" "$rc_files" 1
  if [ $mode = live ]; then
    notes=$(python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1])).get("notes", [])))' "$work/axfr.json" 2>&1)
    expect_match "live: view intra's checks signed with the --view key" "$notes" "view 'intra' is reached with TSIG key 'intra-key' \(from --view intra="
  fi
done
finish
