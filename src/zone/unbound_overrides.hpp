#pragma once
// OPNsense's Unbound DNS as the internal view when there is no named.conf: the host overrides of an
// OPNsense config.xml (`<OPNsense><unboundplus>`: Services > Unbound DNS > Overrides) read into the
// same model a BIND configuration gives, a synthetic configuration with a view `unbound` whose
// zones hold the overrides, so that the one pipeline (plan, view checks, live comparison) runs on
// them. The public side has no zone data: it comes from the public delegation (one-shot answers).
//
// What OPNsense makes of the overrides (its templates host_entries.conf, private_domains.conf,
// dot.conf): every enabled host override and each enabled alias of it is a `local-data` record
// ("host.domain IN A 198.18.1.10"; MX: "IN MX prio target"); hostname `*` makes a `redirect`
// local-zone of the domain; names at or below the system domain (<system><domain>) fall into the
// local-zone of that domain, whose type is the "Local Zone Type" setting (default transparent),
// others get Unbound's implicit transparent local-zone of their own. Forwarded domains (legacy
// <domains><domain>, newer <dots><dot> of type forward) become forward-zones.
//
// Input is untrusted: names are checked as DNS names, addresses parsed, the number of overrides
// bounded (max_overrides); an error names file:line:col and at most the offending token.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bind/config.hpp"
#include "core/diagnostics.hpp"
#include "core/ip.hpp"
#include "core/result.hpp"
#include "core/xml.hpp"
#include "zone/zone.hpp"

namespace hc::zone {

// One host override (or an alias of one, which shares its record): an owner name and its record.
struct unbound_host {
  bool enabled = true;
  bool alias = false;        // from <aliases><alias>, pointing at a host override
  std::string hostname;      // as written; empty: the domain itself; "*": every name below the domain
  std::string domain;        // as written
  std::string owner;         // canonical ("nas.home.arpa."); for "*": the domain
  std::string rr = "A";      // A, AAAA or MX
  std::optional<ip_address> address;  // A/AAAA
  unsigned mx_priority = 0;  // MX
  std::string mx;            // MX target, canonical
  std::string description;
  source_location where;     // the <host> (or <alias>) element
};

// A forwarded domain: Unbound asks `server` for every name at or below it.
struct unbound_forward {
  std::string domain;  // canonical
  std::string server;  // as written (address)
  bool legacy = false; // <domains><domain> (OPNsense adds it to private-domain itself) rather than <dots>
  source_location where;
};

struct unbound_overrides {
  std::string file;
  bool enabled = true;                // <general><enabled>; absent counts as enabled
  std::string system_domain;          // canonical, empty when none
  std::string local_zone_type = "transparent";  // of the system domain's local-zone
  bool rebind_check = true;           // DNS rebind protection: <system><webgui><nodnsrebindcheck> absent
  std::vector<ip_prefix> private_addresses;  // private-address: stripped from answers of upstream servers
  std::vector<std::string> private_domains;  // canonical: exempt from the stripping
  std::vector<unbound_host> hosts;    // in file order, aliases after the host they point at; disabled kept
  std::vector<unbound_forward> forwards;     // enabled ones only
};

// The bound on host overrides and aliases read from one file.
inline constexpr std::size_t max_overrides = 65536;

// The OPNsense default of Unbound's private-address list (Unbound model, advanced.privateaddress).
std::vector<ip_prefix> opnsense_default_private_addresses();

// Is `text` an OPNsense config.xml (root element <opnsense>)?
bool is_opnsense_config(std::string_view text);

// Reads the Unbound settings of an OPNsense config.xml whose root element is `root`. Errors (a
// host override whose name or address cannot be used) go to diags with file:line:col; the
// override is skipped, the rest is read.
unbound_overrides read_unbound(const xml::node& root, const std::string& file, diagnostics& diags);

// Reads `path` (bounded as every input) and then as read_unbound. Throws input_error when the file
// cannot be read, is not XML, or is not an OPNsense config.xml.
unbound_overrides read_unbound_file(const std::string& path, diagnostics& diags);

// The name of the synthetic internal view, and of the public one that holds no zone data.
inline constexpr const char* unbound_view = "unbound";
inline constexpr const char* public_view = "public";

// The synthetic configuration: view `unbound` (match-clients: the private and local networks,
// where OPNsense's LAN clients are) with one primary zone per enabled override name, then view
// `public` (any) without zones. `file` of the config is the config.xml.
bind::config synthetic_config(const unbound_overrides& u);

// The zone data of the synthetic configuration's zones (view `unbound`): the override records. An
// owner in a typetransparent local-zone without both an A and an AAAA override has no zone: Unbound
// resolves the types it lacks upstream, so no zone data can say what the resolver answers.
zone_set synthetic_zones(const unbound_overrides& u);

// Every enabled override name (and alias), canonical, sorted: what --all checks.
std::vector<std::string> override_names(const unbound_overrides& u);

// The local-zone type that answers for an override name: the system domain's (Local Zone Type)
// when the name is at or below it, else "transparent" (Unbound's implicit local-zone of local-data),
// "redirect" for hostname "*".
std::string local_zone_type_for(const unbound_overrides& u, const unbound_host& h);

// The known pitfalls as findings, with the fix in OPNsense terms: an A (AAAA) override without
// the other family in a typetransparent local-zone, whose other family's questions Unbound resolves
// upstream (`leak`: inside clients get the public AAAA and go out over IPv6). Notes (out) say what
// was read and what the DNS-rebind protection does to the forwarded domains.
std::vector<finding> unbound_findings(const unbound_overrides& u, std::vector<std::string>& notes);

}  // namespace hc::zone
