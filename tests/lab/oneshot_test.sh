#!/usr/bin/env bash
# One-shot mode without the BIND configuration (--no-named-conf), from the lab's internal client:
# the internal answer from the resolver, the external one from the DNS server on the public address,
# then HTTPS through the hairpin.
#   tests/lab/oneshot_test.sh SCENARIO [given|walk|no-hints]
# given (default): --external-dns 203.0.113.1. ok: no warning or critical, exit 0; no-snat:
#   unexpected-source on dns/udp and a timeout on the HTTPS hairpin, exit 2.
# walk: no --external-dns; the public delegation is walked from the lab's root ($RUN/root.hints,
#   hc-root 198.51.100.53), which refers debugo.fr to 203.0.113.1: DNS and HTTPS through the
#   hairpin at 203.0.113.1, a note on the walk, exit 0 (scenario ok).
# no-hints: --root-hints none: the documented fallback, the zone's NS records from the resolver,
#   which resolve to the internal 198.18.1.53: a note says the walk could not be made, the DNS
#   hairpin is not-checked (never asked of 198.18.1.53 as if it were public), exit 3 (scenario ok).
set -euo pipefail
source "$(dirname "$0")/common.sh"
scen=${1:?usage: oneshot_test.sh SCENARIO [given|walk|no-hints]}
way=${2:-given}
lab_require
"$LAB" scenario "$scen" >/dev/null || { echo "FAIL: scripts/lab scenario $scen"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
case $way in
  given) external=(--external-dns 203.0.113.1 --root-hints "$RUN/root.hints") ;;
  walk) external=(--root-hints "$RUN/root.hints") ;;
  no-hints) external=(--root-hints none) ;;
  *) echo "FAIL: unknown way $way"; exit 1 ;;
esac
rc=0
"$LAB" exec hc-client "$HC_HAIRPIN_CHECK" --no-named-conf --resolver 198.18.1.53 "${external[@]}" \
  --ca-file "$RUN/ca.pem" --format json -t 10 blog.debugo.fr >"$out" || rc=$?
python3 - "$scen" "$way" "$rc" "$out" <<'PY'
import json, sys
scen, way, rc, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
d = json.load(open(path))
bad = sorted({(f["kind"], f.get("service", ""), f.get("path", "")) for f in d["findings"]
              if f["severity"] in ("warning", "critical", "unknown")})
checks = {(c["service"], c["path"]) for c in d["checks"]}
hairpin_dns = {c["address"] for c in d["checks"] if c["path"] == "hairpin" and c["service"].startswith("dns")}
notes = " ".join(d.get("notes", []))
fail = []
if "without the zone files" not in notes: fail.append("no note on the checks it could not do")
if ("dns/udp", "resolver") not in checks: fail.append("the resolver was not asked")
if way != "no-hints" and (("dns/udp", "hairpin") not in checks or ("https", "hairpin") not in checks):
    fail.append("no DNS or HTTPS check through the hairpin: %s" % sorted(checks))
if way == "walk":
    if "external DNS found through the public delegation walked from the root servers" not in notes:
        fail.append("no note on the walk: %s" % notes)
    if "debugo.fr (. > debugo.fr.) served by 203.0.113.1" not in notes:
        fail.append("the walk did not end at debugo.fr served by 203.0.113.1: %s" % notes)
    if hairpin_dns != {"203.0.113.1"}: fail.append("DNS through the hairpin asked of %s" % sorted(hairpin_dns))
    if bad: fail.append("unexpected findings %s" % bad)
    if rc != 0: fail.append("exit %d, expected 0" % rc)
elif way == "no-hints":
    if "could not be walked from the root servers (no root hints" not in notes:
        fail.append("no note on the fallback: %s" % notes)
    if "taken from the zone's NS records" not in notes: fail.append("no note on the NS records: %s" % notes)
    if hairpin_dns: fail.append("DNS through the hairpin asked of %s" % sorted(hairpin_dns))
    nc = [f["evidence"] for f in d["findings"] if f["kind"] == "not-checked"]
    if not any("internal addresses only (198.18.1.53)" in e for e in nc):
        fail.append("no not-checked naming the internal name server: %s" % nc)
    if rc != 3: fail.append("exit %d, expected 3" % rc)
elif scen == "ok":
    if bad: fail.append("unexpected findings %s" % bad)
    if rc != 0: fail.append("exit %d, expected 0" % rc)
elif scen == "no-snat":
    if ("unexpected-source", "dns/udp", "hairpin") not in bad: fail.append("no unexpected-source on dns/udp: %s" % bad)
    if ("timeout", "https", "hairpin") not in bad: fail.append("no https hairpin timeout: %s" % bad)
    if rc != 2: fail.append("exit %d, expected 2" % rc)
for f in fail: print("FAIL ", f)
if fail: sys.exit(1)
print("ok    one-shot without named.conf, scenario %s, external DNS %s: exit %d, %d checks, findings %s"
      % (scen, way, rc, len(d["checks"]), bad))
PY
