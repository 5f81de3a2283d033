#!/usr/bin/env bash
# Stray datagrams (issue #14): a resolver in the lab (tests/lab/stray_responder.py on 198.18.1.54#5353
# in hc-dns, proxying to the lab's named) whose second address 198.18.1.55 sends datagrams to the
# query's source port. hairpin-check runs in one-shot mode from hc-client with it as --resolver.
#   nul:   seven NUL bytes before each real reply: every resolver check stays ok, its detail counts
#          the stray datagram, no unexpected-source, exit 0.
#   reply: the real reply (our ID and question) comes from 198.18.1.55 only: unexpected-source on
#          the resolver's dns/udp checks naming 198.18.1.55, exit 2.
#   tests/lab/stray_test.sh nul|reply      exit 0 pass, 1 fail, 77 skipped (not root, no netns)
set -uo pipefail
source "$(dirname "$0")/common.sh"

mode=${1:?usage: stray_test.sh nul|reply}
lab_require
"$LAB" scenario ok >/dev/null || { echo "FAIL: scripts/lab scenario ok"; exit 1; }

out=$(mktemp)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  ip -n hc-dns addr del 198.18.1.54/24 dev eth0 2>/dev/null || true
  ip -n hc-dns addr del 198.18.1.55/24 dev eth0 2>/dev/null || true
  rm -f "$out"
}
trap cleanup EXIT
ip -n hc-dns addr add 198.18.1.54/24 dev eth0
ip -n hc-dns addr add 198.18.1.55/24 dev eth0
"$LAB" exec hc-dns python3 "$HC_ROOT/tests/lab/stray_responder.py" 198.18.1.54 5353 198.18.1.55 198.18.1.53 "$mode" \
  >"$RUN/logs/stray_responder.log" 2>&1 &
pid=$!
# Ready when it listens (bounded: 5 s).
for _ in $(seq 50); do
  grep -q '^listening' "$RUN/logs/stray_responder.log" 2>/dev/null && break
  sleep 0.1
done
expect_match "stray responder listening" "$(cat "$RUN/logs/stray_responder.log")" '^listening on 198\.18\.1\.54#5353'

rc=0
"$LAB" exec hc-client "$HC_HAIRPIN_CHECK" --no-named-conf --resolver 198.18.1.54#5353 --external-dns 203.0.113.1 \
  --ca-file "$RUN/ca.pem" --format json -t 10 blog.debugo.fr >"$out" || rc=$?
report=$(python3 - "$mode" "$rc" "$out" <<'PY'
import json, sys
mode, rc, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = json.load(open(path))
resolver = [c for c in d["checks"] if c["path"] == "resolver"]
unexpected = [f for f in d["findings"] if f["kind"] == "unexpected-source"]
fail = []
if not resolver: fail.append("no resolver check")
if mode == "nul":
    for c in resolver:
        if not c["ok"]: fail.append("resolver check %s %s not ok: %s" % (c["name"], c.get("type", ""), c["detail"]))
        if "1 stray datagram ignored" not in c["detail"]: fail.append("no stray count in the detail: %s" % c["detail"])
    if unexpected: fail.append("unexpected-source for stray bytes: %s" % [f["evidence"] for f in unexpected])
    bad = sorted({f["kind"] for f in d["findings"] if f["severity"] in ("warning", "critical", "unknown")})
    if bad: fail.append("findings %s" % bad)
    if rc != 0: fail.append("exit %d, expected 0" % rc)
else:
    if not unexpected: fail.append("no unexpected-source")
    for f in unexpected:
        if f.get("path") != "resolver" or f.get("service") != "dns/udp": fail.append("unexpected-source on %s %s" % (f.get("service"), f.get("path")))
        if "198.18.1.55" not in f["evidence"]: fail.append("evidence does not name 198.18.1.55: %s" % f["evidence"])
    for c in resolver:
        if c["ok"]: fail.append("resolver check %s ok despite the reply from elsewhere" % c["name"])
    if rc != 2: fail.append("exit %d, expected 2" % rc)
for f in fail: print("FAIL", f)
if not fail:
    print("PASS %d resolver checks: %s" % (len(resolver), "; ".join(sorted({c["detail"] for c in resolver}))))
PY
)
if grep -q '^PASS' <<<"$report" && ! grep -q '^FAIL' <<<"$report"; then
  ok "stray datagrams ($mode): ${report#PASS }"
else
  bad "stray datagrams ($mode): $report"
fi
finish
