#!/usr/bin/env bash
# The lab's ctest fixture and wrapper check.
#   fixture.sh up        scripts/lab up (FIXTURES_SETUP lab)
#   fixture.sh down      scripts/lab down (FIXTURES_CLEANUP lab)
#   fixture.sh wrapper   `scripts/lab hairpin-check` runs the tool inside hc-client with the lab's arguments
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no network namespaces).
set -uo pipefail
source "$(dirname "$0")/common.sh"

case ${1:-} in
  up)
    lab_require_support
    t0=$SECONDS
    "$LAB" up || { echo "FAIL: scripts/lab up"; exit 1; }
    echo "lab up in $((SECONDS - t0)) s"
    "$LAB" status
    ;;
  down)
    lab_require_support
    "$LAB" down || { echo "FAIL: scripts/lab down"; exit 1; }
    left=$(ip netns list | awk '{print $1}' | grep '^hc-' || true)
    [ -z "$left" ] || { echo "FAIL: namespaces left: $left"; exit 1; }
    [ ! -e "$RUN/.hc-lab" ] || { echo "FAIL: run folder $RUN left"; exit 1; }
    echo "lab down"
    ;;
  wrapper)
    lab_require
    # A stand-in for the tool shows where the wrapper runs it and with which arguments.
    stub=$(mktemp)
    trap 'rm -f "$stub"' EXIT
    printf '#!/bin/sh\necho "args: $*"\nip -4 -o addr show dev eth0 | awk "{print \\"addr: \\" \\$4}"\nexit 5\n' >"$stub"
    chmod 755 "$stub"
    out=$(HC_HAIRPIN_CHECK=$stub "$LAB" hairpin-check --all --format json 2>&1)
    expect_eq "the wrapper passes the tool's exit status" "$?" 5
    expect_match "the tool runs in hc-client" "$out" '^addr: 198\.18\.1\.99/24$'
    expect_match "with the lab's arguments, then the caller's" "$out" \
      "^args: -C $RUN/named.conf --source 198\.18\.1\.99 --resolver 198\.18\.1\.53 --ca-file $RUN/ca.pem --nat-rules $RUN/router.rules --root-hints $RUN/root.hints --all --format json\$"
    # The real binary runs there too.
    out=$("$LAB" hairpin-check --version 2>&1)
    expect_match "hairpin-check --version in hc-client prints the version" "$out" '^hairpin-check [0-9]'
    # The wrapper refuses a namespace that is not the lab's.
    out=$("$LAB" exec no-such-ns true 2>&1)
    expect_ne "scripts/lab exec refuses an unknown namespace" "$?" 0
    expect_match "and says why" "$out" 'no such namespace'
    # ... and a lab namespace that got a route or an interface that is not the lab's.
    ip -n hc-wan route add 10.0.0.0/8 dev eth0
    out=$("$LAB" exec wan true 2>&1)
    expect_ne "scripts/lab exec refuses a namespace with a foreign route" "$?" 0
    expect_match "and says why" "$out" 'foreign route: 10\.0\.0\.0/8'
    ip -n hc-wan route del 10.0.0.0/8 dev eth0
    ip -n hc-wan link add x9 type veth peer name y9
    out=$("$LAB" exec wan true 2>&1)
    expect_ne "scripts/lab exec refuses a namespace with a foreign interface" "$?" 0
    expect_match "and says why" "$out" 'veth not paired|interfaces the lab did not make'
    ip -n hc-wan link del x9
    "$LAB" exec wan true
    expect_eq "scripts/lab exec runs once the namespace is clean again" "$?" 0
    finish
    ;;
  *)
    echo "usage: fixture.sh up|down|wrapper" >&2
    exit 2
    ;;
esac
