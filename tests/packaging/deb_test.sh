#!/usr/bin/env bash
# Builds the .deb with CPack in a scratch folder, checks what it holds, then installs it for real
# with dpkg into a throwaway root and checks that the service could run right away.
#
# The install: `dpkg --root=ROOT --force-script-chrootless -i` (Debian's DPKG_ROOT mode: the files
# go below ROOT, the maintainer scripts run on this host with DPKG_ROOT=ROOT, as debhelper's
# systemd-sysusers/systemd-tmpfiles snippets expect), in a private mount namespace whose /etc is
# ROOT/etc (so that systemd-tmpfiles resolves the new user as it would on a real host). It runs the
# package's real postinst, which creates the user and the textfile directory in ROOT/etc/passwd and
# ROOT/var/lib, and touches nothing of this host: no user, no package, no dpkg lock of the host's
# database, and the namespace's mount goes away with it. (`dpkg -i` on the host itself would add a
# user and files to a machine that others share; no container runtime is there.)
set -euo pipefail
build=$1
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null || { echo "SKIP: cpack or dpkg-deb missing"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls "$out"/*.deb)
fail() { echo "FAIL: $*"; exit 1; }

# 1. What the package holds.
contents=$(dpkg-deb -c "$deb")
doc=/usr/share/doc/hairpin-check
for f in ./usr/bin/hairpin-check ./usr/share/man/man1/hairpin-check.1 \
         ./usr/share/bash-completion/completions/hairpin-check \
         ./usr/lib/systemd/system/hairpin-check.service ./usr/lib/systemd/system/hairpin-check.timer \
         ./usr/lib/sysusers.d/hairpin-check.conf ./usr/lib/tmpfiles.d/hairpin-check.conf \
         .$doc/README.md .$doc/LICENSE .$doc/docs/json-schema.md .$doc/docs/findings.md \
         .$doc/examples/named.conf .$doc/examples/router.rules .$doc/examples/hairpin-check.service; do
  echo "$contents" | grep -q " $f\$" || { echo "$contents"; fail "$f not in $(basename "$deb")"; }
done
dpkg-deb -f "$deb" Package Version Depends Suggests

# 2. The maintainer scripts: there, executable, and the postinst runs sysusers and tmpfiles.
dpkg-deb -e "$deb" "$out/control"
for s in postinst prerm postrm; do
  [ -x "$out/control/$s" ] || fail "no executable $s in the control archive"
  sh -n "$out/control/$s" || fail "$s is not valid sh"
done
grep -q 'systemd-sysusers .*hairpin-check.conf' "$out/control/postinst" || fail "postinst does not run systemd-sysusers"
grep -q 'systemd-tmpfiles .*--create hairpin-check.conf' "$out/control/postinst" || fail "postinst does not run systemd-tmpfiles --create"

# 3. The packaged binary runs from an unpacked tree.
dpkg-deb -x "$deb" "$out/unpacked"
"$out/unpacked/usr/bin/hairpin-check" --version
# The installed README's links to docs/*.md resolve in the installed tree.
links=$(grep -o '](docs/[^)#]*\.md' "$out/unpacked$doc/README.md" | sed 's/^](//' | sort -u)
[ -n "$links" ] || fail "the installed README links no docs/*.md"
for l in $links; do [ -f "$out/unpacked$doc/$l" ] || fail "the installed README links $l, which the package does not hold"; done
"$out/unpacked/usr/bin/hairpin-check" --static -C "$out/unpacked$doc/examples/named.conf" -q

# 4. A real dpkg install into a throwaway root, maintainer scripts included.
for tool in systemd-sysusers systemd-tmpfiles setpriv unshare; do
  command -v $tool >/dev/null || { echo "ok: $(basename "$deb") holds the files and the maintainer scripts (SKIP the install: no $tool)"; exit 0; }
done
[ "$(id -u)" -eq 0 ] || { echo "ok: $(basename "$deb") holds the files and the maintainer scripts (SKIP the install: needs root)"; exit 0; }
root="$out/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/etc"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
# A host with BIND installed: its group bind (the host's gid, so that the files below can be the
# host's bind group's).
bind_gid=$(getent group bind | cut -d: -f3 || true)
[ -n "$bind_gid" ] || bind_gid=108
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nbind:x:%s:\n' "$bind_gid" >"$root/etc/group"
cp /etc/nsswitch.conf "$root/etc/"
[ -e /etc/ld.so.cache ] && cp /etc/ld.so.cache "$root/etc/"
chmod 755 "$out" "$root"
dpkg_root() {
  unshare --mount --propagation private sh -c 'mount --bind "$0/etc" /etc && exec "$@"' "$root" \
    dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null "$@"
}
dpkg_root -i "$deb" >"$out/dpkg.log" 2>&1 || { cat "$out/dpkg.log"; fail "dpkg -i into the throwaway root failed"; }
dpkg_root -s hairpin-check | grep -q '^Status: install ok installed' || { cat "$out/dpkg.log"; fail "not installed"; }

# The postinst made the system user, in group bind, without a login.
user=$(grep '^hairpin-check:' "$root/etc/passwd") || fail "postinst made no hairpin-check user: $(cat "$root/etc/passwd")"
uid=$(echo "$user" | cut -d: -f3)
gid=$(echo "$user" | cut -d: -f4)
[ "$uid" -lt 1000 ] || fail "hairpin-check is not a system user: $user"
case $user in *:/usr/sbin/nologin) ;; *) fail "hairpin-check has a login shell: $user" ;; esac
grep -Eq "^bind:x:$bind_gid:(.*,)?hairpin-check(,.*)?\$" "$root/etc/group" || fail "hairpin-check is not in group bind: $(grep '^bind:' "$root/etc/group")"
# ... and the textfile directory with write access for it.
textdir="$root/var/lib/prometheus/node-exporter"
[ -d "$textdir" ] || fail "postinst made no $textdir"
python3 - "$textdir" "$uid" <<'PY' || fail "no ACL entry user:$uid:rwx on $textdir"
import os, struct, sys
acl = os.getxattr(sys.argv[1], "system.posix_acl_access")
entries = [struct.unpack_from("<HHI", acl, 4 + 8 * i) for i in range((len(acl) - 4) // 8)]
sys.exit(0 if (2, 7, int(sys.argv[2])) in entries else 1)  # ACL_USER, rwx, the uid
PY
# The service as it will run: that uid, its group and bind; a zone file readable by group bind only.
cfg="$out/bind"
mkdir -p "$cfg"
cp "$root$doc/examples/"{named.conf,named.conf.options,db.debugo.fr.intra,db.debugo.fr.extra} "$cfg/"
chgrp "$bind_gid" "$cfg"/*
chmod 0640 "$cfg"/*
chmod 0755 "$cfg"
run_as_service() { setpriv --reuid="$uid" --regid="$gid" --groups="$bind_gid" "$root/usr/bin/hairpin-check" "$@"; }
rc=0
run_as_service --static -C "$cfg/named.conf" -q --textfile "$textdir/hairpin.prom" || rc=$?
[ $rc -eq 0 ] || fail "as the service user: exit $rc"
grep -q '^hairpin_up 1$' "$textdir/hairpin.prom" || fail "as the service user: no hairpin_up 1 in $textdir/hairpin.prom"
# Without group bind the same run cannot read the zone files, and says why and what to do.
rc=0
err=$(setpriv --reuid="$uid" --regid="$gid" --clear-groups "$root/usr/bin/hairpin-check" --static -C "$cfg/named.conf" --format nagios) || rc=$?
[ $rc -eq 3 ] || fail "without group bind: exit $rc, want 3"
case $err in *"Permission denied"*) ;; *) fail "without group bind: $err" ;; esac

# Removal and purge run prerm and postrm; the files go, the user stays (Debian policy).
dpkg_root --purge hairpin-check >>"$out/dpkg.log" 2>&1 || { cat "$out/dpkg.log"; fail "dpkg --purge failed"; }
[ ! -e "$root/usr/bin/hairpin-check" ] || fail "purge left /usr/bin/hairpin-check"
echo "ok: $(basename "$deb") holds the files; dpkg -i (throwaway root) ran its postinst: user hairpin-check (uid $uid, group bind), $textdir writable for it; purge clean"
