#!/usr/bin/env bash
# Issue #18's "done when": from the lab's internal client, with no zone file readable (only named.conf,
# its options and the TSIG key, copied into an empty folder), `--zones-from axfr --view intra=KEY
# --view extra` finds the same static findings as the file-based run. Scenario key-views-extra-only
# (views selected by key, www only in view extra): both runs `--static --all`; the sets of
# (kind, name, view) of their warning/critical/unknown findings must be equal and not empty, and
# the transfer run must have read no zone file.
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
# Only the configuration and the key: no db.* file beside this named.conf.
cp "$RUN/named.conf" "$RUN/named.conf.options" "$RUN/intra-key.key" "$work/"
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

"$LAB" hairpin-check --static --all --format json -t "$DEADLINE" >"$work/files.json" 2>"$work/files.err"
rc_files=$?
bin=${HC_HAIRPIN_CHECK:-$HC_ROOT/build/hairpin-check}
[ -x "$bin" ] || bin=$HC_ROOT/build/src/hairpin-check
"$LAB" exec hc-client "$bin" -C "$work/named.conf" --source 198.18.1.99 --resolver 198.18.1.53 \
  --ca-file "$RUN/ca.pem" --nat-rules "$RUN/router.rules" --root-hints "$RUN/root.hints" \
  --zones-from axfr --dns-server 198.18.1.53 --view "intra=$work/intra-key.key" --view extra \
  --static --all --format json -t "$DEADLINE" >"$work/axfr.json" 2>"$work/axfr.err"
rc_axfr=$?

files=$(triples "$work/files.json" 2>&1)
axfr=$(triples "$work/axfr.json" 2>&1)
echo "file-based run (exit $rc_files):"; sed 's/^/  /' <<<"$files"
echo "transfer run (exit $rc_axfr):"; sed 's/^/  /' <<<"$axfr"
[ -s "$work/axfr.err" ] && { echo "transfer run stderr:"; head -c 2000 "$work/axfr.err" | sed 's/^/  /'; }

expect_eq "no zone file beside the transfer run's named.conf" "$(find "$work" -name 'db.*' | wc -l)" 0
expect_match "the file-based run finds extra-only for www (published in view extra only)" "$files" '^extra-only www\.debugo\.fr extra$'
expect_eq "the same (kind, name, view) set by AXFR as from the files" "$axfr" "$files"
expect_eq "the same exit status" "$rc_axfr" "$rc_files"
expect_eq "exit status 1 (the warning)" "$rc_files" 1
finish
