#!/bin/sh
# The real binary on split-horizon configurations whose views are told apart through a named ACL
# (tests/data/bind/acl-views) and through TSIG keys (tests/data/bind/key-views): the view diff runs,
# its findings are reported and the exit status is not 0.
# Usage: views_cli_test.sh HAIRPIN_CHECK DATA_DIR (DATA_DIR: tests/data/bind)
bin=$1
data=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
failures=0

fail() {
  echo "FAIL ($conf): $1" >&2
  failures=$((failures + 1))
}

# expect TEXT: the JSON output holds TEXT on one line.
expect() {
  grep -qF -- "$1" "$out" || fail "no '$1' in the output"
}

# run CONF: a static run of the whole configuration, JSON; fails when the exit status is 0.
run() {
  conf=$1
  "$bin" --static --named-conf "$data/$conf" --all --format json >"$out" 2>&1
  rc=$?
  [ "$rc" -ne 0 ] || fail "exit status 0"
  [ "$rc" -ne 3 ] || fail "exit status 3 (UNKNOWN)"
  grep -qF "could not tell an internal and an external view apart" "$out" && fail "the view diff did not run"
}

run acl-views/named.conf
expect '"internal_view": "intra"'
expect '"external_view": "extra"'
expect '"status": "CRITICAL"'
expect '"kind": "leak"'
expect '"evidence": "extra: 198.18.1.80, inside the match-clients of view intra"'
expect '"kind": "extra-only"'
expect '"name": "shop.example.test"'

run key-views/named.conf
expect '"internal_view": "intra"'
expect '"external_view": "extra"'
expect '"status": "CRITICAL"'
expect '"kind": "disagree"'
expect '"kind": "extra-only"'
expect "view 'intra' is selected by TSIG key 'internal'"
expect "view 'extra' is selected by TSIG key 'external'"
expect "view 'intra' is reached with TSIG key 'internal' (from named.conf $data/key-views/named.conf:3:1)"

# The keys' secrets are in no output format, nor in an error about a key file.
for format in text json nagios prometheus; do
  "$bin" --static --named-conf "$data/key-views/named.conf" --all --format "$format" >"$out" 2>&1
  conf="key-views ($format)"
  grep -qF "aW50ZXJuYWwta2V5" "$out" && fail "the internal key's secret is printed"
  grep -qF "ZXh0ZXJuYWwta2V5" "$out" && fail "the external key's secret is printed"
done
bad=$(mktemp)
printf 'key "internal" {\n\talgorithm hmac-sha256;\n\tsecret "aW50ZXJuYWwta2V5LWZvci10ZXN0cy0wMDAwMDAw*";\n};\n' >"$bad"
for format in text json nagios; do
  "$bin" --static --named-conf "$data/key-views/named.conf" --tsig-key "$bad" --all --format "$format" >"$out" 2>&1
  rc=$?
  conf="bad key file ($format)"
  [ "$rc" -eq 3 ] || fail "exit status $rc, not 3"
  grep -qF "$bad:3:9:" "$out" || fail "no position $bad:3:9 in the output"
  grep -qF "aW50ZXJuYWwta2V5" "$out" && fail "the bad key file's secret is printed"
done
rm -f "$bad"

if [ "$failures" -ne 0 ]; then
  cat "$out" >&2
  exit 1
fi
echo "ok"
