#!/usr/bin/env bash
# Probe speed in the lab: `hairpin-check --all` on a zone of N names (default 1000) published on the
# public addresses, against the same checks done the way Nagios users do today, one monitoring-plugins
# process per check (check_dig UDP and TCP through the hairpin and at the resolver, check_curl for
# HTTPS and for HTTP on port 80 through the hairpin and directly, check_smtp -S and check_simap on
# both paths), run one after the other: the checks hairpin-check makes, one plugin run each.
# Then the same probes through Prometheus' blackbox_exporter (the second peer, driven with parallel
# /probe requests), the TLS floor (openssl s_time), and the same --all with a dead path (scenario
# forward-drop): it should grow by one probe timeout, not by one per name. Prints wall times, the
# client CPU, the ratios and the load average; needs root (it brings the lab up and down).
#   bench/probe_speed.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000}
lab="$root/scripts/lab"
hc=${HC_HAIRPIN_CHECK:-$root/build/hairpin-check}
plugins=/usr/lib/nagios/plugins
[ "$(id -u)" -eq 0 ] || { echo "bench/probe_speed.sh needs root" >&2; exit 1; }
# The second peer, Prometheus' blackbox_exporter (the lab installs its own packages on `up`).
# shellcheck source-path=SCRIPTDIR/..
. "$root/scripts/lib.sh"  # hc_install
hc_install prometheus-blackbox-exporter
[ -x "$hc" ] || { echo "build hairpin-check first ($hc)" >&2; exit 1; }
export HC_HAIRPIN_CHECK=$hc
run=${HC_LAB_RUN:-$root/lab-run}
load_start=$(cut -d" " -f1-3 /proc/loadavg)

bb_pid=
stop_blackbox() { [ -z "$bb_pid" ] || { kill "$bb_pid" 2>/dev/null; wait "$bb_pid" 2>/dev/null; bb_pid=; }; }
trap 'stop_blackbox; "$lab" down >/dev/null 2>&1 || true' EXIT
HC_LAB_EXTRA_NAMES=$n "$lab" up >/dev/null
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | awk '{printf "%.3f", $1}'; }

# hairpin-check --all: one warm-up run, not counted (Postfix and Dovecot start their worker
# processes on the first connections after the lab comes up; a cron job every 5 minutes meets warm
# servers, and so does the plugin loop after these runs), then three runs, the median.
"$lab" hairpin-check --all --format json -t 30 >"$run/bench.json" || true
# Around each run, a snapshot of the CPU of every lab process (by network namespace) and of the
# machine (bench/lab_cpu.py), to account for the median run's wall: client, servers, kernel, idle.
times=() cpus=()
for i in 1 2 3; do
  python3 "$root/bench/lab_cpu.py" snap >"$run/cpu-before-$i.json"
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$run/bench-cpu.txt" "$lab" hairpin-check --all --format json -t 30 >"$run/bench.json" || true
  times+=("$(secs "$t0" "$(now)")")
  python3 "$root/bench/lab_cpu.py" snap >"$run/cpu-after-$i.json"
  cpus+=("$(awk '{printf "%.2f", $1 + $2}' "$run/bench-cpu.txt")")
done
hc_s=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
hc_cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | sed -n 2p)
median_run=$(for i in 1 2 3; do echo "${times[$((i - 1))]} $i"; done | sort -n | sed -n '2s/.* //p')
cpu_account=$(python3 "$root/bench/lab_cpu.py" diff "$run/cpu-before-$median_run.json" "$run/cpu-after-$median_run.json" \
  "${cpus[$((median_run - 1))]}" "${times[$((median_run - 1))]}")
checks=$(python3 -c "import json,sys; d=json.load(open('$run/bench.json')); print(len(d['checks']), sum(1 for c in d['checks'] if c['ok']), d['status'])")

# The plugin loop, sequential, inside the client namespace.
names=$(python3 -c "import json; d=json.load(open('$run/bench.json')); print(' '.join(sorted({c['name'] for c in d['checks']})))")
cat >"$run/plugin-loop.sh" <<LOOP
set +e
count=0 bad=0
check() { "\$@" >/dev/null || bad=\$((bad + 1)); count=\$((count + 1)); }
for name in $names; do
  check $plugins/check_dig -H 203.0.113.1 -l \$name -T A
  check $plugins/check_dig -H 203.0.113.1 -l \$name -T A -A +tcp
  check $plugins/check_dig -H 198.18.1.53 -l \$name -T A
  case \$name in
    m[0-9]*|mail.debugo.fr)
      for a in 203.0.113.2 198.18.1.20; do
        check $plugins/check_smtp -H \$a -S -D 30,7
        check $plugins/check_simap -H \$a -p 993 -D 30,7
      done ;;
    *)
      for a in 203.0.113.1 198.18.1.10; do
        check $plugins/check_curl -H \$name -I \$a -S --sni --ca-cert $run/ca.pem -C 30,7
        check $plugins/check_curl -H \$name -I \$a
      done ;;
  esac
done
echo \$count \$bad
LOOP
t0=$(now)
read -r plugin_checks plugin_bad < <("$lab" exec client bash "$run/plugin-loop.sh")
plugin_s=$(secs "$t0" "$(now)")

# blackbox_exporter, the way Prometheus drives it: one /probe request per check, in parallel. It runs
# in the client namespace on 127.0.0.1 with one module per name and kind of check (blackbox takes
# the DNS query name, the Host header and the SNI/certificate name from the module), generated from
# hairpin-check's own checks: the same names, services, addresses and ports (bench/blackbox_config.py).
# curl keeps 64 requests in flight, hairpin-check's default --concurrency; Prometheus would spread
# the same scrapes over its interval. A probe counts when blackbox says probe_success 1.
bb_listen=127.0.0.1:9115
bb_conc=64
bb=$run/blackbox
rm -rf "$bb" && mkdir -p "$bb"
bb_requests=$(python3 "$root/bench/blackbox_config.py" "$run/bench.json" "$run/ca.pem" "$bb" "$bb_listen")
"$lab" exec client prometheus-blackbox-exporter --config.file="$bb/blackbox.yml" \
  --web.listen-address="$bb_listen" --log.level=warn >"$bb/log.txt" 2>&1 &
bb_pid=$!
for _ in $(seq 100); do
  "$lab" exec client curl -fs "http://$bb_listen/-/healthy" >/dev/null 2>&1 && break
  sleep 0.1
done
bb_times=() bb_ok=()
for _ in 1 2 3; do
  rm -f "$bb/probe/"*
  t0=$(now)
  "$lab" exec client curl -sS --parallel --parallel-max "$bb_conc" -K "$bb/probes.curl" 2>>"$bb/curl.txt" || true
  bb_times+=("$(secs "$t0" "$(now)")")
  bb_ok+=("$(grep -lx 'probe_success 1' "$bb/probe/"* 2>/dev/null | wc -l)")
done
# The probes that failed in the last run, with blackbox's reason (asked again with debug=true).
bb_failed=$(grep -Lx 'probe_success 1' "$bb/probe/"* 2>/dev/null | sed 's|.*/||' | sort -n | tr '\n' ' ' || true)
for k in $bb_failed; do
  url=$(sed -n "$((2 * k + 1))s/^url = \"\(.*\)\"$/\1/p" "$bb/probes.curl")
  why=$("$lab" exec client curl -s "$url&debug=true" | grep -m1 -E 'level=error|level=warn' | sed 's/.*msg=//' || true)
  echo "blackbox_exporter failed: ${url#*probe?}: $why"
done | head -20 >"$bb/failed.txt"
bb_cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$bb_pid/stat")
stop_blackbox
bb_s=$(printf '%s\n' "${bb_times[@]}" | sort -n | sed -n 2p)

# The TLS floor on this machine: OpenSSL's own client (openssl s_time, one context, a new full
# TLS 1.3 handshake per connection, certificate verified) against the lab's nginx for 5 s. Client and
# server CPU per handshake, times the run's handshakes, over the cores: no client built on this
# OpenSSL can make those handshakes in less wall time while the servers share the machine.
tree_cpu() {  # CPU seconds of a process, its reaped children and its live children
  local pid=$1 total=0 child
  [ -r "/proc/$pid/stat" ] || { echo 0; return; }
  total=$(awk '{print ($14 + $15 + $16 + $17) / 100}' "/proc/$pid/stat")
  for child in $(pgrep -P "$pid"); do
    total=$(echo "$total + $(awk '{print ($14 + $15) / 100}' "/proc/$child/stat" 2>/dev/null || echo 0)" | bc -l)
  done
  echo "$total"
}
web_pid=$(cat "$run/pids/web")
handshakes=$(python3 -c "import json; d=json.load(open('$run/bench.json')); print(sum(1 for c in d['checks'] if c['service'] in ('https', 'smtp', 'imaps')))")
web_before=$(tree_cpu "$web_pid")
floor_out=$("$lab" exec client bash -c "TIMEFORMAT='%U %S'; time openssl s_time -connect 198.18.1.10:443 -new -time 5 -CAfile '$run/ca.pem' -verify 1 >'$run/s_time.txt' 2>&1" 2>&1 | tail -1)
web_after=$(tree_cpu "$web_pid")
floor_n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]*s;.*/\1/p' "$run/s_time.txt" | head -1)
cores=$(nproc)
read -r floor_client_ms floor_server_ms floor_s < <(echo "$floor_out $web_before $web_after $floor_n $handshakes $cores" |
  awk '{c = ($1 + $2) * 1000 / $5; s = ($4 - $3) * 1000 / $5; printf "%.2f %.2f %.2f\n", c, s, $6 * (c + s) / 1000 / $7}')
# The same against Dovecot's IMAPS (993), the mail servers' own cost per handshake: Dovecot's CPU is
# every process in hc-mail under the dovecot master (bench/lab_cpu.py). The lab's Postfix has no
# port 465 and s_time no STARTTLS, so its handshakes are counted at Dovecot's figure. Weighted by
# the run's handshakes per service: HTTPS at nginx's, IMAPS and SMTP STARTTLS at Dovecot's.
python3 "$root/bench/lab_cpu.py" snap >"$run/cpu-floor-before.json"
dov_out=$("$lab" exec client bash -c "TIMEFORMAT='%U %S'; time openssl s_time -connect 198.18.1.20:993 -new -time 5 -CAfile '$run/ca.pem' -verify 1 >'$run/s_time-993.txt' 2>&1" 2>&1 | tail -1)
python3 "$root/bench/lab_cpu.py" snap >"$run/cpu-floor-after.json"
dov_server_s=$(python3 "$root/bench/lab_cpu.py" diff "$run/cpu-floor-before.json" "$run/cpu-floor-after.json" 0 1 |
  awk -F': ' '/^  dovecot /{sub(/ core-s/, "", $2); t += $2} END {printf "%.3f", t}')
dov_n=$(sed -n 's/^\([0-9]*\) connections in [0-9.]*s;.*/\1/p' "$run/s_time-993.txt" | head -1)
read -r n_https n_imaps n_smtp < <(python3 -c "import json; d=json.load(open('$run/bench.json')); print(*(sum(1 for c in d['checks'] if c['service'] == s) for s in ('https', 'imaps', 'smtp')))")
read -r dov_client_ms dov_server_ms floor2_s floor2_client_s < <(echo "$dov_out $dov_server_s $dov_n $n_https $n_imaps $n_smtp $floor_client_ms $floor_server_ms $cores" |
  awk '{c = ($1 + $2) * 1000 / $4; s = $3 * 1000 / $4; mail = $6 + $7
        printf "%.2f %.2f %.2f %.2f\n", c, s, ($5 * ($8 + $9) + mail * (c + s)) / 1000 / $10, ($5 * $8 + mail * c) / 1000}')

# One dead path: the loopback FORWARD accept removed, every hairpin connection times out.
"$lab" scenario forward-drop >/dev/null
t0=$(now)
"$lab" hairpin-check --all --format json -t 30 >"$run/bench-dead.json" || true
dead_s=$(secs "$t0" "$(now)")
probe_timeout=$(python3 -c "print(min(max(30*0.3,0.2),5))")

echo "names: $n (+ the bundled ones)"
echo "hairpin-check --all: ${hc_s} s (median of ${times[*]}; client CPU user+sys ${cpus[*]} s), checks total/ok/status: $checks"
echo "plugin loop (anchor): ${plugin_s} s for $plugin_checks plugin runs ($plugin_bad not OK)"
echo "ratio plugin loop / hairpin-check: $(echo "$plugin_s / $hc_s" | bc -l | awk '{printf "%.1f", $1}')x"
echo "blackbox_exporter ($bb_conc /probe requests in flight): ${bb_s} s (median of ${bb_times[*]}) for $bb_requests probes, probe_success 1: ${bb_ok[*]}; exporter CPU ${bb_cpu} s for the 3 runs"
cat "$bb/failed.txt"
echo "ratio blackbox_exporter / hairpin-check: $(echo "$bb_s / $hc_s" | bc -l | awk '{printf "%.1f", $1}')x"
echo "TLS floor (openssl s_time, $floor_n handshakes): client ${floor_client_ms} ms + nginx ${floor_server_ms} ms CPU per handshake; $handshakes handshakes on $cores cores: ${floor_s} s at least"
echo "ratio hairpin-check / TLS floor: $(echo "$hc_s / $floor_s" | bc -l | awk '{printf "%.2f", $1}')x; blackbox_exporter / TLS floor: $(echo "$bb_s / $floor_s" | bc -l | awk '{printf "%.2f", $1}')x"
echo "TLS floor per server (openssl s_time: nginx as above; Dovecot 993, $dov_n handshakes: client ${dov_client_ms} ms + Dovecot ${dov_server_ms} ms CPU per handshake; Postfix STARTTLS at Dovecot's figure, the lab's Postfix has no 465): $n_https HTTPS + $n_imaps IMAPS + $n_smtp SMTP handshakes on $cores cores: ${floor2_s} s at least; ratio hairpin-check / per-server floor: $(echo "$hc_s / $floor2_s" | bc -l | awk '{printf "%.2f", $1}')x wall, $(echo "$hc_cpu / $floor2_client_s" | bc -l | awk '{printf "%.2f", $1}')x client CPU"
# On a loaded machine wall times stretch with everyone's work; CPU time does not: hairpin-check's
# own CPU for the run against the floor's client CPU for the same handshakes.
echo "client CPU: hairpin-check ${hc_cpu} s (median), floor client $(echo "$floor_client_ms * $handshakes / 1000" | bc -l | awk '{printf "%.2f", $1}') s, ratio $(echo "$hc_cpu * 1000 / ($floor_client_ms * $handshakes)" | bc -l | awk '{printf "%.2f", $1}')x; blackbox_exporter $(echo "$bb_cpu / 3" | bc -l | awk '{printf "%.2f", $1}') s per run"
echo "where the wall of the median hairpin-check run went (run $median_run, CPU from /proc by lab namespace and process):"
echo "$cpu_account"
echo "load average at the start: $load_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "with the hairpin dead (forward-drop): ${dead_s} s (probe timeout ${probe_timeout} s; growth $(secs "$hc_s" "$dead_s") s)"
