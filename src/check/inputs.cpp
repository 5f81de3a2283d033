#include "check/inputs.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "check/zone_transfer.hpp"

namespace hc::check {
namespace {

// A fix that fits the error, where one is known; else the general one.
std::string fix_for(const diagnostic& d) {
  if (d.message.find("not a text zone file") != std::string::npos)
    return fmt::format("hairpin-check reads zone files in text format: convert it with named-compilezone -f raw "
                       "-F text -o {}.txt ZONE {} (or -f map), and point the zone's file statement at the text copy",
                       d.where.file, d.where.file);
  if (d.message.find("not a regular file") != std::string::npos)
    return "name a regular file: devices, FIFOs and directories are never read";
  return "correct the input at the position named in the evidence";
}

}  // namespace

run_inputs load_inputs(const run_options& o) {
  return load_inputs(o, std::chrono::steady_clock::now() +
                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(o.timeout_s)));
}

run_inputs load_inputs(const run_options& o, std::chrono::steady_clock::time_point deadline) {
  run_inputs in;
  diagnostics diags;
  std::error_code ec;
  const bool conf_exists = !o.named_conf.empty() && std::filesystem::exists(o.named_conf, ec);
  if (conf_exists || o.named_conf_given) {
    try {
      in.config = bind::read_named_conf(o.named_conf, diags);
    } catch (const input_error& e) {
      in.findings.push_back(config_error(e.what(), "give the BIND configuration with -C PATH, or --no-named-conf"));
    }
  } else if (o.names.empty()) {
    in.findings.push_back(config_error(
        fmt::format("{}: no such file; --all and --static need the BIND configuration (-C PATH)",
                    o.named_conf.empty() ? "--no-named-conf" : o.named_conf),
        "give the BIND configuration with -C PATH, or name the names to check"));
  } else if (o.zones_from != run_options::zone_source::files && !o.transfer_views.empty()) {
    views_from_server(o, in, deadline);
  } else {
    in.notes.push_back(fmt::format(
        "no BIND configuration{}: the view diff, the zone-file comparisons (wrong-answer, view-leak, "
        "stale-zone) and the direct paths need one (-C PATH)",
        o.named_conf.empty() ? std::string(" (--no-named-conf)") : " at " + o.named_conf));
  }
  if (in.config) {
    if (o.zones_from != run_options::zone_source::axfr) in.zones = zone::load_zones(*in.config, diags);
    if (o.zones_from != run_options::zone_source::files) transfer_zones(o, in, deadline);
    in.views = zone::view_summaries(*in.config, in.zones);
    // Transferred zones were not read from their files: the report names no file for them.
    if (o.zones_from == run_options::zone_source::axfr)
      for (auto& v : in.views)
        for (auto& z : v.zones) z.file.clear();
  } else if (o.zones_from != run_options::zone_source::files && o.transfer_views.empty()) {
    in.notes.push_back("--zones-from axfr|both: without the BIND configuration no zone is transferred (give -C PATH, "
                       "or the views with --view NAME[=KEYFILE])");
  }
  if (!o.nat_rules.empty()) in.nat = nat::read_nat_rules(o.nat_rules, diags);
  for (const auto& d : diags.all()) {
    if (d.is_error) in.findings.push_back(config_error(d.str(), fix_for(d)));
    else in.notes.push_back("warning: " + d.str());
  }
  return in;
}

}  // namespace hc::check
