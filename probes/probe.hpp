#pragma once
// What every probe takes and returns. Probes are coroutines on one io_context; the caller owns the
// whole-run deadline and the common measurements, each probe adds only its own (blackbox_exporter style).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/ip.hpp"
#include "core/result.hpp"

namespace hc::probes {

using clock = std::chrono::steady_clock;

// Shared by all probes of a run: the event loop and the TLS trust settings. The deadlines are the
// caller's: each request carries its own.
struct probe_context {
  asio::any_io_executor executor;
  std::string ca_file;                     // empty: the system store
  bool insecure = false;                   // only --insecure turns TLS verification off
  std::optional<ip_address> source;        // bind to this local address when set
};

// A TSIG key (RFC 8945) a DNS query is signed with. The secret (base64, as BIND writes it) never
// goes into a result, a detail, a log or an error: only the name does.
struct tsig_key {
  std::string name;       // the key's name as written ("intra-key"), compared case-insensitively
  std::string algorithm;  // BIND's name: hmac-sha256 (default), hmac-sha1, hmac-sha224, hmac-sha384, hmac-sha512, hmac-md5
  std::string secret;     // base64
};

// One probe to carry out.
struct probe_request {
  std::string name;     // the checked DNS name; SNI, Host and the name certificates must carry
  std::string service;  // "dns/udp", "dns/tcp", "https", "http", "smtp", "imaps", "tcp/PORT"
  std::string path;     // "hairpin", "direct", "resolver"
  ip_endpoint target;
  // When this probe gives up. The caller computes it once (execute(): min(start + the probe
  // timeout, the run's deadline)); the probe never recomputes, extends or caps it, and every wait
  // and read loop of the probe ends at it. time_point{} (unset) is an internal error.
  clock::time_point deadline;

  // DNS
  std::string qname;          // absolute, with trailing dot
  std::uint16_t qtype = 1;    // A
  bool recursion_desired = false;
  std::uint16_t edns_size = 1232;  // 0: no EDNS
  // Sign the query with this key and demand a reply signed with it (verified); a reply that is
  // unsigned, does not verify or carries a TSIG error is the failure tsig-bad.
  std::optional<tsig_key> tsig;

  // HTTP(S)
  std::string url_path = "/";
  std::vector<int> expected_status;  // empty: 200-399
};

// What a DNS exchange showed, apart from whether the transport worked.
struct dns_outcome {
  std::optional<ip_endpoint> responder;           // who gave the accepted reply
  std::vector<ip_endpoint> unexpected_sources;    // well-formed replies to our query (QR=1, our ID and
                                                  // question) from other addresses than the one asked
  unsigned mismatched = 0;                        // replies with a wrong ID or question, dropped
  unsigned stray_ignored = 0;                     // datagrams from other addresses that are no reply
                                                  // to our query (not DNS, wrong ID or question), ignored
  int rcode = -1;
  bool aa = false;
  bool tc = false;                                // the UDP answer was truncated
  bool tcp_fallback = false;                      // the answer was fetched again over TCP
  std::vector<std::string> answer;                // answer RRs, canonical presentation form
  std::vector<std::string> authority;
  std::vector<std::string> additional;            // glue and the like (no OPT, no TSIG)
  std::optional<std::uint32_t> soa_serial;        // from an SOA in answer or authority
  std::string tsig_key_name;                      // the key the query was signed with; empty: unsigned
  bool tsig_verified = false;                     // the reply's TSIG verified with that key
};

// What a TLS peer showed.
struct tls_outcome {
  std::string fingerprint_sha256;  // of the leaf certificate, hex
  std::string subject;
  std::vector<std::string> names;  // subjectAltName DNS names
  std::optional<std::int64_t> not_after;  // unix time
  bool verified = false;
  std::string verify_error;
};

// A probe's outcome: the check line for the report, the failure kind when it failed, and evidence.
struct probe_result {
  check_result check;         // name, service, path, address, port, ok, stage, duration, detail, phases
  std::optional<finding_kind> failure;  // the live finding kind when the probe failed (timeout, refused, ...)
  std::string hint;           // what to do about it
  std::optional<dns_outcome> dns;
  std::optional<tls_outcome> tls;
  std::string banner;         // SMTP 220 line / IMAP greeting / HTTP Server header
  int http_status = 0;
  std::map<std::string, std::string> facts;  // anything else worth comparing between paths
};

using probe_fn = std::function<asio::awaitable<probe_result>(const probe_context&, const probe_request&)>;

// Name-to-probe table: "dns/udp", "dns/tcp", "https", "http", "smtp", "imaps", "tcp".
const std::map<std::string, probe_fn>& registry();

// The probe for a service string ("tcp/8080" → the "tcp" probe), or nullptr.
const probe_fn* find_probe(const std::string& service);

}  // namespace hc::probes
