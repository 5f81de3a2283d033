// Fuzz target: the OPNsense Unbound overrides reader (config.xml through hc::xml), the synthetic
// configuration and zones built from it, and the pitfall findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/xml.hpp"
#include "zone/unbound_overrides.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  hc::diagnostics diags;
  auto root = hc::xml::parse(text, "fuzz.xml", diags);
  if (!root) return 0;
  auto u = hc::zone::read_unbound(*root, "fuzz.xml", diags);
  if (u.hosts.size() > hc::zone::max_overrides) std::abort();
  auto cfg = hc::zone::synthetic_config(u);
  auto zones = hc::zone::synthetic_zones(u);
  std::size_t enabled = 0;
  for (const auto& h : u.hosts) {
    if (h.owner.empty() || h.owner.back() != '.') std::abort();  // every override kept has a canonical owner
    // Every enabled name has zone data, but in a typetransparent local-zone (where it may lack a family).
    if (h.enabled && hc::zone::local_zone_type_for(u, h) != "typetransparent" &&
        !zones.best_zone(hc::zone::unbound_view, h.owner))
      std::abort();
    enabled += h.enabled ? 1 : 0;
  }
  if (cfg.views.size() != 2 || cfg.views[0].zones.size() > enabled) std::abort();
  std::vector<std::string> notes;
  for (const auto& f : hc::zone::unbound_findings(u, notes))
    if (f.kind != hc::finding_kind::leak || f.fix.empty()) std::abort();
  return 0;
}
