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

if [ "$failures" -ne 0 ]; then
  cat "$out" >&2
  exit 1
fi
echo "ok"
