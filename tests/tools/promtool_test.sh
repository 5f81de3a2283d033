#!/bin/sh
# promtool check metrics (lint included) accepts the exposition of every sample result.
# usage: promtool_test.sh DRIVER
set -u
driver=$1
promtool=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$promtool" ] || [ ! -x "$promtool" ]; then
  echo "SKIP: promtool not found (Debian package prometheus)"
  exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
# The fixed samples, then random hostile models (control bytes, invalid UTF-8, colliding labels).
for sample in $("$driver" --list) $(seq -f "hostile-%g" 0 39); do
  "$driver" "$sample" prometheus "$tmp/$sample.prom" || { echo "FAIL: driver on $sample"; fail=1; continue; }
  if out=$(timeout 30 "$promtool" check metrics < "$tmp/$sample.prom" 2>&1); then
    echo "ok: $sample"
  else
    echo "FAIL: promtool check metrics on $sample:"
    echo "$out"
    fail=1
  fi
done
exit $fail
