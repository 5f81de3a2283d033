#!/usr/bin/env bash
# -t bounds the whole run, loading included (the watchdog of src/core/watchdog.hpp): NAT rules from a
# pipe that never ends, and zone files that take longer to read than -t, end with exit 3 within
# 4 s, in every format a complete UNKNOWN report naming the stage ("did not finish within -t 1 s
# while reading NAT rules"), the --textfile replaced by a complete exposition, no temporary left.
# FIFOs as named.conf or $INCLUDE are refused at once (never read). A run that ends in time is
# unchanged: a silent DNS server on loopback gives the probes' own timeout, not the watchdog's.
set -euo pipefail
# The g++ binary only: the time limits are the product's, not those of a sanitizer's slower run.
if grep -q __asan_init "$HC_BIN"; then echo "SKIP: a sanitizer build ($HC_BIN)"; exit 77; fi
work=$(mktemp -d)
feeder=
cleanup() {
  [ -z "$feeder" ] || kill "$feeder" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/prom"
fail=0
zones=$HC_SOURCE_DIR/zones
promtool=$(command -v promtool || true)

# run NAME SECONDS STDIN -- ARGS...: runs the binary with --format FMT for each format, its stdin
# from the file or descriptor STDIN, under a 4 GB address-space limit, with --textfile
# $work/prom/NAME.FMT.prom; stores the output in $work/NAME.FMT, the exit status in rc_FMT and
# fails when it takes SECONDS or more.
run() {
  local name=$1 limit=$2 input=$3 fmt start end rc
  shift 4
  for fmt in text json nagios prometheus; do
    rc=0
    start=$(date +%s%N)
    timeout 20 bash -c 'ulimit -v 4000000; exec "$0" "$@"' "$HC_BIN" "$@" --format "$fmt" \
      --textfile "$work/prom/$name.$fmt.prom" <"$input" >"$work/$name.$fmt" 2>"$work/$name.$fmt.err" || rc=$?
    end=$(date +%s%N)
    printf -v "rc_$fmt" %d "$rc"
    if [ $(((end - start) / 1000000)) -ge $((limit * 1000)) ]; then
      echo "FAIL $name ($fmt): took $(((end - start) / 1000000)) ms, limit ${limit} s"
      fail=1
    fi
  done
}

# expect NAME PATTERN: every format exits 3, is complete, and (but Prometheus) matches PATTERN;
# every textfile is a complete exposition and no temporary is left beside it.
expect() {
  local name=$1 pattern=$2 fmt
  for fmt in text json nagios prometheus; do
    local rc_var=rc_$fmt
    if [ "${!rc_var}" -ne 3 ]; then
      echo "FAIL $name ($fmt): exit ${!rc_var}, want 3"; head -5 "$work/$name.$fmt"; fail=1; return
    fi
  done
  if ! grep -qE -- "$pattern" "$work/$name.text"; then
    echo "FAIL $name (text): no '$pattern' in:"; head -8 "$work/$name.text"; fail=1; return
  fi
  if ! python3 -m json.tool "$work/$name.json" >/dev/null; then
    echo "FAIL $name (json): does not parse"; head -c 400 "$work/$name.json"; fail=1; return
  fi
  if ! python3 - "$work/$name.json" "$pattern" <<'PY'; then
import json, re, sys
doc = json.load(open(sys.argv[1]))
assert doc["status"] == "UNKNOWN" and doc["exit_code"] == 3, doc
assert any(re.search(sys.argv[2], f.get("evidence", "")) for f in doc["findings"]), doc["findings"]
PY
    echo "FAIL $name (json): not UNKNOWN with '$pattern'"; fail=1; return
  fi
  if ! head -n 1 "$work/$name.nagios" | grep -qE -- "^HAIRPIN UNKNOWN - .*($pattern)"; then
    echo "FAIL $name (nagios): first line: $(head -n 1 "$work/$name.nagios")"; fail=1; return
  fi
  for fmt in prometheus text json nagios; do
    local prom=$work/$name.$fmt
    [ "$fmt" = prometheus ] || prom=$work/prom/$name.$fmt.prom
    if ! complete_exposition "$prom"; then
      echo "FAIL $name ($fmt): $prom is not a complete UNKNOWN exposition"; fail=1; return
    fi
  done
  if [ -n "$(find "$work/prom" -name '.*.tmp.*')" ]; then
    echo "FAIL $name: temporaries left: $(find "$work/prom" -name '.*.tmp.*')"; fail=1; return
  fi
  echo "ok   $name: $(grep -oE -m1 -- "$pattern" "$work/$name.text")"
}

# complete_exposition FILE: parses, says hairpin_status 3, ends with a newline.
complete_exposition() {
  [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] || return 1
  grep -qx 'hairpin_status 3' "$1" && grep -q '^hairpin_last_run_timestamp_seconds ' "$1" || return 1
  [ -z "$promtool" ] || "$promtool" check metrics <"$1" >/dev/null 2>&1
}

# 1. --nat-rules - from a pipe that never ends (`sleep 60 | hairpin-check ...`).
exec {pipe}< <(sleep 60)
feeder=$!
run nat-rules-pipe 4 /dev/fd/$pipe -- --static -C "$zones/named.conf" --nat-rules - -t 1
expect nat-rules-pipe 'did not finish within -t 1 s while reading NAT rules'

# 2. The same with --textfile: the old exposition is replaced by a complete one saying UNKNOWN, no
#    temporary is left beside it; a textfile in a directory that does not exist stays absent.
prom=$work/out/hairpin.prom
mkdir "$work/out"
echo 'hairpin_status 0' >"$prom"
rc=0
start=$(date +%s%N)
timeout 20 "$HC_BIN" --static -C "$zones/named.conf" --nat-rules - -t 1 --format nagios --textfile "$prom" \
  <"/dev/fd/$pipe" >"$work/textfile.out" 2>&1 || rc=$?
end=$(date +%s%N)
if [ $rc -ne 3 ] || [ $(((end - start) / 1000000)) -ge 4000 ]; then
  echo "FAIL textfile: exit $rc after $(((end - start) / 1000000)) ms"; fail=1
elif ! complete_exposition "$prom"; then
  echo "FAIL textfile: not a complete exposition:"; tail -3 "$prom"; fail=1
elif [ -n "$(find "$work/out" -name '.*.tmp.*')" ]; then
  echo "FAIL textfile: temporaries left: $(find "$work/out" -name '.*.tmp.*')"; fail=1
elif ! grep -q '^HAIRPIN UNKNOWN - .*while reading NAT rules' "$work/textfile.out"; then
  echo "FAIL textfile: $(head -n 1 "$work/textfile.out")"; fail=1
else
  echo "ok   textfile: replaced by a complete UNKNOWN exposition, no temporary left"
fi
rc=0
timeout 20 "$HC_BIN" --static -C "$zones/named.conf" --nat-rules - -t 1 --format nagios \
  --textfile "$work/missing/hairpin.prom" <"/dev/fd/$pipe" >"$work/missing.out" 2>&1 || rc=$?
if [ $rc -ne 3 ] || [ -e "$work/missing" ] || ! grep -q '^HAIRPIN UNKNOWN - ' "$work/missing.out"; then
  echo "FAIL textfile-missing-dir: exit $rc: $(head -n 1 "$work/missing.out")"; fail=1
else
  echo "ok   textfile-missing-dir: UNKNOWN, nothing created"
fi
exec {pipe}<&-
kill "$feeder" 2>/dev/null || true
feeder=

# 3. FIFOs as named.conf and as a zone file's $INCLUDE: refused at once, naming the file.
mkfifo "$work/fifo"
run fifo-named-conf 4 /dev/null -- --static --all -C "$work/fifo" -t 1
expect fifo-named-conf "fifo': not a regular file"
cat >"$work/db.fifo" <<'Z'
$TTL 300
@ IN SOA ns h 1 3600 900 604800 300
@ IN NS ns
ns IN A 198.18.1.53
$INCLUDE fifo
Z
printf 'options { directory "%s"; };\nview "intra" { match-clients { 198.18.1.0/24; }; zone "debugo.fr" { type master; file "db.fifo"; }; };\nview "extra" { match-clients { any; }; zone "debugo.fr" { type master; file "db.fifo"; }; };\n' \
  "$work" >"$work/fifo-include.conf"
run fifo-include 4 /dev/null -- --static --all -C "$work/fifo-include.conf" -t 1
expect fifo-include 'db.fifo:5:10: cannot open [^ ]*/fifo: not a regular file'

# 4. Zone files that take longer to read than -t: 24 zones of a million $GENERATE records each
#    (reading them took 36 s on the 2-core test machine at a load of 9; without the watchdog the run
#    goes on, and ends out of memory under the limit, never naming the stage).
{
  printf 'options { directory "%s"; };\nview "intra" { match-clients { 198.18.1.0/24; };\n' "$work"
  for i in $(seq 24); do printf '  zone "z%d.test" { type master; file "db.gen"; };\n' $i; done
  printf '};\nview "extra" { match-clients { any; }; zone "z1.test" { type master; file "db.gen"; }; };\n'
} >"$work/slow.conf"
printf '$TTL 300\n@ IN SOA ns h 1 3600 900 604800 300\n@ IN NS ns\nns IN A 198.18.1.53\n$GENERATE 0-1048575 h$ A 198.18.1.1\n' >"$work/db.gen"
run slow-zones 4 /dev/null -- --static --all -C "$work/slow.conf" -t 0.1
expect slow-zones 'did not finish within -t 0.1 s while reading zone files'

# 5. A run that ends in time is the run's own report: the probes' timeout, no watchdog.
port_file=$work/port
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.4", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(30)
' "$port_file" &
silent=$!
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
port=$(cat "$port_file")
rc=0
timeout 20 "$HC_BIN" --no-named-conf www.example.test --services dns/udp --source 127.0.0.1 \
  --resolver "127.0.0.4#$port" --external-dns "127.0.0.4#$port" -t 1 --probe-timeout 5 --format json \
  >"$work/in-time.json" 2>&1 || rc=$?
kill "$silent" 2>/dev/null || true
if grep -q 'did not finish within' "$work/in-time.json" || ! python3 -m json.tool "$work/in-time.json" >/dev/null ||
  ! grep -q '"kind": *"timeout"' "$work/in-time.json"; then
  echo "FAIL in-time: exit $rc:"; head -c 600 "$work/in-time.json"; fail=1
else
  echo "ok   in-time: exit $rc, the probes' own timeout, not the watchdog's report"
fi

exit $fail
