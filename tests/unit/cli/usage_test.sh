#!/bin/sh
# The real binary: where usage errors, the version and the help go, and their exit status.
# No network: every run stops at the command line or is --static. usage: usage_test.sh HAIRPIN_CHECK SOURCE_DIR
set -u
bin=$1
src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# run EXPECTED_RC ARGS...: runs the binary, stdout in $out, stderr in $err.
run() {
  want=$1
  shift
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
  [ "$rc" -eq "$want" ] || fail "$*: exit $rc, want $want (stdout '$out', stderr '$err')"
}

# Nagios shows "(null)" for an empty stdout: a usage error in the nagios format is one line there.
run 3 -c /etc/bind/named.conf --all --format nagios
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "nagios usage error: not one line: '$out'"
case $out in
  "HAIRPIN UNKNOWN - -c '/etc/bind/named.conf' looks like a file: -c is now the critical threshold; the BIND configuration is -C/--named-conf") ;;
  *) fail "nagios usage error: stdout '$out'" ;;
esac
[ -z "$err" ] || fail "nagios usage error: stderr '$err'"

run 3 --frobnicate x.fr --format=nagios
case $out in "HAIRPIN UNKNOWN - "*--frobnicate*) ;; *) fail "unknown option, nagios: stdout '$out'" ;; esac

# Other formats: stderr, stdout empty, exit 3.
run 3 -c zones/named.conf --static
[ -z "$out" ] || fail "text usage error: stdout '$out'"
case $err in *"the BIND configuration is -C/--named-conf"*) ;; *) fail "text usage error: stderr '$err'" ;; esac

# -C reads the configuration; -w/-c ranges show up in the perfdata only when given.
run 0 -C "$src/zones/named.conf" --static --format nagios
case $out in "HAIRPIN OK - "*) ;; *) fail "-C: stdout '$out'" ;; esac
run 0 --named-conf "$src/zones/named.conf" --static --format nagios -w 1 -c @0:5
case $out in "HAIRPIN OK - "*) ;; *) fail "--named-conf with ranges: stdout '$out'" ;; esac
if LC_ALL=C grep -q '[^ -~]' "$tmp/out"; then fail "nagios output not printable ASCII: '$out'"; fi

# --perfdata and --prometheus-detail reach the writers (and the textfile).
run 0 -C "$src/zones/named.conf" --static --format nagios --perfdata checks
case $out in "HAIRPIN OK - "*"'checks_failed'=0;;;0;0"*) ;; *) fail "--perfdata checks: stdout '$out'" ;; esac
run 0 -C "$src/zones/named.conf" --static --format prometheus --prometheus-detail aggregate --textfile "$tmp/h.prom"
case $out in *"hairpin_status 0"*) ;; *) fail "--prometheus-detail aggregate: stdout '$out'" ;; esac
cmp -s "$tmp/out" "$tmp/h.prom" || fail "--prometheus-detail aggregate: the textfile differs from stdout"
run 3 --perfdata all --format nagios x.fr
case $out in "HAIRPIN UNKNOWN - --perfdata: "*) ;; *) fail "--perfdata all: stdout '$out'" ;; esac

run 0 -V
case $out in "hairpin-check "[0-9]*) ;; *) fail "-V: '$out'" ;; esac
run 0 -h
case $out in *"-C,--named-conf"*) ;; *) fail "-h: no -C in the help" ;; esac

[ $status -eq 0 ] && echo PASS
exit $status
