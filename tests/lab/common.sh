# Shared by the lab tests: skipping, the lab command, probes run from inside the lab's namespaces, and
# assertions that count failures instead of stopping at the first one.
# shellcheck shell=bash disable=SC2034

HC_ROOT=${HC_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LAB=$HC_ROOT/scripts/lab
RUN=${HC_LAB_RUN:-$HC_ROOT/lab-run}
export HC_LAB_RUN=$RUN
SKIP=77
FAILS=0
CHECKS=0

# Exits 77 (ctest: skipped) with the reason when this machine cannot run the lab.
lab_require_support() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the lab needs root (network namespaces, iptables); running as uid $(id -u)"
    exit $SKIP
  fi
  if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: no 'ip netns' support on this machine"
    exit $SKIP
  fi
  local probe=hc-probe-$$
  if ! ip netns add "$probe" 2>/dev/null; then
    echo "SKIP: cannot create network namespaces here (ip netns add failed)"
    exit $SKIP
  fi
  ip netns del "$probe"
}

# As lab_require_support, then fails unless the lab is up (the lab_up fixture brings it up).
lab_require() {
  lab_require_support
  if ! ip netns list | awk '{print $1}' | grep -qx hc-router || [ ! -e "$RUN/.hc-lab" ]; then
    echo "FAIL: the lab is not up (the lab_up fixture should have run 'scripts/lab up')"
    exit 1
  fi
}

ok() { CHECKS=$((CHECKS + 1)); printf 'ok    %s\n' "$*"; }
bad() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); printf 'FAIL  %s\n' "$*"; }

# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', expected '$3'"; fi
}
# expect_ne DESCRIPTION ACTUAL UNEXPECTED
expect_ne() {
  if [ "$2" != "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', expected anything else"; fi
}
# expect_match DESCRIPTION TEXT REGEX
expect_match() {
  if grep -Eq -- "$3" <<<"$2"; then ok "$1"; else bad "$1: no match for /$3/ in: $(head -c 300 <<<"$2")"; fi
}
expect_no_match() {
  if ! grep -Eq -- "$3" <<<"$2"; then ok "$1"; else bad "$1: unexpected match for /$3/"; fi
}

# Prints the summary and exits 0 when every check passed.
finish() {
  echo "$CHECKS checks, $FAILS failed"
  [ "$FAILS" -eq 0 ]
  exit $?
}

# dns NS SERVER NAME [TYPE] [DIG-OPTION...]: one query, one try, 1 s. Sets DNS_STATUS (NOERROR,
# NXDOMAIN, ..., or TIMEOUT / CONN-REFUSED when no reply came), DNS_ANSWER (the answer's data, one
# record a line, sorted) and DNS_OUT (dig's whole output).
dns() {
  local ns=$1 server=$2 name=$3 type=${4:-A}
  shift 3
  [ $# -gt 0 ] && shift
  DNS_OUT=$("$LAB" exec "$ns" dig +time=1 +tries=1 +nocookie "@$server" "$name" "$type" "$@" 2>&1)
  local rc=$?
  DNS_STATUS=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$DNS_OUT" | head -n1)
  if [ -z "$DNS_STATUS" ]; then
    if grep -q 'connection refused' <<<"$DNS_OUT"; then DNS_STATUS=CONN-REFUSED
    elif [ $rc -eq 9 ] || grep -q 'timed out' <<<"$DNS_OUT"; then DNS_STATUS=TIMEOUT
    else DNS_STATUS="ERROR($rc)"; fi
  fi
  DNS_ANSWER=$(awk '/^;; ANSWER SECTION:/ {a = 1; next} /^$/ {a = 0} a && !/^;/ {print $NF}' <<<"$DNS_OUT" | sort | paste -sd' ')
}

# https NS ADDR [PORT] [SCHEME]: GET blog.debugo.fr at ADDR, verified against the lab CA, 3 s at most.
# Sets HTTP_RC (curl's exit status: 0, 7 refused, 28 timeout, 60 certificate), HTTP_CLIENT (the
# X-Client-Address header: the address the server saw) and HTTP_BACKEND (X-Backend: web or web2).
https() {
  local ns=$1 addr=$2 port=${3:-443} scheme=${4:-https}
  shift 4 2>/dev/null || shift $#
  local hdr
  hdr=$("$LAB" exec "$ns" curl -sS --max-time 3 -o /dev/null -D - --cacert "$RUN/ca.pem" "$@" \
    --resolve "blog.debugo.fr:$port:$addr" "$scheme://blog.debugo.fr:$port/" 2>/dev/null)
  HTTP_RC=$?
  HTTP_CLIENT=$(tr -d '\r' <<<"$hdr" | sed -n 's/^X-Client-Address: //Ip')
  HTTP_BACKEND=$(tr -d '\r' <<<"$hdr" | sed -n 's/^X-Backend: //Ip')
}

# Prints the SHA-256 fingerprint of the certificate served at ADDR:443 for blog.debugo.fr.
https_fingerprint() {
  "$LAB" exec "$1" timeout 4 openssl s_client -connect "$2:443" -servername blog.debugo.fr </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
https_subject() {
  "$LAB" exec "$1" timeout 4 openssl s_client -connect "$2:443" -servername blog.debugo.fr </dev/null 2>/dev/null |
    openssl x509 -noout -subject 2>/dev/null
}

# smtp_starttls NS ADDR: SMTP on 25, STARTTLS, certificate verified for mail.debugo.fr, QUIT answered 221.
# Sets TLS_RC (0 when all of that worked) and TLS_OUT.
smtp_starttls() {
  TLS_OUT=$(printf 'QUIT\r\n' | "$LAB" exec "$1" timeout 4 openssl s_client -ign_eof -starttls smtp -connect "$2:25" \
    -servername mail.debugo.fr -verify_return_error -CAfile "$RUN/ca.pem" -verify_hostname mail.debugo.fr 2>&1)
  TLS_RC=$?
  if [ $TLS_RC -eq 0 ] && ! grep -q '^221' <<<"$TLS_OUT"; then TLS_RC=99; fi
}

# imaps NS ADDR: TLS on 993, certificate verified for imap.debugo.fr, IMAP greeting `* OK`, LOGOUT.
# Sets TLS_RC (0 when all of that worked) and TLS_OUT.
imaps() {
  TLS_OUT=$(printf 'a LOGOUT\r\n' | "$LAB" exec "$1" timeout 4 openssl s_client -ign_eof -connect "$2:993" \
    -servername imap.debugo.fr -verify_return_error -CAfile "$RUN/ca.pem" -verify_hostname imap.debugo.fr 2>&1)
  TLS_RC=$?
  if [ $TLS_RC -eq 0 ] && ! grep -q '^\* OK' <<<"$TLS_OUT"; then TLS_RC=99; fi
}

# dns_source NS SERVER NAME: one UDP query from an unconnected socket (dig's socket is connected and
# silently drops a reply from another address). Sets SRC_RC (0 reply from SERVER, 2 only from other
# addresses, 1 none) and SRC_OUT ("reply from ADDR#PORT ..." lines).
dns_source() {
  SRC_OUT=$("$LAB" exec "$1" python3 "$HC_ROOT/tests/lab/dns_source.py" "$2" "$3" 1.5 2>&1)
  SRC_RC=$?
}
