#pragma once
// Stage 2 of a run: the vantage point. Where the checks are sent from (the source address, the
// internal resolver, the LAN around it) and which two views of the configuration answer the inside
// and the outside.

#include <optional>
#include <string>
#include <vector>

#include "check/inputs.hpp"
#include "check/plan.hpp"

namespace hc::check {

struct vantage_point : stage_report {
  std::optional<ip_endpoint> resolver;
  std::optional<ip_address> source;
  const bind::view_decl* internal = nullptr;
  const bind::view_decl* external = nullptr;
  // One view serves both sides (a configuration without views): not split-horizon, the names are
  // still checked through the hairpin against that view.
  bool single_view = false;
  std::vector<ip_prefix> lan;  // the vantage point's LAN, for fixes
  // Views selected by a TSIG key that the vantage point cannot reach unsigned: the key to sign
  // their DNS checks with (named.conf's key statements, --tsig-key files first).
  view_signing internal_signing;
  view_signing external_signing;

  bool has_views() const { return internal && external; }
};

vantage_point find_vantage(const run_options& options, const run_inputs& inputs);

// The keys of the --tsig-key files, in order; a file that cannot be read or holds a bad key
// statement is a config-error finding in `report` (file:line:col, never the secret).
std::vector<bind::key_decl> read_tsig_key_files(const std::vector<std::string>& files, stage_report& report);

// How the DNS checks reach `view` (selected by TSIG key `key_name` when not empty): unsigned when no
// key is needed, signed with the key found in `given` (--tsig-key) or else in the configuration's
// key statements, or with `missing` saying which key to give. `key_source` receives where the
// key came from ("--tsig-key FILE", "named.conf FILE:LINE:COL").
view_signing signing_for(const bind::config& cfg, const bind::view_decl& view, const std::string& key_name,
                         const std::vector<bind::key_decl>& given, std::string& key_source);

// The source address the kernel would use to reach `destination` (a UDP socket connected, no packet
// sent), or nullopt when there is no route.
std::optional<ip_address> kernel_source_for(const ip_address& destination);

}  // namespace hc::check
