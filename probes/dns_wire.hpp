#pragma once
// DNS protocol logic without I/O: query building, reply parsing and matching, TCP length framing.
// Everything here is a pure function over bytes, tested with short, split and hostile inputs.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/handles.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

using dns_bytes = std::vector<std::uint8_t>;

// The largest DNS message (and the largest length a TCP frame can announce).
inline constexpr std::size_t dns_max_message = 65535;
// The smallest DNS message: a bare 12-byte header.
inline constexpr std::size_t dns_header_size = 12;

// What a query asks: absolute name, type and class, and the query ID.
struct dns_question {
  std::string qname;           // absolute, any case
  std::uint16_t qtype = 1;     // A
  std::uint16_t qclass = 1;    // IN
  std::uint16_t id = 0;
};

// A 16-bit query ID from OpenSSL's CSPRNG (RAND_bytes): unpredictable from earlier IDs, different
// in every thread and in a forked child. Falls back to std::random_device should OpenSSL fail.
std::uint16_t random_dns_id();

// Why a presentation-form name cannot go into a query ("label longer than 63 octets", "name longer
// than 255 octets", "empty label"), or nullopt when it can. Escapes (\. \DDD) count as one octet.
std::optional<std::string> dns_name_problem(std::string_view name);

// The wire form of a query for q: RD as asked, EDNS0 OPT with edns_size when edns_size > 0
// (no OPT at all when 0). Empty optional when the name cannot be encoded.
std::optional<dns_bytes> build_dns_query(const dns_question& q, bool recursion_desired, std::uint16_t edns_size);

// The ldns name of a BIND TSIG algorithm ("hmac-sha256" → "hmac-sha256."), or nullopt when ldns
// cannot sign with it (hmac-sha224 and hmac-sha384 are not usable through ldns 1.8's TSIG API).
// Case-insensitive; a trailing dot and the long hmac-md5 name are accepted.
std::optional<std::string> tsig_algorithm_for_ldns(std::string_view bind_name);

// A query signed with a TSIG key: its wire form and the MAC of its TSIG, which the reply's MAC covers.
struct signed_query {
  dns_bytes wire;
  ldns_rdf_ptr mac;
};

// build_dns_query() with a TSIG RR (RFC 8945, fudge 300 s, the time now) signed with `key`. Nullopt
// when the name cannot be encoded or the key cannot sign; `error` then says why in words that
// never hold the secret ("algorithm hmac-sha384 is not supported", "the secret is not valid base64").
std::optional<signed_query> build_signed_query(const dns_question& q, bool recursion_desired, std::uint16_t edns_size,
                                               const tsig_key& key, std::string& error);

// Whether the reply `pkt` (parsed from `wire`) to a query signed with `key` (whose MAC is
// query_mac) is signed with that key and verifies: empty when it does, else the problem ("the
// reply is not signed", "TSIG error BADSIG", "the reply's TSIG does not verify", "signed with
// another key"). Names the key, never the secret. TSIG errors: 16 BADSIG, 17 BADKEY, 18 BADTIME.
std::string tsig_reply_problem(const ldns_pkt* pkt, std::span<const std::uint8_t> wire, const tsig_key& key,
                               const ldns_rdf* query_mac);

// "BADSIG", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", or "TSIG error N".
std::string tsig_error_name(int error);

// A parsed DNS message, or why it could not be parsed. Survives hostile input (ldns_wire2pkt
// bounds every read and every compression pointer).
struct dns_parse_result {
  ldns_pkt_ptr pkt;      // set on success
  std::string error;     // set on failure: "message too short", ldns's status text, ...
};
dns_parse_result parse_dns_message(std::span<const std::uint8_t> wire);

// Whether pkt answers q the way a careful resolver demands: QR set, same ID, exactly one question
// with the same name (ASCII case-insensitive), type and class.
bool dns_reply_matches(const ldns_pkt* pkt, const dns_question& q);

// The part of a dns_outcome a reply carries: rcode, AA, TC, answer, authority and additional in canonical
// record text (hc::canonical_rr), SOA serial from the answer or else the authority section.
void fill_dns_outcome(const ldns_pkt* pkt, dns_outcome& out);

// "NOERROR", "NXDOMAIN", ... ("RCODE17" when unknown).
std::string rcode_name(int rcode);

// A message prefixed by its 2-byte big-endian length (RFC 1035 4.2.2); empty optional when the
// message is longer than 65535 bytes.
std::optional<dns_bytes> tcp_frame(std::span<const std::uint8_t> message);

// Incremental decoder of 2-byte length-framed DNS messages: feed bytes as they arrive in any split,
// take complete messages out. A frame announcing fewer than 12 bytes (no room for a DNS header) is
// hostile and puts the decoder in a failed state for good.
class tcp_frame_decoder {
 public:
  // Appends received bytes; returns false once the stream is known to be bad.
  bool feed(std::span<const std::uint8_t> bytes);
  // The next complete message, if one has arrived.
  std::optional<dns_bytes> next();
  // The stream announced an impossible length.
  bool failed() const { return failed_; }
  std::string error() const { return error_; }
  // Bytes held that do not yet form a complete message.
  std::size_t pending() const { return buffer_.size(); }

 private:
  dns_bytes buffer_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace hc::probes
