#!/bin/sh
# The real Icinga 2 loads contrib/icinga2/hairpin-check.conf: `icinga2 daemon -C` validates a minimal
# configuration that includes it and uses the CheckCommand for a host and two services (--all with
# thresholds and excludes; names with -C), and rejects the same configuration with a misspelt
# argument attribute (so the validation is not vacuous).
# usage: icinga2_test.sh SOURCE_DIR
set -u
src=$(readlink -f "$1")
icinga2=${ICINGA2:-$(command -v icinga2 || true)}
[ -z "$icinga2" ] && [ -x /usr/sbin/icinga2 ] && icinga2=/usr/sbin/icinga2
if [ -z "$icinga2" ] || [ ! -x "$icinga2" ]; then
  echo "SKIP: Icinga 2 not found (Debian package icinga2-bin)"
  exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# Icinga 2 drops to its own user (nagios on Debian) and writes its object cache there.
mkdir "$tmp/cache" && chmod 0777 "$tmp/cache"
chmod 0755 "$tmp"
cp "$src/contrib/icinga2/hairpin-check.conf" "$tmp/hairpin-check.conf"
cat > "$tmp/icinga2.conf" <<'CONF'
include "hairpin-check.conf"
object Host "router" {
  check_command = "hairpin-check"
  vars.hairpin_all = true
}
object Service "all" {
  host_name = "router"
  check_command = "hairpin-check"
  vars.hairpin_all = true
  vars.hairpin_warning = "1"
  vars.hairpin_critical = "5"
  vars.hairpin_timeout = 20
  vars.hairpin_exclude = [ "*.internal.debugo.fr" ]
  vars.hairpin_accept = [ "intra-only" ]
}
object Service "names" {
  host_name = "router"
  check_command = "hairpin-check"
  vars.hairpin_named_conf = "/etc/bind/named.conf"
  vars.hairpin_names = [ "blog.debugo.fr", "mail.debugo.fr" ]
}
CONF
validate() {
  timeout 60 "$icinga2" daemon -C -c "$tmp/icinga2.conf" --define Configuration.CacheDir="$tmp/cache" 2>&1
}
fail=0
if out=$(validate); then
  echo "ok: icinga2 daemon -C accepts the CheckCommand"
else
  echo "FAIL: icinga2 daemon -C:"
  echo "$out"
  fail=1
fi
if list=$(timeout 60 "$icinga2" object list --type CheckCommand --name hairpin-check \
            --define Configuration.CacheDir="$tmp/cache" 2>&1) &&
   echo "$list" | grep -q '"--format", "nagios" \]' &&
   (for a in -C -w -c -t --all --perfdata --services names; do echo "$list" | grep -q "^ *\* $a\$" || exit 1; done); then
  echo "ok: the CheckCommand passes --format nagios and has -C, -w, -c, -t, --all, --perfdata, --services and names"
else
  echo "FAIL: icinga2 object list does not show the CheckCommand's arguments:"
  echo "$list"
  fail=1
fi
# Negative control: a misspelt attribute in an argument is an error.
sed 's/repeat_key = true/repeat_kye = true/' "$src/contrib/icinga2/hairpin-check.conf" > "$tmp/hairpin-check.conf"
if out=$(validate); then
  echo "FAIL: icinga2 daemon -C accepted a misspelt argument attribute (repeat_kye)"
  fail=1
else
  echo "ok: icinga2 daemon -C rejects a misspelt argument attribute"
fi
exit $fail
