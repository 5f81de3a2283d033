#pragma once
// Pure validation of a live DNS probe: turns a probe_result and what the zone files say into
// contract findings (wrong-answer, view-leak, stale-zone, and the transport failures
// unexpected-source, timeout, refused, reset, truncated-no-tcp). No I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip.hpp"
#include "core/result.hpp"
#include "probes/probe.hpp"

namespace hc::check {

// What the zone files say a DNS probe should have seen.
struct dns_expectation {
  std::string zone;   // the zone the name belongs to ("debugo.fr" or "debugo.fr.")
  std::string view;   // the view that should answer (the external one through the hairpin)
  std::uint16_t qtype = 1;
  // Answer RRs of `view`'s zone file for the question, canonical texts (hc::canonical_rr); for a
  // CNAME the chain's records within the zone.
  std::vector<std::string> expected_answer;
  int expected_rcode = 0;  // 0 NOERROR, 3 NXDOMAIN
  // The same question answered from the other view's zone file; view-leak is decided only when
  // this is set and differs from the expected answer (or rcode).
  std::optional<std::vector<std::string>> other_view_answer;
  int other_view_rcode = 0;
  std::string other_view;  // its name, for the evidence ("intra")
  // The serial of `view`'s zone file; stale-zone needs it and a served SOA.
  std::optional<std::uint32_t> file_serial;
  // For the SNAT fix of unexpected-source: the LAN the vantage point sits in and the internal
  // address of the DNS server (defaults to the address the stray reply came from).
  std::optional<ip_prefix> lan_prefix;
  std::optional<ip_address> internal_address;
};

// The findings one DNS probe result yields against its expectation: a transport failure gives
// exactly its own finding; otherwise view-leak, else wrong-answer, plus stale-zone. A result that
// failed without a kind (an internal error) yields not-checked: never nothing, never the server's fault.
std::vector<finding> validate_dns(const probes::probe_result& result, const dns_expectation& expect);

// Copies zone, view and the zone file's serial into the check line of a DNS probe.
void annotate_dns_check(check_result& check, const dns_expectation& expect);

// The records of `records` (canonical texts) whose owner lies in `zone`, sorted, without duplicates.
std::vector<std::string> in_zone_records(const std::vector<std::string>& records, const std::string& zone);

}  // namespace hc::check
