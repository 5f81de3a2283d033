#pragma once
// The reader for pfSense and OPNsense configuration backups (config.xml), and the fixes as the
// setting to change (menu path and config.xml element). See pfsense.cpp and docs/routers/pfsense.md.

#include <string>
#include <string_view>

#include "nat/nat.hpp"

namespace hc::nat {

// True when the document element is <pfsense> or <opnsense>.
bool looks_like_pfsense(std::string_view text);

// Reads a config.xml into the rules pf would load from it: each port forward (<nat><rule>) as a
// DNAT on its interface, plus, with NAT reflection (per rule <natreflection>, else the system-wide
// setting), a DNAT on every interface without a gateway and, for pure NAT with "automatic outbound
// NAT for reflection" (<enablenatreflectionhelper>) or NAT + proxy, the SNAT to that interface's
// address; 1:1 NAT (<nat><onetoone>) likewise; outbound NAT by its mode (automatic, hybrid,
// advanced, disabled) and its manual rules. The chains are "inet pfsense rdr|filter|nat" (or
// opnsense); every rule's `target` holds its element ("nat/rule[2]") and what the fix needs.
ruleset parse_pfsense(std::string_view text, const std::string& file, diagnostics& diags);

// The fix for a failed prediction on config.xml rules: the menu path and the element to set, for
// pfSense or OPNsense; `fallback` when there is none to give.
std::string pfsense_fix(const ruleset& rs, const flow_prediction& p, const service_check& s, const std::string& fallback);

}  // namespace hc::nat
