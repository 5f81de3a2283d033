#!/usr/bin/env bash
# Proves scenario_test.sh's assertion logic on hand-made reports (harness/): reports that hold
# exactly the expected findings pass, and each kind of deviation fails. Needs no lab and no root.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
H=$HERE/harness
FAILS=0
N=0

# case OUTCOME(pass|fail) DESCRIPTION -- scenario_test.sh ARGS...
case_() {
  local want=$1 what=$2 out rc
  shift 3
  N=$((N + 1))
  out=$("$HERE/scenario_test.sh" "$@" 2>&1)
  rc=$?
  if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -eq 1 ]; }; then
    printf 'ok    %s (%s, exit %d)\n' "$what" "$want" $rc
  else
    FAILS=$((FAILS + 1))
    printf 'FAIL  %s: expected %s, scenario_test.sh exited %d:\n%s\n' "$what" "$want" $rc "$(sed 's/^/      /' <<<"$out")"
  fi
  if grep -q Traceback <<<"$out"; then
    FAILS=$((FAILS + 1))
    printf 'FAIL  %s: the checker crashed:\n%s\n' "$what" "$out"
  fi
}

case_ pass "ok: info findings only, exit 0" -- --json-file "$H/ok.json" ok
case_ pass "ok one-shot" -- --json-file "$H/ok.json" ok blog.debugo.fr
case_ fail "ok: exit status 1 instead of 0" -- --json-file "$H/ok.json" --rc 1 ok
case_ fail "ok: exit_code/status fields disagree with the exit status" -- --json-file "$H/ok-bad-exit-code.json" --rc 0 ok
case_ pass "ok: 10.9 s for a 10 s deadline" -- --json-file "$H/ok.json" --elapsed 10.9 ok
case_ fail "ok: 11.5 s for a 10 s deadline" -- --json-file "$H/ok.json" --elapsed 11.5 ok
case_ fail "ok: a report with critical findings" -- --json-file "$H/no-snat.json" --rc 0 ok
case_ pass "no-snat: every expected kind, service and path" -- --json-file "$H/no-snat.json" no-snat
case_ fail "no-snat report for forward-drop" -- --json-file "$H/no-snat.json" forward-drop
case_ fail "no-snat report for udp-only-broken (extra timeouts)" -- --json-file "$H/no-snat.json" udp-only-broken
case_ fail "udp-only-broken report for no-snat (missing timeouts)" -- --json-file "$H/udp-only-broken.json" no-snat
case_ pass "udp-only-broken: dns/udp only" -- --json-file "$H/udp-only-broken.json" udp-only-broken
case_ fail "udp-only-broken: unexpected-source on dns/tcp too" -- --json-file "$H/udp-only-broken-tcp-too.json" udp-only-broken
case_ pass "mail-down: refused on hairpin, timeout on direct" -- --json-file "$H/mail-down.json" mail-down
case_ fail "mail-down: only the hairpin path" -- --json-file "$H/mail-down-one-path.json" mail-down
case_ pass "dnat-wan-only: refused and timeout both accepted" -- --json-file "$H/dnat-wan-only.json" dnat-wan-only
case_ pass "stale-zone: one warning, exit 1" -- --json-file "$H/stale-zone.json" stale-zone
case_ fail "stale-zone: an extra warning" -- --json-file "$H/stale-zone-extra-warning.json" stale-zone
case_ fail "stale-zone report with exit 2" -- --json-file "$H/stale-zone.json" --rc 2 stale-zone
case_ fail "output that is not JSON (today's binary prints its version, exit 3)" -- --json-file "$H/not-json.txt" --rc 3 ok
case_ fail "missing report file" -- --json-file "$H/does-not-exist.json" ok
case_ pass "acl-views: no finding, vantage views intra/extra" -- --json-file "$H/ok.json" acl-views
case_ fail "acl-views: the vantage views swapped" -- --json-file "$H/acl-views-swapped.json" acl-views
case_ pass "nat-unsimulated --static: a warning per flow naming the mark rule" -- --json-file "$H/nat-unsimulated-static.json" nat-unsimulated --static
case_ fail "nat-unsimulated --static: the findings name another rule" -- --json-file "$H/nat-unsimulated-static-other-rule.json" nat-unsimulated --static
case_ fail "nat-unsimulated live: the warnings kept although the probes worked" -- --json-file "$H/nat-unsimulated-static.json" --rc 1 nat-unsimulated
case_ pass "no-route: every hairpin check not-checked, exit 3" -- --json-file "$H/no-route.json" no-route
case_ fail "no-route: DNS through the hairpin blamed as refused" -- --json-file "$H/no-route-refused.json" no-route
case_ fail "no-route: not-checked findings in a report for ok" -- --json-file "$H/no-route.json" --rc 3 ok

# --cited-file: a file:line a finding cites must be that line of the file.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m mark --mark 0x1 -j ACCEPT\n-A PREROUTING -d 203.0.113.1/32 -j DNAT --to-destination 198.18.1.10\n' >"$tmp/router.rules"
cite_case() { # cite_case OUTCOME DESCRIPTION LINE [CITED-TEXT]
  local want=$1 what=$2 rc
  printf '{"schema": 1, "status": "WARNING", "exit_code": 1, "views": [], "findings": [{"kind": "nat-unsimulated", "severity": "warning", "evidence": "not simulated (%s:%s: %s)"}]}\n' \
    "$tmp/router.rules" "$3" "${4:--A PREROUTING -m mark --mark 0x1 -j ACCEPT}" >"$tmp/report.json"
  N=$((N + 1))
  python3 "$HERE/check_findings.py" --json "$tmp/report.json" --expect nat-unsimulated --exit 1 --rc 1 \
    --cited-file "$tmp/router.rules" >"$tmp/out" 2>&1
  rc=$?
  if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -eq 1 ]; }; then
    printf 'ok    %s (%s, exit %d)\n' "$what" "$want" $rc
  else
    FAILS=$((FAILS + 1)); printf 'FAIL  %s: expected %s, exit %d:\n%s\n' "$what" "$want" $rc "$(cat "$tmp/out")"
  fi
}
cite_case pass "a finding citing the rule's own line" 3:1
cite_case pass "a finding citing the rule's own line, no column" 3
cite_case fail "a finding citing the line after the rule" 4:1
cite_case fail "a finding citing a line past the end" 9:1
cite_case pass "a finding citing the chain's policy at its line" 2 "policy ACCEPT"
cite_case fail "a finding citing another policy than the line's" 2 "policy DROP"
# nft text (scenarios nft-text*): a chain's policy is cited at its "chain NAME {" line.
printf 'table ip router {\n\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tip saddr 198.18.1.0/24 snat to 203.0.113.1\n\t}\n}\n' >"$tmp/router.rules"
cite_case pass "an nft chain's policy cited at its chain line" 2 "policy accept): ..."
cite_case fail "an nft chain's policy other than its statement's" 2 "policy drop): ..."
cite_case fail "an nft chain line cited for a rule" 2 "ip saddr 198.18.1.0/24 snat to 203.0.113.1"
cite_case pass "an nft rule cited at its line" 4:3 "ip saddr 198.18.1.0/24 snat to 203.0.113.1"

# A name filter matches any of the names of a finding for many names (count, names).
names_case() {
  local want=$1 what=$2 spec=$3
  printf '{"schema": 1, "status": "CRITICAL", "exit_code": 2, "views": [], "findings": [{"kind": "nat-no-loopback", "severity": "critical", "name": "app.debugo.fr", "count": 2, "names": ["app.debugo.fr", "blog.debugo.fr"]}]}\n' >"$tmp/names.json"
  N=$((N + 1))
  python3 "$HERE/check_findings.py" --json "$tmp/names.json" --expect "$spec" --exit 2 --rc 2 >"$tmp/out" 2>&1
  rc=$?
  if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -eq 1 ]; }; then
    printf 'ok    %s (%s, exit %d)\n' "$what" "$want" $rc
  else
    FAILS=$((FAILS + 1)); printf 'FAIL  %s: expected %s, exit %d:\n%s\n' "$what" "$want" $rc "$(cat "$tmp/out")"
  fi
}
names_case pass "name= matches the first name" "nat-no-loopback{name=app.debugo.fr}"
names_case pass "name= matches a later name of names" "nat-no-loopback{name=blog.debugo.fr}"
names_case pass "name~= searches every name" "nat-no-loopback{name~=^blog}"
names_case fail "name= of a name in no finding" "nat-no-loopback{name=www.debugo.fr}"

# Every row of expected.tsv must parse.
while IFS=$'\t' read -r scen target kinds rc fields _extra; do
  case $scen in '#'* | '') continue ;; esac
  N=$((N + 1))
  if python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import check_findings as c; c.parse_spec(sys.argv[2]); c.parse_fields(sys.argv[3])' \
    "$HERE" "$kinds" "$fields" 2>/dev/null && [[ $rc =~ ^[0-3]$ ]]; then
    printf 'ok    expected.tsv row %s %s parses\n' "$scen" "$target"
  else
    FAILS=$((FAILS + 1))
    printf 'FAIL  expected.tsv row %s %s: bad kinds [%s] or exit [%s]\n' "$scen" "$target" "$kinds" "$rc"
  fi
done <"$HERE/expected.tsv"
# Every scenario of the lab has an --all row.
for s in $("$HERE/../../scripts/lab" scenarios); do
  N=$((N + 1))
  if awk -F'\t' -v s="$s" '$1 == s && $2 == "--all" {f = 1} END {exit !f}' "$HERE/expected.tsv"; then
    printf 'ok    expected.tsv has scenario %s\n' "$s"
  else
    FAILS=$((FAILS + 1)); printf 'FAIL  expected.tsv lacks scenario %s\n' "$s"
  fi
done

echo "$N cases, $FAILS failed"
[ $FAILS -eq 0 ]
