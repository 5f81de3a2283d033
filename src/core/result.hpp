#pragma once
// The one result model every layer fills and every output writer reads (docs/json-schema.md).

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/kinds.hpp"

namespace hc {

// "ok", "info", "warning", "critical", "unknown".
const char* to_string(severity s);
// "OK", "WARNING", "CRITICAL", "UNKNOWN" (info maps to OK).
const char* status_name(severity s);
// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
int exit_code(severity s);

// One fault, with a stable kind from the contract. Empty strings are omitted from JSON.
struct finding {
  finding_kind kind = finding_kind::config_error;
  severity sev = severity::info;
  std::string name;
  std::string zone;
  std::string view;
  std::string type;     // RR type: "A", "MX", ...
  std::string service;  // "dns/udp", "dns/tcp", "https", "smtp", "imaps", "tcp/8080"
  std::string path;     // "hairpin", "direct", "resolver"
  std::string address;  // the address the check went to, when there is one
  std::string evidence;
  std::string fix;
  bool accepted = false;  // --accept KIND[:NAME]: reported as info, saying what it was
  // One cause explaining many names (a missing target, a DNAT without loopback SNAT): count is the
  // number of names it affects and names lists them (every one in JSON, the first few elsewhere).
  // count 0 means a finding about `name` alone; JSON then omits both fields.
  std::size_t count = 0;
  std::vector<std::string> names;
};

// A finding kept as a compact fact: what it is about as references into the data it came from (the
// loaded zones, kept alive by its renderer), 16 bytes instead of a `finding` of ten strings. The
// bulk kinds of real zones (every split name) are kept this way; a writer renders the evidence and
// fix of the ones it prints (compact_findings::render). Everything else stays a `finding`.
struct compact_finding {
  std::uint32_t source = 0;  // what the renderer knows it by (the view diff: a pair of zones)
  std::uint32_t a = 0;       // the view diff: the owner's index in the internal view's zone
  std::uint32_t b = 0;       // and in the external view's zone
  std::uint16_t type = 0;    // RR type code
  finding_kind kind = finding_kind::split;
  std::uint8_t sev : 4 = static_cast<std::uint8_t>(severity::info);  // severity as found
  std::uint8_t accepted : 1 = 0;                                      // --accept (see finding::accepted)

  severity found_severity() const { return static_cast<severity>(sev); }
  // Reported severity: an accepted finding is reported as info.
  severity reported_severity() const { return accepted ? std::min(found_severity(), severity::info) : found_severity(); }
};

// Renders compact facts into findings; holds what they refer to.
class compact_renderer {
 public:
  virtual ~compact_renderer() = default;
  // The finding `c` stands for, as found (severity as found, not accepted): into `out`, reusing its
  // strings' storage.
  virtual void render(const compact_finding& c, finding& out) const = 0;
  // finding::name and finding::zone of the finding `c` stands for, without allocating (for sorting
  // and filtering hundreds of thousands of them).
  virtual std::string_view name_of(const compact_finding& c) const = 0;
  virtual std::string_view zone_of(const compact_finding& c) const = 0;
};

struct compact_findings {
  std::vector<compact_finding> facts;
  std::shared_ptr<const compact_renderer> renderer;  // set when facts is not empty

  // The finding facts[i] stands for, as reported (--accept applied): into `out`.
  void render(std::size_t i, finding& out) const;
  finding at(std::size_t i) const;
};

// Duration of one phase of a check ("resolve", "connect", "tls", "request", "processing").
struct phase_time {
  std::string phase;
  double seconds = 0;
};

// One probe carried out from the vantage point.
struct check_result {
  std::string name;
  // The RR type asked ("A", "AAAA", "SOA", ...) for a DNS check; for a service check, the address
  // record its target came from ("A" for an IPv4 target, "AAAA" for IPv6). Part of the check's
  // identity: two checks that differ only by type are two checks in every output.
  std::string type;
  std::string service;  // as in finding::service
  std::string path;     // "hairpin", "direct", "resolver"
  std::string address;
  std::uint16_t port = 0;
  bool ok = false;
  std::string stage;  // "done" when it got through; else the stage that failed
  double duration_s = 0;
  std::string detail;
  std::vector<phase_time> phases;
  std::optional<std::int64_t> cert_not_after;  // unix time, for TLS services
  std::optional<int> http_status;              // HTTP(S) checks: the status code received
  std::string tls_version;                     // TLS services: the negotiated version ("TLSv1.3"), when known
  std::optional<int> dns_rcode;                // DNS checks that got a reply: its RCODE
  std::optional<std::size_t> dns_answer_rrs;   // and the number of records in its answer section
  std::optional<std::uint32_t> served_serial;  // SOA serial served, for DNS checks
  std::optional<std::uint32_t> file_serial;    // SOA serial of the zone file of that view
  std::string zone;                            // the zone of a DNS check
  std::string view;                            // the view expected to answer
};

// A zone as one view serves it.
struct zone_summary {
  std::string name;
  std::string type;  // BIND's type, master→primary, slave→secondary
  std::string file;  // resolved path, empty when the zone has none
  std::optional<std::size_t> records;
  std::optional<std::uint32_t> serial;
};

struct view_summary {
  std::string name;
  std::vector<std::string> match_clients;  // element texts as written, "!" kept
  std::vector<zone_summary> zones;
};

struct vantage_info {
  std::string source;
  std::string internal_view;
  std::string external_view;
};

// Everything a run produced.
struct run_result {
  vantage_info vantage;
  std::vector<view_summary> views;
  std::vector<check_result> checks;
  std::vector<finding> findings;
  // More findings, kept as compact facts (the view diff's split names): every writer reports them
  // with `findings`, in report order (for_each_finding). Empty unless the runner made them.
  compact_findings compact;
  std::vector<std::string> notes;  // checks that could not be done, and why
  double duration_s = 0;
  std::int64_t finished_at = 0;  // unix time

  // Worst severity of the findings (ok when there are none).
  severity status() const;
  // The number of findings, compact ones included.
  std::size_t finding_count() const { return findings.size() + compact.facts.size(); }
};

// The order findings are reported in: worst severity first, then by kind name, then name, zone,
// view, type, service, path, address, evidence.
bool report_order(const finding& a, const finding& b);

// Calls fn(const finding&) for every finding of the run, compact ones rendered: `findings` in their
// order, the compact facts (kept in report order by the runner) merged in by report_order. Each
// compact one is rendered into one reused finding, valid only during the call.
template <class Fn>
void for_each_finding(const run_result& r, Fn fn) {
  if (r.compact.facts.empty()) {
    for (const auto& f : r.findings) fn(f);
    return;
  }
  finding scratch;
  std::size_t i = 0, k = 0;
  bool rendered = false;
  const std::size_t nf = r.findings.size(), nc = r.compact.facts.size();
  while (i < nf || k < nc) {
    if (k < nc && !rendered) {
      r.compact.render(k, scratch);
      rendered = true;
    }
    if (k >= nc || (i < nf && !report_order(scratch, r.findings[i]))) {
      fn(r.findings[i++]);
    } else {
      fn(static_cast<const finding&>(scratch));
      ++k;
      rendered = false;
    }
  }
}

// Sorts findings stably by `less`, moving each finding once: the order is found on indices, then
// the findings are permuted in place. A run can hold hundreds of thousands of findings (every split
// name of real zones), and moving them around in a comparison sort cost more than comparing them.
template <class Less>
void sort_findings(std::vector<finding>& fs, Less less) {
  if (std::is_sorted(fs.begin(), fs.end(), less)) return;
  std::vector<std::size_t> order(fs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return less(fs[a], fs[b]); });
  // order[k] is the index of the finding that goes to position k: follow each cycle once.
  for (std::size_t start = 0; start < order.size(); ++start) {
    if (order[start] == start) continue;
    finding held = std::move(fs[start]);
    std::size_t at = start;
    while (order[at] != start) {
      const std::size_t from = order[at];
      fs[at] = std::move(fs[from]);
      order[at] = at;
      at = from;
    }
    fs[at] = std::move(held);
    order[at] = at;
  }
}

}  // namespace hc
