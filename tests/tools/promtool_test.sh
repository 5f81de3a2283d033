#!/bin/sh
# promtool check metrics (lint included) accepts the exposition of every sample result, with
# --prometheus-detail names and aggregate, and every series is unique (checks that differ only by
# record type included).
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
# Each also with --prometheus-detail aggregate ("+aggregate"), and a zone of 3000 names both ways.
for sample in $("$driver" --list) $(seq -f "hostile-%g" 0 39) $("$driver" --list | sed 's/$/+aggregate/') \
  $(seq -f "hostile-%g+aggregate" 0 9) many-3000 many-3000+aggregate; do
  "$driver" "$sample" prometheus "$tmp/$sample.prom" || { echo "FAIL: driver on $sample"; fail=1; continue; }
  if out=$(timeout 30 "$promtool" check metrics < "$tmp/$sample.prom" 2>&1); then
    echo "ok: $sample"
  else
    echo "FAIL: promtool check metrics on $sample:"
    echo "$out"
    fail=1
  fi
done
# Checks that differ only by record type are series of their own: all_ok asks blog.debugo.fr over
# dns/udp on the hairpin path for A and for AAAA, to the same server. promtool accepts both series,
# and no series of any sample appears twice.
if [ -f "$tmp/all_ok.prom" ]; then
  for type in A AAAA; do
    n=$(grep -c "^hairpin_check_success{name=\"blog.debugo.fr\",type=\"$type\",service=\"dns/udp\",path=\"hairpin\"," \
      "$tmp/all_ok.prom")
    if [ "$n" = 1 ]; then
      echo "ok: all_ok has one dns/udp hairpin series of type $type"
    else
      echo "FAIL: all_ok: $n hairpin_check_success series of type $type for blog.debugo.fr dns/udp hairpin, want 1"
      fail=1
    fi
  done
fi
# Aggregate detail: the number of series does not grow with the names.
if [ -f "$tmp/many-3000+aggregate.prom" ] && [ -f "$tmp/critical+aggregate.prom" ]; then
  big=$(grep -vc '^#' "$tmp/many-3000+aggregate.prom")
  small=$(grep -vc '^#' "$tmp/critical+aggregate.prom")
  per_name=$(grep -vc '^#' "$tmp/many-3000.prom")
  # 3000 more names add at most the TLS version series of https hairpin A, already there.
  if [ "$big" -eq "$small" ]; then
    echo "ok: aggregate: $big series for 3000 names as for 7 checks (per name: $per_name)"
  else
    echo "FAIL: aggregate: $big series for 3000 names, $small for the critical sample"
    fail=1
  fi
fi
for f in "$tmp"/*.prom; do
  dup=$(grep -v '^#' "$f" | sed 's/ [^ ]*$//' | sort | uniq -d | head -3)
  if [ -n "$dup" ]; then
    echo "FAIL: $(basename "$f"): series written twice:"
    echo "$dup"
    fail=1
  fi
done
exit $fail
