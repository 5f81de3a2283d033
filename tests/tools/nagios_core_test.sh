#!/bin/sh
# The real Nagios Core 4 runs the Nagios output as a plugin: one service per sample result, the
# driver as check command. Nagios must split the output the way the guidelines say (status text,
# perfdata after '|', long output) and take the state from the exit status.
# Nagios is started in the foreground on a private configuration, polled through status.dat
# (bounded), and killed by PID. usage: nagios_core_test.sh DRIVER
set -u
driver=$(readlink -f "$1")
nagios=${NAGIOS:-$(command -v nagios4 || command -v nagios || true)}
[ -z "$nagios" ] && [ -x /usr/sbin/nagios4 ] && nagios=/usr/sbin/nagios4
if [ -z "$nagios" ] || [ ! -x "$nagios" ]; then
  echo "SKIP: Nagios Core not found (Debian package nagios4-core)"
  exit 77
fi

tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() {
  echo "FAIL: $*"
  [ -f "$tmp/nagios.log" ] && sed 's/^/nagios.log: /' "$tmp/nagios.log" | tail -20
  [ -f "$tmp/run.log" ] && sed 's/^/nagios: /' "$tmp/run.log" | tail -20
  exit 1
}

# Run as root, Nagios drops to nagios_user; otherwise it runs as the current user.
user=$(id -un)
group=$(id -gn)
if [ "$(id -u)" -eq 0 ]; then
  if ! id nagios >/dev/null 2>&1; then
    echo "SKIP: running as root and there is no nagios user to drop privileges to"
    exit 77
  fi
  user=nagios
  group=$(id -gn nagios)
  # The driver must be reachable by that user.
  if ! su -s /bin/sh nagios -c "test -x '$driver'" 2>/dev/null; then
    echo "SKIP: user nagios cannot execute $driver"
    exit 77
  fi
fi
mkdir -p "$tmp/checkresults"
# The fixed samples and a few random hostile models (control bytes, invalid UTF-8, quotes).
# usage-error: what the plugin prints for a bad command line (one line, no perfdata, exit 3).
# many-3000: a zone of 3000 names, with the default (bounded) perfdata and with --perfdata checks.
samples="$("$driver" --list) hostile-0 hostile-1 hostile-2 hostile-3 hostile-4 usage-error critical+checks many-3000 many-3000+checks"

cat > "$tmp/nagios.cfg" <<CFG
log_file=$tmp/nagios.log
cfg_file=$tmp/objects.cfg
object_cache_file=$tmp/objects.cache
precached_object_file=$tmp/objects.precache
status_file=$tmp/status.dat
status_update_interval=1
nagios_user=$user
nagios_group=$group
check_external_commands=0
command_file=$tmp/nagios.cmd
lock_file=$tmp/nagios.lock
temp_file=$tmp/nagios.tmp
temp_path=$tmp
check_result_path=$tmp/checkresults
check_result_reaper_frequency=1
state_retention_file=$tmp/retention.dat
retain_state_information=0
use_retained_program_state=0
use_retained_scheduling_info=0
service_inter_check_delay_method=n
host_inter_check_delay_method=n
max_service_check_spread=1
max_host_check_spread=1
interval_length=1
enable_notifications=0
enable_flap_detection=0
process_performance_data=0
log_rotation_method=n
use_syslog=0
check_for_updates=0
enable_event_handlers=0
execute_host_checks=0
CFG

{
  cat <<OBJ
define command {
  command_name  hc_sample
  command_line  $driver --plugin \$ARG1\$
}
define timeperiod {
  timeperiod_name always
  alias           always
  sunday          00:00-24:00
  monday          00:00-24:00
  tuesday         00:00-24:00
  wednesday       00:00-24:00
  thursday        00:00-24:00
  friday          00:00-24:00
  saturday        00:00-24:00
}
define contact {
  contact_name                  nobody
  alias                         nobody
  host_notifications_enabled    0
  service_notifications_enabled 0
  host_notification_period      always
  service_notification_period   always
  host_notification_options     n
  service_notification_options  n
  host_notification_commands    hc_sample!all_ok
  service_notification_commands hc_sample!all_ok
}
define host {
  host_name             lab
  alias                 lab
  address               127.0.0.1
  check_command         hc_sample!all_ok
  max_check_attempts    1
  check_period          always
  contacts              nobody
  notification_interval 0
  notification_period   always
  active_checks_enabled 0
}
OBJ
  for sample in $samples; do
    cat <<OBJ
define service {
  host_name             lab
  service_description   $sample
  check_command         hc_sample!$sample
  max_check_attempts    1
  check_interval        600
  retry_interval        600
  check_period          always
  contacts              nobody
  notification_interval 0
  notification_period   always
}
OBJ
  done
} > "$tmp/objects.cfg"
[ "$user" = nagios ] && chown -R nagios:"$group" "$tmp"

timeout 30 "$nagios" -v "$tmp/nagios.cfg" > "$tmp/verify.log" 2>&1 || { cat "$tmp/verify.log"; fail "nagios -v rejects the configuration"; }

"$nagios" "$tmp/nagios.cfg" > "$tmp/run.log" 2>&1 &
pid=$!
echo "nagios pid $pid"

# service_status SAMPLE FIELD: a field of the service's block in status.dat.
field() {
  awk -v svc="$1" -v key="$2" '
    /^servicestatus \{/ { inblock = 1; desc = ""; val = ""; has = 0; next }
    inblock && /^\t}/ || inblock && /^}/ { if (desc == svc && has) { print val; found = 1 } inblock = 0; next }
    inblock {
      line = $0; sub(/^\t/, "", line)
      eq = index(line, "="); k = substr(line, 1, eq - 1); v = substr(line, eq + 1)
      if (k == "service_description") desc = v
      if (k == key) { val = v; has = 1 }
    }
    END { exit !found }' "$tmp/status.dat"
}

i=0
while :; do
  done_all=1
  for s in $samples; do
    [ "$(field "$s" has_been_checked 2>/dev/null)" = 1 ] || done_all=0
  done
  [ $done_all = 1 ] && break
  kill -0 "$pid" 2>/dev/null || fail "nagios exited"
  i=$((i + 1))
  [ $i -gt 300 ] && fail "services not checked within 30 s"
  sleep 0.1
done

status=0
for s in $samples; do
  want=$("$driver" --plugin "$s" >/dev/null; echo $?)
  state=$(field "$s" current_state)
  out=$(field "$s" plugin_output)
  perf=$(field "$s" performance_data)
  long=$(field "$s" long_plugin_output)
  printf '%s: state %s\n  output: %s\n  perfdata: %.120s...\n  long: %.120s...\n' "$s" "$state" "$out" "$perf" "$long"
  [ "$state" = "$want" ] || { echo "FAIL: $s: state $state, want $want"; status=1; }
  case $want in 0) word=OK ;; 1) word=WARNING ;; 2) word=CRITICAL ;; *) word=UNKNOWN ;; esac
  case $out in "HAIRPIN $word - "*) ;; *) echo "FAIL: $s: plugin_output '$out'"; status=1 ;; esac
  case $out in *"|"*) echo "FAIL: $s: perfdata left in plugin_output"; status=1 ;; esac
  if [ "$s" = usage-error ]; then
    [ -z "$perf" ] || { echo "FAIL: $s: performance_data '$perf'"; status=1; }
    continue
  fi
  case $perf in "'findings_critical'="*) ;; *) echo "FAIL: $s: performance_data '$perf'"; status=1 ;; esac
  if [ "$want" -ne 0 ] && [ -z "$long" ]; then echo "FAIL: $s: no long_plugin_output"; status=1; fi
done
case $(field usage-error plugin_output) in
  "HAIRPIN UNKNOWN - "*"-C/--named-conf"*) ;;
  *) echo "FAIL: usage-error: plugin_output '$(field usage-error plugin_output)'"; status=1 ;;
esac
# The critical sample's details made it through.
case $(field critical long_plugin_output) in
  *"[CRITICAL] unexpected-source blog.debugo.fr"*) ;;
  *) echo "FAIL: critical: long output lacks the unexpected-source line"; status=1 ;;
esac
# The default perfdata: per service and path, no per-check items.
case $(field critical performance_data) in
  *"'https_hairpin_checks'=1;;;0 'https_hairpin_failed'=0;;;0;1 'https_hairpin_worst_time'=0.012s;;;0"*) ;;  # no thresholds: none were applied
  *) echo "FAIL: critical: perfdata lack the https hairpin set"; status=1 ;;
esac
case $(field critical performance_data) in
  *"blog.debugo.fr"*) echo "FAIL: critical: per-check perfdata without --perfdata checks"; status=1 ;;
esac
case $(field critical+checks performance_data) in
  *"'blog.debugo.fr_A_https_hairpin'=0.012s;;;0"*) ;;
  *) echo "FAIL: critical+checks: perfdata lack the https timing"; status=1 ;;
esac
# The A and AAAA DNS checks of one name, path and server keep labels of their own.
case $(field critical+checks performance_data) in
  *"'blog.debugo.fr_A_dns/udp_hairpin'="*"'blog.debugo.fr_AAAA_dns/udp_hairpin'="*) ;;
  *) echo "FAIL: critical+checks: perfdata lack the A and AAAA dns/udp labels"; status=1 ;;
esac
# 3000 names: Nagios keeps every perfdata item the plugin printed, whole; with --perfdata checks the
# items that did not fit are counted in the long output.
for s in many-3000 many-3000+checks; do
  printed=$("$driver" --plugin "$s" | head -n 1 | sed 's/^[^|]*| //')
  kept=$(field "$s" performance_data)
  if [ "$kept" = "$printed" ]; then
    echo "ok: $s: Nagios kept all ${#printed} bytes of perfdata"
  else
    echo "FAIL: $s: Nagios kept ${#kept} of ${#printed} bytes of perfdata"; status=1
  fi
done
case $(field many-3000 performance_data) in
  *"'https_hairpin_checks'=3001;;;0"*) ;;
  *) echo "FAIL: many-3000: perfdata lack the https hairpin count"; status=1 ;;
esac
case $(field many-3000 long_plugin_output) in
  *"items left out"*) echo "FAIL: many-3000: the bounded set left items out"; status=1 ;;
esac
case $(field many-3000+checks long_plugin_output) in
  "perfdata: "*" items left out, see --perfdata"*) ;;
  *) echo "FAIL: many-3000+checks: long output does not say that perfdata were left out"; status=1 ;;
esac
[ $status -eq 0 ] && echo PASS
exit $status
