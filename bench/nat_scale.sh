#!/usr/bin/env bash
# NAT and view scaling benchmark: `hairpin-check --static --all` (the real binary) on generated inputs
# of growing size, in a temporary directory:
#   iptables  iptables-save with N DNAT rules (4 ports on each of N/4 public addresses), each with its
#             loopback SNAT, a masquerade and a filter FORWARD that drops by default;
#   nft-jump  nft -j with N jump chains: prerouting jumps by destination address to one chain per
#             public address, which DNATs; one masquerade for the LAN's loopback;
#   nft-set   nft -j with a named set of N addresses (a blocklist dropped in prerouting and forward)
#             beside 1,000 DNAT rules;
#   views     named.conf with N views (one /24 each, every tenth through a named ACL, every hundredth
#             shadowed by the view before it) before a view for everyone else.
# Each NAT run also reads a small named.conf (views intra and extra, 250 names whose external
# addresses are DNATed). Prints wall time, CPU time (user + system) and peak memory (/usr/bin/time -v)
# against the size, the ratios to the smallest size of the same run and the log-log slope from the
# smallest to the largest size, and the targets: slope <= 1.1, <= 1 s at the largest size (1e5; 2e5
# for the set). TIMEOUT (default 180 s) bounds each run.
#
#   bench/nat_scale.sh [BUILD_DIR]      (default: build; SIZES="1000 10000 100000" to choose sizes)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
SIZES=${SIZES:-1000 10000 100000}
KINDS=${KINDS:-iptables nft-jump nft-set views}
WORK=${WORK:-$(mktemp -d /tmp/hc-nat-scale.XXXXXX)}
HC=$BUILD/hairpin-check
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
[ -x "$HC" ] || { echo "missing $HC: cmake --build $BUILD --target hairpin-check" >&2; exit 3; }

# measure NAME CMD...: runs CMD under /usr/bin/time -v; sets WALL (s), PEAK (MiB) and RC.
measure() {
  local name=$1 log=$WORK/time.log
  shift
  set +e
  /usr/bin/time -v -o "$log" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  RC=$?
  set -e
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
  PEAK=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")
  CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$log")
}

# The i-th public address (100.64.0.0/10) and internal server (10.0.0.0/8, from 10.1.0.0).
addr_awk='function pub(i) { i += 256; return "100." (64 + int(i / 65536) % 64) "." int(i / 256) % 256 "." i % 256 }
function srv(i) { i += 65536; return "10." int(i / 65536) % 256 "." int(i / 256) % 256 "." i % 256 }'

# The small named.conf beside the NAT rules: 250 names, name k on public address k (= rules 4k..4k+3).
gen_small_conf() {
  local dir=$1
  mkdir -p "$dir"
  awk -v dir="$dir" "$addr_awk"'
    BEGIN {
      hdr = "$TTL 300\n@ IN SOA ns.bench.test. admin.bench.test. 1 3600 600 86400 300\n@ IN NS ns.bench.test.\n"
      printf "%sns IN A %s\n", hdr, srv(0) > (dir "/db.intra")
      printf "%sns IN A %s\n", hdr, pub(0) > (dir "/db.extra")
      for (k = 0; k < 250; k++) {
        printf "w%d IN A %s\n", k, srv(4 * k) >> (dir "/db.intra")
        printf "w%d IN A %s\n", k, pub(k) >> (dir "/db.extra")
      }
    }'
  cat >"$dir/named.conf" <<EOF
view "intra" { match-clients { 10.0.0.0/8; localhost; }; zone "bench.test" { type master; file "$dir/db.intra"; }; };
view "extra" { match-clients { any; }; zone "bench.test" { type master; file "$dir/db.extra"; }; };
EOF
}

gen_iptables() {  # N FILE
  awk -v n="$1" "$addr_awk"'
    BEGIN {
      split("443 80 25 993", port, " ")
      proto[0] = "udp"; proto[1] = "tcp"
      print "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]"
      for (i = 0; i < n; i++)
        printf "-A PREROUTING -d %s/32 -p tcp -m tcp --dport %s -j DNAT --to-destination %s\n", pub(int(i / 4)), port[i % 4 + 1], srv(4 * int(i / 4))
      for (p = 0; p < 2; p++)  # the name server of the zone, on the first public address
        printf "-A PREROUTING -d %s/32 -p %s -m %s --dport 53 -j DNAT --to-destination %s\n", pub(0), proto[p], proto[p], srv(0)
      for (i = 0; i < n; i++)
        printf "-A POSTROUTING -s 10.0.0.0/8 -d %s/32 -p tcp -m tcp --dport %s -j SNAT --to-source %s\n", srv(4 * int(i / 4)), port[i % 4 + 1], pub(int(i / 4))
      for (p = 0; p < 2; p++)
        printf "-A POSTROUTING -s 10.0.0.0/8 -d %s/32 -p %s -m %s --dport 53 -j SNAT --to-source %s\n", srv(0), proto[p], proto[p], pub(0)
      print "-A POSTROUTING -s 10.0.0.0/8 ! -d 10.0.0.0/8 -o wan0 -j MASQUERADE\nCOMMIT"
      print "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]"
      print "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
      print "-A FORWARD -i lan0 -o wan0 -s 10.0.0.0/8 -j ACCEPT"
      print "-A FORWARD -i wan0 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT"
      print "-A FORWARD -i lan0 -o lan0 -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT"
    }' >"$2"
}

# nft -j pieces shared by both nft rule sets (awk functions).
nft_awk='function chain(t, name, extra) { printf ",\n{\"chain\":{\"family\":\"ip\",\"table\":\"%s\",\"name\":\"%s\",\"handle\":%d%s}}", t, name, ++h, extra }
function rule(t, c, expr) { printf ",\n{\"rule\":{\"family\":\"ip\",\"table\":\"%s\",\"chain\":\"%s\",\"handle\":%d,\"expr\":[%s]}}", t, c, ++h, expr }
function m(proto, field, right) { return "{\"match\":{\"op\":\"==\",\"left\":{\"payload\":{\"protocol\":\"" proto "\",\"field\":\"" field "\"}},\"right\":" right "}}" }
function q(s) { return "\"" s "\"" }
function dns() { return "{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"l4proto\"}},\"right\":{\"set\":[\"tcp\",\"udp\"]}}}," m("th", "dport", 53) }
function lan() { return "{\"prefix\":{\"addr\":\"10.0.0.0\",\"len\":8}}" }
function base(t, name, type, hook, prio, policy) { chain(t, name, ",\"type\":\"" type "\",\"hook\":\"" hook "\",\"prio\":" prio ",\"policy\":\"" policy "\"") }
function head() { printf "{\"nftables\":[{\"metainfo\":{\"version\":\"1.0.6\",\"json_schema_version\":1}}" }
function nat_tail() {
  rule("nat", "postrouting", m("ip", "saddr", lan()) "," m("ip", "daddr", q(srv(0))) "," dns() ",{\"snat\":{\"addr\":\"" pub(0) "\"}}")
  rule("nat", "postrouting", m("ip", "saddr", lan()) "," m("ip", "daddr", lan()) ",{\"masquerade\":null}")
  rule("nat", "postrouting", m("ip", "saddr", lan()) ",{\"match\":{\"op\":\"==\",\"left\":{\"meta\":{\"key\":\"oifname\"}},\"right\":\"wan0\"}},{\"masquerade\":null}")
}'

gen_nft_jump() {  # N FILE
  awk -v n="$1" "$addr_awk$nft_awk"'
    BEGIN {
      head()
      printf ",\n{\"table\":{\"family\":\"ip\",\"name\":\"nat\",\"handle\":%d}}", ++h
      base("nat", "prerouting", "nat", "prerouting", -100, "accept")
      base("nat", "postrouting", "nat", "postrouting", 100, "accept")
      for (i = 0; i < n; i++) chain("nat", "svc" i, "")
      for (i = 0; i < n; i++) rule("nat", "prerouting", m("ip", "daddr", q(pub(i))) ",{\"jump\":{\"target\":\"svc" i "\"}}")
      rule("nat", "svc0", dns() ",{\"dnat\":{\"addr\":\"" srv(0) "\"}}")
      for (i = 0; i < n; i++) rule("nat", "svc" i, m("tcp", "dport", "{\"set\":[443,80,25,993]}") ",{\"dnat\":{\"addr\":\"" srv(4 * i) "\"}}")
      nat_tail()
      print "\n]}"
    }' >"$2"
}

gen_nft_set() {  # N FILE
  awk -v n="$1" "$addr_awk$nft_awk"'
    BEGIN {
      head()
      printf ",\n{\"table\":{\"family\":\"ip\",\"name\":\"filter\",\"handle\":%d}}", ++h
      printf ",\n{\"set\":{\"family\":\"ip\",\"table\":\"filter\",\"name\":\"blocklist\",\"type\":\"ipv4_addr\",\"handle\":%d,\"elem\":[", ++h
      for (i = 0; i < n; i++) printf "%s\"%d.%d.%d.%d\"", (i ? "," : ""), 20 + int(i / 16777216), int(i / 65536) % 256, int(i / 256) % 256, i % 256
      printf "]}}"
      base("filter", "pre", "filter", "prerouting", -150, "accept")
      base("filter", "forward", "filter", "forward", 0, "drop")
      rule("filter", "pre", m("ip", "saddr", q("@blocklist")) ",{\"drop\":null}")
      rule("filter", "forward", m("ip", "daddr", q("@blocklist")) ",{\"drop\":null}")
      rule("filter", "forward", "{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"state\"}},\"right\":[\"established\",\"related\"]}},{\"accept\":null}")
      rule("filter", "forward", "{\"match\":{\"op\":\"in\",\"left\":{\"ct\":{\"key\":\"status\"}},\"right\":\"dnat\"}},{\"accept\":null}")
      rule("filter", "forward", m("ip", "saddr", lan()) ",{\"accept\":null}")
      printf ",\n{\"table\":{\"family\":\"ip\",\"name\":\"nat\",\"handle\":%d}}", ++h
      base("nat", "prerouting", "nat", "prerouting", -100, "accept")
      base("nat", "postrouting", "nat", "postrouting", 100, "accept")
      rule("nat", "prerouting", m("ip", "daddr", q(pub(0))) "," dns() ",{\"dnat\":{\"addr\":\"" srv(0) "\"}}")
      for (i = 0; i < 1000; i++)
        rule("nat", "prerouting", m("ip", "daddr", q(pub(int(i / 4)))) "," m("tcp", "dport", 443 - (i % 4) * 100) ",{\"dnat\":{\"addr\":\"" srv(4 * int(i / 4)) "\"}}")
      nat_tail()
      print "\n]}"
    }' >"$2"
}

gen_views() {  # N DIR
  local dir=$2
  mkdir -p "$dir"
  printf '$TTL 300\n@ IN SOA ns.bench.test. admin.bench.test. 1 3600 600 86400 300\n@ IN NS ns.bench.test.\nns IN A 10.0.0.53\nwww IN A 10.0.0.80\n' >"$dir/db.intra"
  printf '$TTL 300\n@ IN SOA ns.bench.test. admin.bench.test. 1 3600 600 86400 300\n@ IN NS ns.bench.test.\nns IN A 100.64.0.53\nwww IN A 100.64.0.80\n' >"$dir/db.extra"
  awk -v n="$1" -v dir="$dir" '
    function net(k) { return "10." int(k / 256) % 256 "." k % 256 }
    BEGIN {
      for (k = 0; k < n; k++) {
        zone = k == 0 ? " zone \"bench.test\" { type master; file \"" dir "/db.intra\"; };" : ""
        if (k % 100 == 99) printf "view \"s%d\" { match-clients { %s.128/25; };%s };\n", k, net(k - 1), zone
        else if (k % 10 == 9) printf "acl \"a%d\" { %s.0/24; };\nview \"v%d\" { match-clients { \"a%d\"; };%s };\n", k, net(k), k, k, zone
        else printf "view \"v%d\" { match-clients { %s.0/24; };%s };\n", k, net(k), zone
      }
      printf "view \"extra\" { match-clients { any; }; zone \"bench.test\" { type master; file \"%s/db.extra\"; }; };\n", dir
    }' >"$dir/named.conf"
}

printf '%-9s %8s %8s %8s %9s %7s %7s %7s  %s\n' kind size wall_s cpu_s peak_MiB x_size x_wall x_cpu verdict
small=$WORK/small
gen_small_conf "$small"
fail=0
for kind in $KINDS; do
  first_n='' first_w='' first_c='' last_n='' last_w='' last_c=''
  for n in $SIZES; do
    [ "$kind" = nft-set ] && n=$((n * 2))
    case $kind in
      iptables) gen_iptables "$n" "$WORK/rules"; args=(-C "$small/named.conf" --nat-rules "$WORK/rules") ;;
      nft-jump) gen_nft_jump "$n" "$WORK/rules"; args=(-C "$small/named.conf" --nat-rules "$WORK/rules") ;;
      nft-set) gen_nft_set "$n" "$WORK/rules"; args=(-C "$small/named.conf" --nat-rules "$WORK/rules") ;;
      views) gen_views "$n" "$WORK/views"; args=(-C "$WORK/views/named.conf") ;;
      *) echo "unknown kind $kind" >&2; exit 3 ;;
    esac
    measure "$kind-$n" timeout "${TIMEOUT:-180}" "$HC" --static --all --format json "${args[@]}"
    # 0-2: a verdict; 3: UNKNOWN (bad input or a check that could not be made); 124: timeout.
    verdict=$(sed -n 's/.*"status": *"\([A-Z]*\)".*/\1/p' "$WORK/$kind-$n.out" | head -1)
    [ "$RC" = 124 ] && verdict="timeout (${TIMEOUT:-180} s)"
    [ -n "$first_n" ] || { first_n=$n; first_w=$WALL; first_c=$CPU; }
    last_n=$n last_w=$WALL last_c=$CPU
    [ "$RC" = 124 ] && last_w=inf
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }
    printf '%-9s %8d %8.2f %8.2f %9.1f %7s %7s %7s  %s (exit %d)\n' "$kind" "$n" "$WALL" "$CPU" "$PEAK" \
      "$(awk -v a="$n" -v b="$first_n" 'BEGIN { printf "%g", a / b }')" "$(ratio "$WALL" "$first_w")" \
      "$(ratio "$CPU" "$first_c")" "${verdict:-?}" "$RC"
    if [ "$RC" -gt 2 ] && [ "$kind" != views ]; then fail=1; fi
  done
  # The log-log slope from the smallest to the largest size, of the wall time and of the CPU time
  # (user + system: what the run costs when other work shares the cores); times below 10 ms are
  # clock noise: 0.01 s floor.
  awk -v n0="$first_n" -v w0="$first_w" -v n1="$last_n" -v w1="$last_w" -v c0="$first_c" -v c1="$last_c" -v kind="$kind" '
    function slope(t0, t1) { if (t0 < 0.01) t0 = 0.01; if (t1 < 0.01) t1 = 0.01; return n1 > n0 ? log(t1 / t0) / log(n1 / n0) : 0 }
    BEGIN {
      if (w1 == "inf") { printf "%-9s timed out at %d: targets NOT met\n", kind, n1; exit }
      sw = slope(w0, w1); sc = slope(c0, c1)
      printf "%-9s slope %.2f wall, %.2f cpu from %d to %d (target <= 1.1: %s); at %d %.2f s wall, %.2f s cpu (target <= 1 s: %s)\n",
        kind, sw, sc, n0, n1, sw <= 1.1 ? "met" : (sc <= 1.1 ? "met on cpu only" : "NOT met"), n1, w1, c1,
        w1 <= 1 ? "met" : (c1 <= 1 ? "met on cpu only" : "NOT met")
    }'
done
exit $fail
