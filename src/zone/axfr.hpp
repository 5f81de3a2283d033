#pragma once
// Zone data by AXFR (RFC 5936) over TCP, optionally signed and verified with a view's TSIG key
// (RFC 8945): the records land in the same zone_data the zone file readers fill, so the view diff
// and every static check run unchanged on a transferred zone.
//
// The protocol logic (axfr_reader) does no I/O: it takes the reply messages one by one and checks
// each (ID, QR, rcode, question, TSIG chained over the messages, SOA first and last, the limits).
// transfer_zone adds the I/O: one TCP connection, every wait bounded by the caller's deadline.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/handles.hpp"
#include "core/ip.hpp"
#include "probes/probe.hpp"
#include "zone/zone.hpp"

namespace hc::zone {

// How a transfer ended.
enum class axfr_status {
  ok,         // the whole zone, SOA to SOA, every message verified when signed
  refused,    // the server would not transfer (REFUSED, NOTIMP, SERVFAIL, ...): not-checked
  tsig_bad,   // the key was rejected (NOTAUTH, BADKEY/BADSIG/BADTIME) or a reply did not verify
  failed,     // anything else (connection, deadline, malformed or truncated stream, limits): not-checked
};

// The bounds of one transfer: the same as a zone file's (core/input_file.hpp, docs/reliability.md).
struct axfr_limits {
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  // every message of the stream, summed (HC_MAX_FILE_BYTES)
  std::uint64_t max_records = std::uint64_t{1} << 24;  // records received (HC_MAX_AXFR_RECORDS)
  // The limits of the environment (input_limits::current() and HC_MAX_AXFR_RECORDS).
  static axfr_limits current();
};

// One zone to transfer.
struct axfr_request {
  std::string zone;                     // any case, trailing dot optional
  std::string view;                     // only for messages ("" when unknown)
  ip_endpoint server;
  // Send from this address (the one the view was chosen for); unset: the kernel's choice.
  std::optional<ip_address> source;
  std::optional<probes::tsig_key> key;  // sign the query, demand every reply message signed with it
  std::chrono::steady_clock::time_point deadline;
  axfr_limits limits;
};

// What a transfer gave.
struct axfr_result {
  axfr_status status = axfr_status::failed;
  // Why it is not ok, naming server, zone, view and key (never the secret).
  std::string error;
  std::unique_ptr<zone_data> data;  // set only when ok
  std::uint64_t bytes = 0;          // message bytes received
  std::uint64_t messages = 0;
};

// The reply side of one AXFR, message by message (pure: no I/O).
class axfr_reader {
 public:
  enum class step { more, done, failed };
  // query_mac: the MAC of the signed query (required when key is set).
  axfr_reader(const axfr_request& request, std::uint16_t query_id, ldns_rdf_ptr query_mac);
  // Takes the next reply message (without its TCP length). After done or failed, nothing more is taken.
  step feed(std::span<const std::uint8_t> message);
  // Ends the stream: the result (failed when the closing SOA has not arrived).
  axfr_result finish();
  // Marks the transfer failed with a reason (connection lost, deadline) unless it is done.
  void fail(axfr_status status, std::string reason);
  // Messages taken so far.
  std::uint64_t messages() const { return result_.messages; }

 private:
  step bad(axfr_status status, std::string reason);
  std::string who() const;

  const axfr_request& request_;
  std::string origin_;
  std::uint16_t id_;
  ldns_rdf_ptr mac_;  // the MAC the next signed message covers
  zone_builder builder_;
  axfr_result result_;
  std::optional<std::string> first_soa_;  // canonical rdata of the opening SOA
  std::uint64_t records_ = 0;
  bool done_ = false, failed_ = false;
};

// "AXFR of debugo.fr. from 198.18.1.53#53 (view intra, TSIG key intra-key)": how messages name a transfer.
std::string describe_transfer(const axfr_request& request);

// Transfers request.zone from request.server over TCP: connect, send the (signed) query, read the
// framed replies into an axfr_reader. Never waits past request.deadline. Never throws.
axfr_result transfer_zone(const axfr_request& request);

// The zone that holds a name on a server, found by an SOA query over TCP (signed with key when set):
// the owner of the SOA in the answer or the authority section.
struct zone_lookup {
  axfr_status status = axfr_status::failed;  // ok, refused, tsig_bad or failed as for a transfer
  std::string zone;                          // canonical ("debugo.fr."), set when ok
  std::string error;                         // names the name, server, view and key when not ok
};
zone_lookup find_zone(const ip_endpoint& server, const std::string& name, const std::string& view,
                      const std::optional<probes::tsig_key>& key, std::chrono::steady_clock::time_point deadline,
                      const std::optional<ip_address>& source = std::nullopt);

}  // namespace hc::zone
