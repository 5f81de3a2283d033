#!/bin/sh
# The shipped systemd unit and timer: `systemd-analyze verify` accepts them (the binary replaced by a
# stub, since the tool is not installed here) and `systemd-analyze security --offline=yes` rates the
# service's exposure at most 3.0 (OK).
# The sysusers.d snippet makes the user, in group bind (systemd-sysusers --root on a scratch /etc),
# and the tmpfiles.d snippet gives a user rwx on the textfile directory by an ACL (systemd-tmpfiles
# --root; the user is nobody there, since tmpfiles resolves names on the host).
# usage: systemd_test.sh SERVICE_FILE (configured from contrib/hairpin-check.service.in) TIMER_FILE
set -u
service=$1
timer=$2
contrib=$(cd "$(dirname "$timer")" && pwd)
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
# sysusers: the user exists and is in group bind.
mkdir -p "$tmp/root/etc"
printf 'root:x:0:0::/root:/bin/sh\n' > "$tmp/root/etc/passwd"
printf 'root:x:0:\nbind:x:104:\n' > "$tmp/root/etc/group"
if out=$(systemd-sysusers --root="$tmp/root" "$contrib/hairpin-check.sysusers" 2>&1) &&
   grep -q '^hairpin-check:' "$tmp/root/etc/passwd" && grep -q '^bind:x:104:hairpin-check$' "$tmp/root/etc/group"; then
  echo "ok: systemd-sysusers makes the hairpin-check user, in group bind"
else
  echo "FAIL: systemd-sysusers:"; echo "$out"; cat "$tmp/root/etc/passwd" "$tmp/root/etc/group"; fail=1
fi
# tmpfiles: the directory gets an ACL entry with rwx for the user (nobody, uid 65534, here).
sed 's/u:hairpin-check:/u:nobody:/' "$contrib/hairpin-check.tmpfiles" > "$tmp/tmpfiles.conf"
dir="$tmp/root/var/lib/prometheus/node-exporter"
if out=$(systemd-tmpfiles --root="$tmp/root" --create "$tmp/tmpfiles.conf" 2>&1) && [ -z "$out" ] &&
   python3 - "$dir" <<'PY'
import os, struct, sys
acl = os.getxattr(sys.argv[1], "system.posix_acl_access")
entries = [struct.unpack("<HHI", acl[i:i + 8]) for i in range(4, len(acl), 8)]
sys.exit(0 if (2, 7, 65534) in entries else 1)  # ACL_USER, rwx, nobody
PY
then
  echo "ok: systemd-tmpfiles gives the user rwx on the textfile directory by an ACL"
else
  echo "FAIL: systemd-tmpfiles, or no rwx ACL entry for the user on $dir:"; echo "$out"; fail=1
fi
exit $fail
