#!/usr/bin/env bash
# Hostile configuration: include cycles, deep nesting, binary garbage, a zone file that is a
# directory, a missing zone file, a 100 MB zone file. Each ends with a clear config-error naming
# file:line (or the file), exit 3, within bounded time and memory, never a crash.
# -t 60: what is tested is the reader's own bound (60 s by timeout), not the watchdog's (-t + 1 s).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect_unknown() {  # NAME CONF PATTERN
  local name=$1 conf=$2 pattern=$3 rc=0 out
  out=$(timeout 60 bash -c 'ulimit -v 4000000; exec "$0" "$@"' "$HC_BIN" --static -C "$conf" -t 60 --format nagios 2>&1) || rc=$?
  if [ $rc -ne 3 ]; then echo "FAIL $name: exit $rc"; echo "$out" | head -5; fail=1; return; fi
  if ! echo "$out" | grep -qE -- "$pattern"; then echo "FAIL $name: no '$pattern' in: $(echo "$out" | head -3)"; fail=1; return; fi
  echo "ok   $name: $(echo "$out" | sed -n 2p | cut -c1-150)"
}
views='view "intra" { match-clients { 198.18.1.0/24; }; zone "debugo.fr" { type master; file "ZONE"; }; };
view "extra" { match-clients { any; }; zone "debugo.fr" { type master; file "db.extra"; }; };'
cp "$HC_SOURCE_DIR/zones/db.debugo.fr.extra" "$work/db.extra"

printf 'include "b.conf";\n' >"$work/a.conf"; printf 'include "a.conf";\n' >"$work/b.conf"
expect_unknown include-cycle "$work/a.conf" 'b.conf:1:[0-9]+'

python3 -c 'print("acl deep { " + "{ " * 5000 + "}" * 5000 + " };")' >"$work/deep.conf"
expect_unknown deep-nesting "$work/deep.conf" 'deep.conf:1:[0-9]+'

head -c 65536 /dev/urandom >"$work/garbage.conf"
expect_unknown binary-garbage "$work/garbage.conf" 'garbage.conf:[0-9]+'

mkdir "$work/zonedir"
echo "${views//ZONE/zonedir}" >"$work/dir.conf"
expect_unknown zone-is-directory "$work/dir.conf" 'zonedir'

echo "${views//ZONE/missing.zone}" >"$work/missing.conf"
expect_unknown zone-missing-file "$work/missing.conf" 'missing.zone'

# 100 MB of zone file with one bad line at the end: read in bounded time and memory.
python3 - "$work/big.zone" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("$TTL 300\n@ IN SOA ns.debugo.fr. h.debugo.fr. 1 3600 900 604800 300\n@ IN NS ns\nns IN A 198.18.1.53\n")
    line = "h{:07d} IN TXT \"" + "x" * 60 + "\"\n"
    n = 0
    while f.tell() < 100 * 1024 * 1024:
        f.write(line.format(n)); n += 1
    f.write("bad IN A 300.1.2.3\n")
PY
echo "${views//ZONE/big.zone}" >"$work/big.conf"
expect_unknown zone-100MB-bad-line "$work/big.conf" 'big.zone:[0-9]+'
exit $fail
