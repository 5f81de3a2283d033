#!/bin/sh
# contrib/hairpin-check.bash-completion in the real bash: it registers for hairpin-check and completes
# options, --format, --perfdata and --prometheus-detail values, --accept kinds, --services lists and
# --profile sections of --config.
# usage: bash_completion_test.sh COMPLETION_FILE
set -u
bash=$(command -v bash || true)
[ -z "$bash" ] && { echo "SKIP: bash not found"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf 'timeout = 20\n[office]\ntimeout = 5\n[ home ]\n' > "$tmp/hc.conf"
# Not exec: the trap must still remove $tmp.
"$bash" --norc --noprofile -c '
. "$1" || exit 1
fail=0
complete -p hairpin-check | grep -q "_hairpin_check" || { echo "FAIL: not registered"; exit 1; }
# expect WANT WORDS...: completes the last word of "hairpin-check WORDS..."
expect() {
  want=$1; shift
  COMP_WORDS=(hairpin-check "$@"); COMP_CWORD=$#; COMPREPLY=()
  _hairpin_check
  got="${COMPREPLY[*]}"
  if [ "$got" = "$want" ]; then echo "ok: $* -> $want"; else echo "FAIL: $*: got \"$got\", want \"$want\""; fail=1; fi
}
expect "--profile --probe-timeout --prometheus-detail" --pro
expect "--exclude" --exc
expect "nagios" --format na
expect "--perfdata" --perf
expect "checks" --format nagios --perfdata c
expect "--prometheus-detail" --prom
expect "aggregate" --prometheus-detail ag
expect "nat-no-loopback nat-not-forwarded" --accept nat-no
expect "https,smtp" --services https,sm
expect "office" --config "$2" --profile o
expect "" -t 1
exit $fail
' sh "$1" "$tmp/hc.conf"
status=$?
rm -rf "$tmp"
exit $status
