#!/bin/sh
# contrib/hairpin-check.rules.yml: `promtool check rules` accepts it and `promtool test rules` passes
# tests/tools/hairpin-check.rules_test.yml (alerts on status, up, failing checks, staleness and
# certificate expiry, with the labels hairpin-check writes).
# usage: prometheus_rules_test.sh SOURCE_DIR
set -u
src=$1
promtool=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$promtool" ] || [ ! -x "$promtool" ]; then
  echo "SKIP: promtool not found (Debian package prometheus)"
  exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$src/contrib/hairpin-check.rules.yml" "$src/tests/tools/hairpin-check.rules_test.yml" "$tmp/"
fail=0
if out=$(cd "$tmp" && timeout 60 "$promtool" check rules hairpin-check.rules.yml 2>&1); then
  echo "ok: promtool check rules"
else
  echo "FAIL: promtool check rules:"; echo "$out"; fail=1
fi
if out=$(cd "$tmp" && timeout 60 "$promtool" test rules hairpin-check.rules_test.yml 2>&1); then
  echo "ok: promtool test rules"
else
  echo "FAIL: promtool test rules:"; echo "$out"; fail=1
fi
exit $fail
