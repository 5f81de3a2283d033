#!/usr/bin/env bash
# Proves the lab itself with standard tools (dig, curl, openssl): switches the running lab to
# SCENARIO and asserts what that fault does to the network, seen from the internal client (hairpin
# through 203.0.113.x, and direct to 198.18.1.x) and from the outside client.
#   tests/lab/network_test.sh SCENARIO        exit 0 pass, 1 fail, 77 skipped (not root, no netns)
set -uo pipefail
source "$(dirname "$0")/common.sh"

scen=${1:?usage: network_test.sh SCENARIO}
lab_require
"$LAB" scenario "$scen" || { echo "FAIL: scripts/lab scenario $scen"; exit 1; }
expect_eq "scenario recorded in the run folder" "$(cat "$RUN/scenario")" "$scen"
rules=$(cat "$RUN/router.rules")
expect_match "router rules captured with iptables-save" "$rules" '^\*nat'

# The mail server's SMTP STARTTLS and IMAPS, seen from CLIENT at ADDR (LABEL names the path). MODE
# no-mail skips SMTP (the MTA is stopped); hostile-mail skips both (hostile peers hold the ports).
mail_ok() {
  local label=$1 client=$2 addr=$3 mode=${4:-}
  [ "$mode" != hostile-mail ] || return 0
  if [ "$mode" != no-mail ]; then
    smtp_starttls "$client" "$addr"
    expect_eq "$label: smtp starttls $addr:25" "$TLS_RC" 0
  fi
  imaps "$client" "$addr"
  expect_eq "$label: imaps $addr:993" "$TLS_RC" 0
}

# The internal resolver, the web server and the mail server reached on their LAN addresses.
direct_ok() {
  dns hc-client 198.18.1.53 blogint.debugo.fr
  expect_eq "direct: dns @198.18.1.53 blogint (intra view)" "$DNS_STATUS $DNS_ANSWER" "NOERROR 198.18.1.10"
  dns hc-client 198.18.1.53 blog.debugo.fr
  # other-backend sends LAN clients straight to the web server (blog is 198.18.1.10 in intra).
  local blog_intra=203.0.113.1
  [ "$scen" != other-backend ] || blog_intra=198.18.1.10
  expect_eq "direct: dns @198.18.1.53 blog" "$DNS_STATUS $DNS_ANSWER" "NOERROR $blog_intra"
  https hc-client 198.18.1.10
  expect_eq "direct: https 198.18.1.10 (curl status, seen client, backend)" \
    "$HTTP_RC $HTTP_CLIENT $HTTP_BACKEND" "0 198.18.1.99 web"
  mail_ok direct hc-client 198.18.1.20 "${1:-}"
}

# The public services as the Internet sees them.
wan_ok() {
  dns hc-wan 203.0.113.1 blog.debugo.fr
  expect_eq "wan: dns @203.0.113.1 blog (extra view)" "$DNS_STATUS $DNS_ANSWER" "NOERROR 203.0.113.1"
  dns hc-wan 203.0.113.1 blogint.debugo.fr
  expect_eq "wan: dns @203.0.113.1 blogint (extra view)" "$DNS_STATUS" NXDOMAIN
  https hc-wan 203.0.113.1
  expect_eq "wan: https 203.0.113.1 (curl status, seen client)" "$HTTP_RC $HTTP_CLIENT" "0 203.0.113.100"
  mail_ok wan hc-wan 203.0.113.2 "${1:-}"
}

# The NAT loopback working: the client reaches every public service through the router.
hairpin_dns_ok() {
  dns hc-client 203.0.113.1 blog.debugo.fr
  expect_eq "hairpin: dns/udp @203.0.113.1 blog" "$DNS_STATUS $DNS_ANSWER" "NOERROR 203.0.113.1"
  dns hc-client 203.0.113.1 blog.debugo.fr A +tcp
  expect_eq "hairpin: dns/tcp @203.0.113.1 blog" "$DNS_STATUS $DNS_ANSWER" "NOERROR 203.0.113.1"
  dns hc-client 203.0.113.1 blogint.debugo.fr
  expect_eq "hairpin: dns @203.0.113.1 blogint answered by the extra view" "$DNS_STATUS" NXDOMAIN
  dns_source hc-client 203.0.113.1 blog.debugo.fr
  expect_eq "hairpin: dns/udp reply from the public address" "$SRC_RC $SRC_OUT" "0 reply from 203.0.113.1#53 rcode 0 answers 1"
}
hairpin_ok() {
  hairpin_dns_ok
  https hc-client 203.0.113.1
  expect_eq "hairpin: https 203.0.113.1 (curl status, seen client, backend)" \
    "$HTTP_RC $HTTP_CLIENT $HTTP_BACKEND" "0 203.0.113.1 web"
  mail_ok hairpin hc-client 203.0.113.2 "${1:-}"
}

# The lab's root server, reached from the internal client through the router: it refers debugo.fr
# to ns.debugo.fr with the glue 203.0.113.1, without authority (a referral, as the real roots give).
root_ok() {
  dns hc-client 198.51.100.53 debugo.fr NS +norec
  expect_eq "root: dns @198.51.100.53 debugo.fr NS is a referral" "$DNS_STATUS $DNS_ANSWER" "NOERROR "
  expect_match "root: the referral names ns.debugo.fr" "$DNS_OUT" '^debugo\.fr\.[[:space:]].*NS[[:space:]]+ns\.debugo\.fr\.$'
  expect_match "root: with its glue 203.0.113.1" "$DNS_OUT" '^ns\.debugo\.fr\.[[:space:]].*A[[:space:]]+203\.0\.113\.1$'
  expect_no_match "root: no authority claimed for debugo.fr" "$DNS_OUT" 'flags:[a-z ]* aa[ ;]'
  expect_eq "root: the hints file names it" "$(awk '$3 == "A" {print $4}' "$RUN/root.hints")" 198.51.100.53
}

# The hairpin broken for TCP: every connection to a public address fails with curl status HTTP_FAIL.
hairpin_tcp_broken() {
  local http_fail=$1
  https hc-client 203.0.113.1
  expect_eq "hairpin: https 203.0.113.1 fails (curl status)" "$HTTP_RC" "$http_fail"
  smtp_starttls hc-client 203.0.113.2
  expect_ne "hairpin: smtp 203.0.113.2:25 fails" "$TLS_RC" 0
  imaps hc-client 203.0.113.2
  expect_ne "hairpin: imaps 203.0.113.2:993 fails" "$TLS_RC" 0
}

loop_snat='^-A POSTROUTING -s 198\.18\.1\.0/24 -d 198\.18\.1\.[0-9]+/32 .*-j SNAT'

case $scen in
  ok)
    expect_match "rules: loopback SNAT present" "$rules" "$loop_snat --to-source 203\.0\.113\.1"
    hairpin_ok
    direct_ok
    wan_ok
    root_ok
    ;;
  no-snat)
    expect_no_match "rules: no loopback SNAT" "$rules" "$loop_snat"
    dns hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp @203.0.113.1 gets no usable reply" "$DNS_STATUS" TIMEOUT
    dns_source hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp reply came from the server's own address" "$SRC_RC $SRC_OUT" \
      "2 reply from 198.18.1.53#53 rcode 0 answers 1"
    dns hc-client 203.0.113.1 blog.debugo.fr A +tcp
    expect_eq "hairpin: dns/tcp @203.0.113.1" "$DNS_STATUS" TIMEOUT
    hairpin_tcp_broken 28
    direct_ok
    wan_ok
    ;;
  snat-internal)
    expect_match "rules: loopback SNAT to the LAN address" "$rules" "$loop_snat --to-source 198\.18\.1\.1"
    dns hc-client 203.0.113.1 blogint.debugo.fr
    expect_eq "hairpin: dns/udp @203.0.113.1 blogint leaks the intra view" "$DNS_STATUS $DNS_ANSWER" "NOERROR 198.18.1.10"
    dns hc-client 203.0.113.1 blogint.debugo.fr A +tcp
    expect_eq "hairpin: dns/tcp @203.0.113.1 blogint leaks the intra view" "$DNS_STATUS $DNS_ANSWER" "NOERROR 198.18.1.10"
    https hc-client 203.0.113.1
    expect_eq "hairpin: https works, server sees the router's LAN address" "$HTTP_RC $HTTP_CLIENT" "0 198.18.1.1"
    smtp_starttls hc-client 203.0.113.2
    expect_eq "hairpin: smtp starttls 203.0.113.2:25" "$TLS_RC" 0
    direct_ok
    wan_ok
    ;;
  dnat-wan-only)
    expect_match "rules: DNAT only on wan0" "$rules" '^-A PREROUTING -d 203\.0\.113\.1/32 -i wan0 .*-j DNAT|^-A PREROUTING -i wan0 -d 203\.0\.113\.1/32 .*-j DNAT'
    expect_no_match "rules: no DNAT without -i wan0" "$rules" '^-A PREROUTING -d 203\.0\.113\.[12]/32 -p'
    dns hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp @203.0.113.1 reaches the router itself (port unreachable)" "$DNS_STATUS" CONN-REFUSED
    hairpin_tcp_broken 7
    direct_ok
    wan_ok
    ;;
  forward-drop)
    expect_no_match "rules: no lan0->lan0 FORWARD accept" "$rules" '^-A FORWARD -i lan0 -o lan0'
    dns hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp @203.0.113.1 dropped" "$DNS_STATUS" TIMEOUT
    dns_source hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp no reply from any address" "$SRC_RC $SRC_OUT" "1 "
    hairpin_tcp_broken 28
    direct_ok
    wan_ok
    ;;
  udp-only-broken)
    expect_no_match "rules: no loopback SNAT for udp/53" "$rules" '-d 198\.18\.1\.53/32 -p udp .*-j SNAT'
    expect_match "rules: loopback SNAT for tcp/53 kept" "$rules" '-d 198\.18\.1\.53/32 -p tcp .*-j SNAT --to-source 203\.0\.113\.1'
    dns hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp @203.0.113.1" "$DNS_STATUS" TIMEOUT
    dns_source hc-client 203.0.113.1 blog.debugo.fr
    expect_eq "hairpin: dns/udp reply came from the server's own address" "$SRC_RC $SRC_OUT" \
      "2 reply from 198.18.1.53#53 rcode 0 answers 1"
    dns hc-client 203.0.113.1 blog.debugo.fr A +tcp
    expect_eq "hairpin: dns/tcp @203.0.113.1 works" "$DNS_STATUS $DNS_ANSWER" "NOERROR 203.0.113.1"
    https hc-client 203.0.113.1
    expect_eq "hairpin: https works" "$HTTP_RC $HTTP_CLIENT" "0 203.0.113.1"
    direct_ok
    wan_ok
    ;;
  stale-zone)
    file_serial=$(awk '/; *serial/ {print $1; exit}' "$RUN/db.debugo.fr.intra")
    orig_serial=$(awk '/; *serial/ {print $1; exit}' "$HC_ROOT/zones/db.debugo.fr.intra")
    expect_eq "zone file serial bumped" "$file_serial" $((orig_serial + 1))
    dns hc-client 198.18.1.53 debugo.fr SOA
    expect_eq "named still serves the old serial" "$(awk '$4 == "SOA" && !/^;/ {print $7}' <<<"$DNS_OUT")" "$orig_serial"
    expect_match "SOA served" "$DNS_OUT" "IN[[:space:]]+SOA[[:space:]]+ns\.debugo\.fr\. hostmaster\.debugo\.fr\. $orig_serial "
    hairpin_ok
    direct_ok
    wan_ok
    ;;
  wrong-cert)
    expect_match "web serves the other name's certificate" "$(https_subject hc-client 198.18.1.10)" 'CN ?= ?intranet\.example\.net'
    https hc-client 203.0.113.1
    expect_eq "hairpin: https certificate rejected (curl 60)" "$HTTP_RC" 60
    https hc-client 198.18.1.10
    expect_eq "direct: https certificate rejected (curl 60)" "$HTTP_RC" 60
    https hc-client 203.0.113.1 443 https -k
    expect_eq "hairpin: https without verification still reaches web" "$HTTP_RC $HTTP_CLIENT" "0 203.0.113.1"
    https hc-wan 203.0.113.1
    expect_eq "wan: https certificate rejected (curl 60)" "$HTTP_RC" 60
    hairpin_dns_ok
    smtp_starttls hc-client 203.0.113.2
    expect_eq "hairpin: smtp starttls 203.0.113.2:25" "$TLS_RC" 0
    imaps hc-client 203.0.113.2
    expect_eq "hairpin: imaps 203.0.113.2:993" "$TLS_RC" 0
    ;;
  other-backend)
    expect_match "rules: DNAT 443 to 198.18.1.11" "$rules" '^-A PREROUTING .*--dport 443 -j DNAT --to-destination 198\.18\.1\.11'
    https hc-client 203.0.113.1
    expect_eq "hairpin: https reaches the other backend (curl status, seen client, backend)" \
      "$HTTP_RC $HTTP_CLIENT $HTTP_BACKEND" "0 203.0.113.1 web2"
    https hc-client 203.0.113.1 80 http
    expect_eq "hairpin: http on port 80 still reaches web" "$HTTP_RC $HTTP_BACKEND" "0 web"
    hp=$(https_fingerprint hc-client 203.0.113.1)
    dp=$(https_fingerprint hc-client 198.18.1.10)
    expect_match "hairpin certificate read" "$hp" 'Fingerprint='
    expect_ne "hairpin and direct certificates differ" "$hp" "$dp"
    https hc-wan 203.0.113.1
    expect_eq "wan: https reaches the other backend" "$HTTP_RC $HTTP_BACKEND" "0 web2"
    hairpin_dns_ok
    direct_ok
    ;;
  mail-down)
    smtp_starttls hc-client 203.0.113.2
    expect_ne "hairpin: smtp 203.0.113.2:25 fails" "$TLS_RC" 0
    smtp_starttls hc-client 198.18.1.20
    expect_ne "direct: smtp 198.18.1.20:25 fails" "$TLS_RC" 0
    smtp_starttls hc-wan 203.0.113.2
    expect_ne "wan: smtp 203.0.113.2:25 fails" "$TLS_RC" 0
    expect_match "smtp refused, not timing out" "$TLS_OUT" 'Connection refused|connect:errno'
    hairpin_ok no-mail
    direct_ok no-mail
    wan_ok no-mail
    ;;
  hostile-mail)
    # The ports answer, the peers do not: openssl gives up on its own 4 s timer in both cases.
    smtp_starttls hc-client 198.18.1.20
    expect_ne "direct: smtp 198.18.1.20:25 fails" "$TLS_RC" 0
    smtp_starttls hc-client 203.0.113.2
    expect_ne "hairpin: smtp 203.0.113.2:25 fails" "$TLS_RC" 0
    imaps hc-client 198.18.1.20
    expect_ne "direct: imaps 198.18.1.20:993 handshake stalls" "$TLS_RC" 0
    expect_no_match "direct: imaps no certificate ever arrives" "$TLS_OUT" 'BEGIN CERTIFICATE|Verify return code: 0'
    imaps hc-client 203.0.113.2
    expect_ne "hairpin: imaps 203.0.113.2:993 handshake stalls" "$TLS_RC" 0
    hairpin_ok hostile-mail
    direct_ok hostile-mail
    wan_ok hostile-mail
    ;;
  extra-only)
    dns hc-client 198.18.1.53 www.debugo.fr
    expect_eq "intra view: www is gone" "$DNS_STATUS" NXDOMAIN
    dns hc-client 203.0.113.1 www.debugo.fr
    expect_match "hairpin (extra view): www still published" "$DNS_STATUS $DNS_ANSWER" '^NOERROR .*blog\.debugo\.fr\.'
    dns hc-wan 203.0.113.1 www.debugo.fr
    expect_match "wan (extra view): www still published" "$DNS_STATUS $DNS_ANSWER" '^NOERROR .*blog\.debugo\.fr\.'
    hairpin_ok
    direct_ok
    wan_ok
    ;;
  acl-views)
    conf=$(cat "$RUN/named.conf")
    expect_match "named.conf: ACL lan covers 198.18.0.0/15 and localhost" "$conf" '^acl lan \{ 198\.18\.0\.0/15; localhost; \};'
    expect_match "named.conf: the intra view matches through the ACL" "$conf" '^ +match-clients \{ lan; \};'
    expect_no_match "named.conf: no inline address list left in match-clients" "$conf" 'match-clients \{ 198\.'
    # localhost is only in the ACL now: the server itself asking gets the intra view.
    dns hc-dns 127.0.0.1 blogint.debugo.fr
    expect_eq "dns @127.0.0.1 from the server blogint (intra view through the ACL's localhost)" "$DNS_STATUS $DNS_ANSWER" "NOERROR 198.18.1.10"
    hairpin_ok
    direct_ok
    wan_ok
    ;;
  nat-unsimulated)
    mark_line=$(grep -n -- '^-A PREROUTING -m mark --mark 0x1 -j ACCEPT$' "$RUN/router.rules" | cut -d: -f1)
    dnat_line=$(grep -n -- '^-A PREROUTING .*-j DNAT' "$RUN/router.rules" | head -n1 | cut -d: -f1)
    expect_match "rules: the mark rule is loaded" "$mark_line" '^[0-9]+$'
    expect_eq "rules: the mark rule comes right before the first DNAT" "$((${mark_line:-0} + 1))" "${dnat_line:-x}"
    hairpin_ok
    direct_ok
    wan_ok
    # No packet carries the mark: the rule matched nothing while every path above worked.
    pkts=$("$LAB" exec hc-router iptables -t nat -L PREROUTING 1 -v -n -x | awk '{print $1}')
    expect_eq "router: packets that matched the mark rule" "$pkts" 0
    ;;
  no-route)
    routes=$(ip -n hc-client -4 route show)
    expect_no_match "client: no default route" "$routes" '^default'
    expect_match "client: the on-link LAN route kept" "$routes" '^198\.18\.1\.0/24 dev eth0'
    dns hc-client 203.0.113.1 blog.debugo.fr
    expect_match "hairpin: dns/udp @203.0.113.1 cannot be sent (network unreachable)" "$DNS_OUT" 'network unreachable'
    out=$("$LAB" exec hc-client timeout 2 bash -c 'exec 3<>/dev/tcp/203.0.113.1/443' 2>&1)
    expect_match "hairpin: tcp connect 203.0.113.1:443 fails locally" "$out" 'Network is unreachable'
    https hc-client 203.0.113.1
    expect_eq "hairpin: https 203.0.113.1 (curl: could not connect)" "$HTTP_RC" 7
    direct_ok
    wan_ok
    ;;
  key-views|key-views-wrong-key|key-views-axfr)
    conf=$(cat "$RUN/named.conf")
    expect_match "named.conf: the intra view is selected by key intra-key" "$conf" '^ +match-clients \{ key "intra-key"; \};'
    expect_match "named.conf: the extra view takes every client without it" "$conf" '^ +match-clients \{ !key "intra-key"; any; \};'
    key=$(cat "$RUN/intra-key.key")
    expect_match "intra-key.key written by tsig-keygen" "$key" 'algorithm hmac-sha256;'
    # Signed with the key, the client reaches the intra view; without it, the extra view.
    dns hc-client 198.18.1.53 blogint.debugo.fr A -k "$RUN/intra-key.key"
    expect_eq "direct: dns @198.18.1.53 blogint signed with intra-key (intra view)" "$DNS_STATUS $DNS_ANSWER" "NOERROR 198.18.1.10"
    expect_no_match "direct: the signed reply verifies" "$DNS_OUT" 'tsig verify failure|TSIG.*(BADSIG|BADKEY)'
    dns hc-client 198.18.1.53 blogint.debugo.fr
    expect_eq "direct: dns @198.18.1.53 blogint without a key (extra view)" "$DNS_STATUS" NXDOMAIN
    if [ "$scen" = key-views-axfr ]; then
      # Each view transfers to the client: intra signed with its key, extra without one.
      dns hc-client 198.18.1.53 debugo.fr AXFR -k "$RUN/intra-key.key"
      expect_match "axfr: intra view signed with intra-key holds blogint" "$DNS_OUT" '^blogint\.debugo\.fr\..*198\.18\.1\.10'
      expect_no_match "axfr: intra view's TSIG verifies" "$DNS_OUT" 'tsig verify failure|Transfer failed'
      dns hc-client 198.18.1.53 debugo.fr AXFR
      expect_match "axfr: extra view without a key ends with the SOA" "$DNS_OUT" 'IN[[:space:]]+SOA'
      expect_no_match "axfr: extra view has no blogint" "$DNS_OUT" '^blogint\.debugo\.fr\.'
    fi
    if [ "$scen" = key-views-wrong-key ]; then
      wrong=$(cat "$RUN/wrong-intra-key.key")
      expect_match "wrong-intra-key.key: a key of the same name" "$wrong" '^key "intra-key"'
      expect_ne "wrong-intra-key.key: another secret" "$wrong" "$key"
      dns hc-client 198.18.1.53 blogint.debugo.fr A -k "$RUN/wrong-intra-key.key"
      expect_match "direct: signed with the wrong key, named refuses the signature" "$DNS_OUT" 'NOTAUTH|BADSIG|tsig verify failure|expected a TSIG'
    fi
    hairpin_ok
    wan_ok
    ;;
  secondary-udp-dropped)
    # The secondary of secondary-wrong-view, with DNS over UDP dropped by its firewall: TCP answers.
    dns hc-client 198.18.1.63 debugo.fr SOA +norec
    expect_eq "secondary: no answer over UDP" "$DNS_STATUS" TIMEOUT
    dns hc-client 198.18.1.63 debugo.fr SOA +norec +tcp -k "$RUN/intra-key.key"
    sec_i=$(awk '!/^;/ && /IN[[:space:]]+SOA/ {print $7; exit}' <<<"$DNS_OUT")
    dns hc-client 198.18.1.63 debugo.fr SOA +norec +tcp
    sec_e=$(awk '!/^;/ && /IN[[:space:]]+SOA/ {print $7; exit}' <<<"$DNS_OUT")
    primary_i=$(awk '/; *serial/ {print $1; exit}' "$RUN/db.debugo.fr.intra")
    expect_eq "secondary: over TCP, intra's serial in both views" "$sec_i $sec_e" "$primary_i $primary_i"
    hairpin_ok
    wan_ok
    ;;
  secondary-wrong-view|secondary-ok|secondary-stale)
    # The secondary in hc-sec (198.18.1.63) serves debugo.fr in both views; the primary's intra view
    # is one serial ahead of extra's.
    primary_i=$(awk '/; *serial/ {print $1; exit}' "$RUN/db.debugo.fr.intra")
    primary_e=$(awk '/; *serial/ {print $1; exit}' "$RUN/db.debugo.fr.extra")
    expect_eq "primary: intra's serial one ahead of extra's" "$primary_i" $((primary_e + 1))
    dns hc-client 198.18.1.63 debugo.fr SOA +norec -k "$RUN/intra-key.key"
    sec_i=$(awk '!/^;/ && /IN[[:space:]]+SOA/ {print $7; exit}' <<<"$DNS_OUT")
    expect_match "secondary: the signed reply is authoritative" "$DNS_OUT" 'flags: qr aa'
    dns hc-client 198.18.1.63 debugo.fr SOA +norec
    sec_e=$(awk '!/^;/ && /IN[[:space:]]+SOA/ {print $7; exit}' <<<"$DNS_OUT")
    case $scen in
      secondary-wrong-view) want="$primary_i $primary_i" ;;
      secondary-ok) want="$primary_i $primary_e" ;;
      secondary-stale) want="$((primary_e - 1)) $primary_e" ;;
    esac
    expect_eq "secondary: serials served in intra (signed) and extra (unsigned)" "$sec_i $sec_e" "$want"
    hairpin_ok
    wan_ok
    ;;
  dnssec-split|dnssec-split-parent)
    dns hc-client 198.18.1.53 debugo.fr DNSKEY
    expect_eq "direct: view intra (address) has no DNSKEY" "$DNS_STATUS $DNS_ANSWER" "NOERROR "
    dns hc-wan 203.0.113.1 debugo.fr DNSKEY +dnssec
    expect_match "wan: view extra serves the DNSKEYs, signed" "$DNS_OUT" 'RRSIG[[:space:]]+DNSKEY'
    dns hc-client 198.51.100.53 debugo.fr DS +norec
    expect_match "root: the lab's root holds a DS for debugo.fr" "$DNS_OUT" 'debugo\.fr\.[[:space:]].*IN[[:space:]]+DS[[:space:]]+[0-9]+ 13 2 '
    dns hc-client 198.18.1.53 debugo.fr DS
    expect_match "direct: the internal resolver answers the DS question from the root" "$DNS_OUT" 'IN[[:space:]]+DS[[:space:]]+[0-9]+ 13 2 '
    hairpin_ok
    wan_ok
    ;;
  axfr-refused)
    dns hc-client 198.18.1.53 debugo.fr AXFR -k "$RUN/intra-key.key"
    expect_match "axfr: intra view signed with intra-key transfers" "$DNS_OUT" '^blogint\.debugo\.fr\..*198\.18\.1\.10'
    dns hc-client 198.18.1.53 debugo.fr AXFR
    expect_match "axfr: extra view refuses the transfer" "$DNS_OUT" 'Transfer failed'
    hairpin_ok
    wan_ok
    ;;
  key-views-extra-only)
    dns hc-client 198.18.1.53 www.debugo.fr A -k "$RUN/intra-key.key"
    expect_eq "direct: view intra (signed) has no www" "$DNS_STATUS" NXDOMAIN
    dns hc-client 198.18.1.53 www.debugo.fr A
    expect_eq "direct: view extra (unsigned) has www" "$DNS_STATUS" NOERROR
    ;;
  *)
    echo "FAIL: unknown scenario $scen"
    exit 1
    ;;
esac
finish
