# Shared by scripts/test, scripts/demo and scripts/lab: package installation and the build.
# shellcheck shell=bash

HC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HC_BUILD=${HC_BUILD:-$HC_ROOT/build}

# What building and testing need, all from Debian 12.
HC_BUILD_PACKAGES=(
  g++ cmake make pkg-config time
  libldns-dev ldnsutils libboost-dev libfmt-dev doctest-dev
  libcli11-dev nlohmann-json3-dev libssl-dev
)
# What the lab and the integration tests run: real servers and real tools.
HC_LAB_PACKAGES=(
  iproute2 iptables nftables conntrack procps psmisc curl openssl ca-certificates python3
  bind9 bind9-utils bind9-dnsutils nginx-light postfix dovecot-imapd
  prometheus prometheus-node-exporter monitoring-plugins-basic monitoring-plugins-standard liburiparser1 nagios4-core
  systemd icinga2-bin
)

hc_log() { printf '==> %s\n' "$*" >&2; }

# Installs the packages that are missing, without starting their services on this host.
hc_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    return 1
  fi
  hc_log "installing ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  local rc=$?
  [ "$created" = 1 ] && rm -f "$policy"
  return $rc
}

# Configures and builds into $HC_BUILD with two jobs.
hc_build() {
  cmake -S "$HC_ROOT" -B "$HC_BUILD" -DCMAKE_BUILD_TYPE="${HC_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null &&
    cmake --build "$HC_BUILD" -j2
}
