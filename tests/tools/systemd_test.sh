#!/bin/sh
# The shipped systemd unit and timer: `systemd-analyze verify` accepts them (the binary replaced by a
# stub, since the tool is not installed here) and `systemd-analyze security --offline=yes` rates the
# service's exposure at most 3.0 (OK).
# usage: systemd_test.sh SERVICE_FILE (configured from contrib/hairpin-check.service.in) TIMER_FILE
set -u
service=$1
timer=$2
analyze=$(command -v systemd-analyze || true)
if [ -z "$analyze" ] || ! "$analyze" --version >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not found (Debian package systemd)"
  exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bin=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$service")
case $bin in
  /*/hairpin-check) echo "ok: ExecStart runs $bin" ;;
  *) echo "FAIL: ExecStart runs '$bin', want an absolute path to hairpin-check"; fail=1 ;;
esac
# verify: the stub is an executable that exists; the unit names stay, so the timer finds its service.
stub="$tmp/bin/hairpin-check"
mkdir -p "$tmp/bin" "$tmp/units"
printf '#!/bin/sh\nexit 0\n' > "$stub" && chmod +x "$stub"
sed "s|^ExecStart=$bin|ExecStart=$stub|" "$service" > "$tmp/units/hairpin-check.service"
cp "$timer" "$tmp/units/hairpin-check.timer"
if out=$(cd "$tmp/units" && "$analyze" verify --man=no hairpin-check.service hairpin-check.timer 2>&1) && [ -z "$out" ]; then
  echo "ok: systemd-analyze verify accepts the service and the timer"
else
  echo "FAIL: systemd-analyze verify:"
  echo "$out"
  fail=1
fi
# security: the last line reads "→ Overall exposure level for hairpin-check.service: 1.5 OK 🙂".
out=$("$analyze" security --offline=yes --no-pager "$tmp/units/hairpin-check.service" 2>&1)
score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
if [ -z "$score" ]; then
  echo "FAIL: no exposure level in systemd-analyze security's output:"
  echo "$out"
  fail=1
elif awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'; then
  echo "ok: exposure level $score <= 3.0"
else
  echo "FAIL: exposure level $score > 3.0:"
  echo "$out" | grep '✗'
  fail=1
fi
exit $fail
