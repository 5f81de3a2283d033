#pragma once
// The plan of a live run: which probes to send from the vantage point, and what each should see.
// Pure: built from the configuration model, the zones and the NAT rules, without any I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bind/config.hpp"
#include "check/dns_validate.hpp"
#include "check/options.hpp"
#include "nat/nat.hpp"
#include "probes/probe.hpp"
#include "zone/zone.hpp"

namespace hc::check {

// A secondary asked for one view's SOA serial of a zone both views serve: what the primary's zone
// data says each view's serial is, and how the views are selected (for the evidence and the fix).
struct secondary_ask {
  std::string server;      // who the secondary is: its NS name, or "--secondary ADDR#PORT"
  std::string zone;        // the zone's origin, canonical
  std::string view;        // the view asked
  std::string other_view;  // the zone's other view
  std::optional<std::uint32_t> view_serial;   // the primary's serial of the zone in `view`
  std::optional<std::uint32_t> other_serial;  // and in `other_view`
  std::string key_name;        // the TSIG key that selects `view` (empty: selected by address)
  std::string other_key_name;  // the one that selects `other_view`
};

// One DNS probe and the zone files' expectation for it.
struct dns_probe_plan {
  probes::probe_request request;
  dns_expectation expect;
  bool soa_gate = false;      // an SOA question whose failure stands for every question to that server
  std::string gate_key;       // "address#port/transport": the gate that name probes wait for
  // Already carried out while the plan was made (one-shot discovery asks the resolver and the
  // external DNS before it knows which services to probe): judged like the others, not sent again.
  std::optional<probes::probe_result> done;
  // Without zone files (one-shot): only the transport and the existence of the name are judged.
  bool answers_unknown = false;
  // Set: a secondary's SOA serial for one view, judged against both views' serials (secondaries.hpp).
  std::optional<secondary_ask> secondary;
};

// One service on one path (hairpin or direct) for one name.
struct service_probe_plan {
  probes::probe_request request;
  std::string pair_key;  // name|service: the hairpin and direct probes of one service share it
};

// A service to predict with the NAT rules: the flows the service probes send through the router.
struct nat_flow_plan {
  nat::service_check service;
  std::string service_name;  // "https", "dns/udp", ...
};

struct plan {
  std::vector<dns_probe_plan> dns;
  std::vector<service_probe_plan> services;
  std::vector<nat_flow_plan> nat_flows;
  std::vector<std::string> notes;  // what could not be planned, and why
  std::vector<finding> findings;   // what planning itself found (one-shot: names that do not exist, ...)

  // Appends another plan's probes, flows, notes and findings.
  void append(plan&& other);
};

// How the DNS checks that must reach one view get there: unsigned, or signed with the TSIG key
// that selects it (the vantage point's own address does not reach it).
struct view_signing {
  std::string key_name;                 // empty: no key needed, the queries go unsigned
  std::optional<probes::tsig_key> key;  // the key to sign with; unset while key_name is set: secret unknown
  std::string missing;                  // then why, and what to give, for the not-checked findings
};

// Everything the planner reads.
struct plan_inputs {
  const run_options* options = nullptr;
  const bind::config* config = nullptr;        // null: no BIND configuration (one-shot mode)
  const zone::zone_set* zones = nullptr;
  const bind::view_decl* internal = nullptr;
  const bind::view_decl* external = nullptr;
  const nat::ruleset* nat = nullptr;           // null: no NAT rules given
  std::optional<ip_endpoint> resolver;
  std::vector<ip_prefix> lan;                  // the vantage point's LAN, for fixes
  std::vector<std::string> names;              // checked names, canonical
  bool flows_only = false;                     // --static: only the NAT flows, no probes
  view_signing internal_signing;               // the DNS checks of the internal view (resolver, direct)
  view_signing external_signing;               // those of the external view (hairpin)
  std::optional<ip_address> source;            // the vantage point's address: which view it reaches unsigned
};

// The names --all checks: every owner name of the zones the two views share, in both views.
std::vector<std::string> all_names(const zone::zone_set& zones, const bind::view_decl& internal,
                                   const bind::view_decl& external);

// Builds the probes for the checked names.
plan make_plan(const plan_inputs& in);

// The answer a view's zone file gives for (qname, qtype), as canonical record texts: the RRset, or
// the CNAME chain inside the zone followed by the target's RRset. rcode 3 when the name does not exist.
struct zone_answer {
  std::vector<std::string> records;
  int rcode = 0;
  bool known = false;  // false: no zone of that view holds the name
};
zone_answer answer_from_zone(const zone::zone_set& zones, const std::string& view, const std::string& qname,
                             std::uint16_t qtype);

// The addresses (A and AAAA, following CNAMEs in the view's zones) a view publishes for a name.
std::vector<ip_address> addresses_of(const zone::zone_set& zones, const std::string& view,
                                     const std::string& qname);

}  // namespace hc::check
