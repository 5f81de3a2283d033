#!/bin/sh
# The real prometheus-node-exporter reads our textfile: start it with only the textfile collector on
# 127.0.0.1:<free port>, write the exposition with write_textfile_atomically (through the driver),
# scrape /metrics with curl and find the hairpin_ series with the right values; replace the file
# while the exporter runs and scrape again. Every wait is bounded; the exporter is killed by PID.
# usage: node_exporter_test.sh DRIVER
set -u
driver=$1
exporter=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
if [ ! -x "$exporter" ]; then
  echo "SKIP: $exporter not found (Debian package prometheus-node-exporter)"
  exit 77
fi
if ! command -v curl >/dev/null 2>&1; then
  echo "SKIP: curl not found"
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
fail() { echo "FAIL: $*"; [ -f "$tmp/exporter.log" ] && sed 's/^/exporter: /' "$tmp/exporter.log" | tail -20; exit 1; }

mkdir "$tmp/textfile" || exit 1
prom="$tmp/textfile/hairpin.prom"
"$driver" critical prometheus "$prom" || fail "driver could not write $prom"

# Start the exporter; a port taken between --free-port and the bind is retried.
started=
for attempt in 1 2 3; do
  port=$("$driver" --free-port) || fail "no free port"
  "$exporter" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$tmp/textfile" \
    --web.listen-address="127.0.0.1:$port" >"$tmp/exporter.log" 2>&1 &
  pid=$!
  i=0
  while [ $i -lt 100 ]; do  # 10 s at most
    if curl -sf --max-time 2 "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" 2>/dev/null; then
      started=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  [ -n "$started" ] && break
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=
done
[ -n "$started" ] || fail "node exporter did not answer on 127.0.0.1"
echo "node exporter pid $pid on 127.0.0.1:$port"

# value NAME [SUBSTRING...]: the value of the one sample of NAME whose line holds every SUBSTRING.
value() {
  name=$1
  shift
  awk -v name="$name" -v n="$#" '
    BEGIN { for (i = 1; i <= n; i++) want[i] = ARGV[i]; ARGC = 1 }
    $0 !~ /^#/ && (index($0, name "{") == 1 || index($0, name " ") == 1) {
      ok = 1
      for (i = 1; i <= n; i++) if (index($0, want[i]) == 0) ok = 0
      if (ok) { print $NF; found++ }
    }
    END { if (found != 1) exit 1 }' "$@" < "$tmp/metrics"
}
# expect NAME VALUE [SUBSTRING...]: compares numerically (the exporter may print 1.7958339e+09).
expect() {
  name=$1
  want=$2
  shift 2
  got=$(value "$name" "$@") || fail "$name $* not found exactly once in the scrape"
  awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }' ||
    fail "$name $*: got $got, want $want"
  printf "ok: %s %s = %s\n" "$name" "$*" "$got"
}

expect node_textfile_scrape_error 0
expect hairpin_status 2
expect hairpin_success 0
expect hairpin_up 1
expect hairpin_last_run_timestamp_seconds 1795833900
expect hairpin_findings_by_severity 3 'severity="critical"'
expect hairpin_findings 1 'kind="unexpected-source"' 'severity="critical"'
expect hairpin_check_success 1 'name="blog.debugo.fr"' 'type="A"' 'service="https"' 'path="hairpin"'
expect hairpin_check_success 0 'name="mail.debugo.fr"' 'service="smtp"'
expect hairpin_check_total_duration_seconds 0.012 'name="blog.debugo.fr"' 'type="A"' 'service="https"' 'path="hairpin"'
# The A check failed, the AAAA check of the same name, service, path and server got through: two series.
expect hairpin_check_success 0 'name="blog.debugo.fr"' 'type="A"' 'service="dns/udp"' 'path="hairpin"'
expect hairpin_check_success 1 'name="blog.debugo.fr"' 'type="AAAA"' 'service="dns/udp"' 'path="hairpin"'
expect hairpin_zone_serial 2024091101 'view="intra"' 'zone="debugo.fr"' 'source="file"'
# The negotiated TLS version, in blackbox_exporter's form.
expect hairpin_check_tls_version_info 1 'name="blog.debugo.fr"' 'service="https"' 'path="hairpin"' 'version="TLS 1.3"'
expect hairpin_check_tls_version_info 1 'name="mail.debugo.fr"' 'service="imaps"' 'version="TLS 1.2"'

# --prometheus-detail aggregate on 3000 names: series per service, path and type, none per name.
"$driver" many-3000+aggregate prometheus "$prom" || fail "driver many-3000+aggregate"
curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" || fail "aggregate scrape"
expect node_textfile_scrape_error 0
expect hairpin_service_checks 3001 'service="https"' 'path="hairpin"' 'type="A"' 'result="ok"'
expect hairpin_service_checks 1 'service="smtp"' 'path="hairpin"' 'result="failed"'
expect hairpin_service_duration_max_seconds 3 'service="smtp"'
expect hairpin_service_tls_version_checks 3001 'service="https"' 'path="hairpin"' 'version="TLS 1.3"'
n=$(grep -c '^hairpin_' "$tmp/metrics")
grep -q '^hairpin_[a-z_]*{[^}]*name=' "$tmp/metrics" && fail "aggregate scrape has a name label"
[ "$n" -lt 200 ] || fail "aggregate scrape has $n hairpin series for 3000 names"
echo "ok: aggregate scrape of 3000 names: $n hairpin series"

# Replace the file while the exporter runs: the next scrape sees the new run, never a partial file.
"$driver" all_ok prometheus "$prom" || fail "driver could not replace $prom"
[ "$(ls -A "$tmp/textfile" | wc -l)" -eq 1 ] || fail "temporary files left: $(ls -A "$tmp/textfile")"
curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" || fail "second scrape"
expect node_textfile_scrape_error 0
expect hairpin_status 0
expect hairpin_success 1
expect hairpin_check_success 1 'name="blog.debugo.fr"' 'type="A"' 'service="dns/udp"' 'path="hairpin"'
expect hairpin_check_success 1 'name="blog.debugo.fr"' 'type="AAAA"' 'service="dns/udp"' 'path="hairpin"'

# Special characters in labels come through the exporter's parser intact.
"$driver" special_chars prometheus "$prom" || fail "driver special_chars"
curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" || fail "third scrape"
expect node_textfile_scrape_error 0
expect hairpin_check_success 0 'name="we\"ird\\name\nx"'
# Random hostile models (control bytes, invalid UTF-8, colliding label sets): the exporter's parser
# accepts every file, and the status comes through.
for seed in 0 1 2 3 4 5 6 7 8 9; do
  "$driver" "hostile-$seed" prometheus "$prom" || fail "driver hostile-$seed"
  status=$("$driver" --plugin "hostile-$seed" >/dev/null; echo $?)
  curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" -o "$tmp/metrics" || fail "scrape of hostile-$seed"
  expect node_textfile_scrape_error 0
  expect hairpin_status "$status"
done
echo "PASS"
exit 0
