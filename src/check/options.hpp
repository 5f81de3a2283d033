#pragma once
// What a run is asked to do: the parsed command line, independent of how it was parsed.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ip.hpp"
#include "core/range.hpp"

namespace hc::check {

struct run_options {
  std::vector<std::string> names;  // checked names, absolute lower case ("blog.debugo.fr.")
  bool all = false;                // every owner name of the checked zones, both views
  // --exclude: shell globs (fnmatch(3), flags 0) over canonical names, canonical themselves (lower
  // case, trailing dot): "*.internal.debugo.fr.". The CLI has removed the excluded explicit names;
  // the names --all finds are still to be filtered.
  std::vector<std::string> exclude;
  // --accept KIND[:NAME]: findings of a kind (its stable name, known to kind_from_name) to report as
  // accepted, for one canonical name or for every name when the second member is empty.
  std::vector<std::pair<std::string, std::string>> accept;

  std::string named_conf = "/etc/bind/named.conf";
  bool named_conf_given = false;  // -C given: a missing file is an error, not one-shot mode
  std::string internal_view;      // empty: inferred
  std::string external_view;      // empty: inferred
  std::optional<ip_address> source;
  // --tsig-key: BIND key files; their keys sign the DNS checks of views selected by them, and
  // take precedence over named.conf's key statements of the same name.
  std::vector<std::string> tsig_key_files;
  // --zones-from: where zone data comes from. files: the zone files named.conf names; axfr: a zone
  // transfer of each view's zones from dns_server (the files are not read); both: the files, and
  // every record compared with the transfer (stale-zone lists the records that differ).
  enum class zone_source { files, axfr, both };
  zone_source zones_from = zone_source::files;
  // --dns-server: the authoritative server to transfer from; empty: named.conf's listen-on address
  // (the first that is not "any"), else the resolver when it is the server, else 127.0.0.1.
  std::optional<ip_endpoint> dns_server;
  // --view NAME[=KEYFILE]: the views to transfer (all of named.conf's when none), each with the key
  // file that selects it (empty: from named.conf's key statements or --tsig-key, or by address).
  std::vector<std::pair<std::string, std::string>> transfer_views;
  // --secondary ADDR[#PORT]: secondaries asked for each view's SOA serial of the zones both views
  // serve, besides the zones' NS sets (port 53 when not given).
  std::vector<ip_endpoint> secondaries;
  std::string nat_rules;  // path, "-" for stdin, empty for none
  // --nat-format: auto (by content), iptables, nft-json, nft-text, openwrt or routeros (nat::parse_nat_format).
  std::string nat_format = "auto";
  // --unbound-config FILE: an OPNsense config.xml whose Unbound host overrides are the internal view
  // when there is no named.conf (zone/unbound_overrides.hpp); empty: none, unless --nat-rules is one.
  std::string unbound_config;
  bool static_only = false;

  std::optional<ip_endpoint> resolver;      // empty: first nameserver of resolv_conf
  std::string resolv_conf = "/etc/resolv.conf";
  std::vector<ip_endpoint> external_dns;    // empty: from the external view's NS glue
  // --root-hints: BIND hints file the one-shot walk of the public delegation starts from. The CLI
  // defaults it to /usr/share/dns/root.hints when that file exists; empty: no walk.
  std::string root_hints;
  std::vector<std::string> services;        // empty: inferred per name
  std::string ca_file;
  bool insecure = false;

  double timeout_s = 10;         // the whole run
  // The process exits after this run (the command line): the run's inputs are handed to
  // keep_until_exit() instead of being freed (core/keep_until_exit.hpp).
  bool exit_after = false;
  double probe_timeout_s = 0;    // one probe; 0: derived from the run's deadline
  unsigned concurrency = 64;     // probes in flight at once
  bool ipv4 = true;
  bool ipv6 = true;

  // Response time thresholds in seconds (-w/-c, Nagios ranges); unset: no slow-response finding.
  std::optional<nagios_range> warning, critical;
  // Certificate days-left thresholds.
  int cert_warn_days = default_cert_warn_days;
  int cert_crit_days = default_cert_crit_days;

  unsigned verbosity = 0;  // -v given this many times
};

}  // namespace hc::check
