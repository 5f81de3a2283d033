#!/usr/bin/env bash
# One-shot mode without the BIND configuration (--no-named-conf), from the lab's internal client:
# the internal answer from the resolver, the external one from the DNS server on the public address,
# then HTTPS through the hairpin. ok: no warning or critical, exit 0; no-snat: unexpected-source on
# dns/udp and a timeout on the HTTPS hairpin, exit 2.
#   tests/lab/oneshot_test.sh SCENARIO
set -euo pipefail
source "$(dirname "$0")/common.sh"
scen=${1:?usage: oneshot_test.sh SCENARIO}
lab_require
"$LAB" scenario "$scen" >/dev/null || { echo "FAIL: scripts/lab scenario $scen"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
"$LAB" exec hc-client "$HC_HAIRPIN_CHECK" --no-named-conf --resolver 198.18.1.53 --external-dns 203.0.113.1 \
  --ca-file "$RUN/ca.pem" --format json -t 10 blog.debugo.fr >"$out" || rc=$?
python3 - "$scen" "$rc" "$out" <<'PY'
import json, sys
scen, rc, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = json.load(open(path))
bad = sorted({(f["kind"], f.get("service", ""), f.get("path", "")) for f in d["findings"]
              if f["severity"] in ("warning", "critical")})
checks = {(c["service"], c["path"]) for c in d["checks"]}
notes = " ".join(d.get("notes", []))
fail = []
if "without the zone files" not in notes: fail.append("no note on the checks it could not do")
if ("dns/udp", "resolver") not in checks: fail.append("the resolver was not asked")
if ("dns/udp", "hairpin") not in checks or ("https", "hairpin") not in checks:
    fail.append("no DNS or HTTPS check through the hairpin: %s" % sorted(checks))
if scen == "ok":
    if bad: fail.append("unexpected findings %s" % bad)
    if rc != 0: fail.append("exit %d, expected 0" % rc)
elif scen == "no-snat":
    if ("unexpected-source", "dns/udp", "hairpin") not in bad: fail.append("no unexpected-source on dns/udp: %s" % bad)
    if ("timeout", "https", "hairpin") not in bad: fail.append("no https hairpin timeout: %s" % bad)
    if rc != 2: fail.append("exit %d, expected 2" % rc)
for f in fail: print("FAIL ", f)
if fail: sys.exit(1)
print("ok    one-shot without named.conf, scenario %s: exit %d, %d checks, findings %s" % (scen, rc, len(d["checks"]), bad))
PY
