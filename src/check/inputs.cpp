#include "check/inputs.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/watchdog.hpp"
#include "check/zone_transfer.hpp"
#include "core/input_file.hpp"
#include "zone/unbound_overrides.hpp"

namespace hc::check {
namespace {

// Why a file could not be read, from the reason that ends the message of its error.
enum class read_cause { none, missing, denied, directory, not_regular, too_large };

read_cause cause_of(std::string_view message) {
  auto ends = [&](std::string_view reason) { return message.ends_with(reason); };
  if (ends(std::strerror(ENOENT)) || ends(std::strerror(ENOTDIR))) return read_cause::missing;
  if (ends(std::strerror(EACCES)) || ends(std::strerror(EPERM))) return read_cause::denied;
  if (ends(std::strerror(EISDIR))) return read_cause::directory;
  if (ends("not a regular file")) return read_cause::not_regular;
  if (message.find("HC_MAX_") != std::string_view::npos) return read_cause::too_large;
  return read_cause::none;
}

// The file an open error names: "cannot open 'PATH': REASON" (named.conf), "cannot open PATH:
// REASON" ($INCLUDE), "cannot read PATH: REASON" (a zone file); empty when there is none.
std::string path_in(std::string_view message) {
  for (std::string_view verb : {"cannot open ", "cannot read "}) {
    auto at = message.find(verb);
    if (at == std::string_view::npos) continue;
    auto rest = message.substr(at + verb.size());
    auto colon = rest.rfind(": ");
    if (colon == std::string_view::npos) return {};
    rest = rest.substr(0, colon);
    if (rest.size() >= 2 && rest.front() == '\'' && rest.back() == '\'') rest = rest.substr(1, rest.size() - 2);
    if (rest.starts_with("the NAT rules")) return {};
    return std::string(rest);
  }
  return {};
}

std::string shown(std::string_view path) { return escape_text(path, 512); }

// The name of the user this run is, for the fix of a permission error.
std::string user_name() {
  if (const passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return fmt::format("uid {}", ::geteuid());
}

// The environment variable a limit error names (HC_MAX_FILE_BYTES, ...).
std::string limit_variable(std::string_view message) {
  auto at = message.find("HC_MAX_");
  if (at == std::string_view::npos) return "HC_MAX_FILE_BYTES";
  auto end = at;
  while (end < message.size() && (std::isupper(static_cast<unsigned char>(message[end])) || message[end] == '_')) ++end;
  return std::string(message.substr(at, end - at));
}

// The zone (and its view) whose `file` statement is at `where`.
struct zone_ref {
  const bind::view_decl* view = nullptr;
  const bind::zone_decl* zone = nullptr;
};

zone_ref zone_named_at(const bind::config* cfg, const source_location& where) {
  if (!cfg || where.file.empty() || where.line == 0) return {};
  for (const auto& v : cfg->views)
    for (const auto& z : v.zones)
      if (z.file_where.file == where.file && z.file_where.line == where.line && z.file_where.column == where.column)
        return {&v, &z};
  return {};
}

// The OPNsense config.xml whose Unbound overrides are the internal view: --unbound-config, else
// --nat-rules when it is one and no named.conf is read (a regular file, its start looked at only).
std::string unbound_source(const run_options& o, bool conf_exists) {
  if (!o.unbound_config.empty()) return o.unbound_config;
  if (conf_exists || o.named_conf_given || o.nat_rules.empty() || o.nat_rules == "-") return {};
  std::string error;
  std::uint64_t size = 0;
  int fd = open_regular_file(o.nat_rules, input_limits::current().max_file_bytes, size, error);
  if (fd < 0) return {};
  char head[4096];
  ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  if (n <= 0) return {};
  return zone::is_opnsense_config(std::string_view(head, static_cast<std::size_t>(n))) ? o.nat_rules : std::string();
}

}  // namespace

std::string read_access_fix(const std::string& path) {
  std::string user = user_name();
  std::string group_name = "bind";
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) == 0) {
    const struct group* g = ::getgrgid(st.st_gid);
    if (g && std::string_view(g->gr_name) != "root") group_name = g->gr_name;
  }
  std::string file = path.empty() ? std::string("FILE") : shown(path);
  return fmt::format(
      "the user running hairpin-check ({0}) needs read access to {1} and search (x) access to every directory "
      "above it: e.g. make {0} a member of group {2} (usermod -aG {2} {0}; the hairpin-check service user of the "
      ".deb is in group bind) and let the group read it (chgrp {2} {1}; chmod g+r {1})",
      user, file, group_name);
}

std::string config_error_fix(const diagnostic& d, const bind::config* cfg) {
  const read_cause cause = cause_of(d.message);
  const zone_ref at = zone_named_at(cfg, d.where);
  if (at.zone) {
    // An error about a zone file itself, reported at the `file` statement that names it.
    const auto& z = *at.zone;
    const std::string file = shown(z.file);
    const std::string stmt = d.where.str();
    if (d.message.find("is not a text zone file") != std::string::npos)
      return fmt::format(
          "hairpin-check reads zone files in text format: convert a copy with named-compilezone -f raw -F text "
          "-o {0}.txt {1} {0} (from a map file: -f map), and check a named.conf whose file statement at {2} "
          "names the copy (named reads text with masterfile-format text, the default)",
          file, shown(z.name), stmt);
    switch (cause) {
      case read_cause::missing: {
        std::string where_from =
            std::filesystem::path(z.file_written).is_relative() && cfg
                ? fmt::format("the path in the file statement at {} or the directory option (relative names are "
                              "read from {})",
                              stmt, shown(cfg->options.directory))
                : fmt::format("the path in the file statement at {}", stmt);
        std::error_code ec;
        auto parent = std::filesystem::path(z.file).parent_path();
        std::string no_dir = !parent.empty() && !std::filesystem::exists(parent, ec)
                                 ? fmt::format(" (its directory {} does not exist either)", shown(parent.string()))
                                 : std::string();
        if (z.type == "secondary" || z.type == "mirror" || z.type == "stub")
          return fmt::format(
              "named writes a {0} zone's file after its first transfer: check that the transfer works "
              "(rndc retransfer {1} IN {2}; the log says why it fails), or correct {3}{4}",
              z.type, shown(z.name), shown(at.view->name), where_from, no_dir);
        return fmt::format("create {} with the zone's data (a zone file in text format), or correct {}{}", file,
                           where_from, no_dir);
      }
      case read_cause::denied: return read_access_fix(z.file);
      case read_cause::directory:
        return fmt::format("{0} is a directory: the file statement at {1} must name the zone file itself, e.g. "
                           "file \"{0}/db.{2}\"",
                           file, stmt, shown(z.name));
      case read_cause::not_regular:
        return fmt::format("{} is not a regular file (a FIFO, a socket or a device, which can block or never end): "
                           "make the file statement at {} name a regular file that holds the zone's data",
                           file, stmt);
      case read_cause::too_large: break;
      case read_cause::none:
        return fmt::format("{} could not be read for the reason in the evidence: correct it, or the file statement "
                           "at {}",
                           file, stmt);
    }
  }
  if (d.message.find("not a text zone file") != std::string::npos)
    return fmt::format("hairpin-check reads zone files in text format: convert it with named-compilezone -f raw "
                       "-F text -o {0}.txt ZONE {0} (from a map file: -f map), and point the zone's file statement "
                       "at the text copy",
                       shown(d.where.file));
  if (d.message.starts_with("unboundplus"))
    return "correct that entry in OPNsense (Services > Unbound DNS > Overrides, or Query Forwarding), apply, and "
           "export the configuration again (System > Configuration > Backups)";
  if (d.message.starts_with("out of memory"))
    return "give the run more memory (ulimit -v, the service's MemoryMax=) or check a configuration with fewer or "
           "smaller zones";
  if (d.message.find("in-view") != std::string::npos && d.message.find("does not declare it") != std::string::npos)
    return "declare the zone in the view that in-view names (with its type and file), or name in in-view the view "
           "that declares it";
  const bool nat = d.message.find("the NAT rules") != std::string::npos;
  const std::string path = nat ? d.where.file : path_in(d.message);
  const std::string stmt = d.where.line ? "the statement at " + d.where.str() : std::string("the option");
  switch (cause) {
    case read_cause::missing:
      if (nat)
        return fmt::format("save the router's rules first (iptables-save > {0}, or nft -j list ruleset > {0}), or "
                           "correct --nat-rules",
                           shown(path));
      return fmt::format("create {}, or correct the name in {} (relative names are read from the directory option)",
                         path.empty() ? std::string("the file") : shown(path), stmt);
    case read_cause::denied: return read_access_fix(path);
    case read_cause::directory:
      return fmt::format("{} is a directory: name the file itself in {}", path.empty() ? "it" : shown(path), stmt);
    case read_cause::not_regular:
      if (nat)
        return "give a regular file, or pipe the rules in: iptables-save | hairpin-check --nat-rules - ...; FIFOs "
               "and devices are never read (they can block or never end)";
      return fmt::format("name a regular file in {}: devices, FIFOs and sockets are never read (they can block or "
                         "never end)",
                         stmt);
    case read_cause::too_large: {
      std::string var = limit_variable(d.message);
      return fmt::format("the input is over a safety limit: if it is genuine, raise it for the run with the "
                         "environment variable {} (e.g. {}=N hairpin-check ...)",
                         var, var);
    }
    case read_cause::none: break;
  }
  if (d.where.line == 0)
    return fmt::format("{} could not be used for the reason in the evidence: correct the file, or the option that "
                       "names it",
                       d.where.file.empty() ? std::string("the input") : shown(d.where.file));
  return "correct the input at the position named in the evidence";
}

std::string named_conf_fix(const std::string& path, const std::string& message) {
  switch (cause_of(message)) {
    case read_cause::denied: return read_access_fix(path);
    case read_cause::missing:
      return fmt::format("give the BIND configuration with -C PATH ({} does not exist), or --no-named-conf for "
                         "one-shot checks of the names given",
                         shown(path));
    case read_cause::directory:
    case read_cause::not_regular:
      return fmt::format("give the BIND configuration file itself with -C PATH (e.g. {}/named.conf), or "
                         "--no-named-conf",
                         shown(path));
    case read_cause::too_large:
      return fmt::format("the configuration is over a safety limit: if it is genuine, raise it with the "
                         "environment variable {}",
                         limit_variable(message));
    case read_cause::none: break;
  }
  if (message.starts_with("out of memory"))
    return "give the run more memory (ulimit -v, the service's MemoryMax=), or -C a smaller configuration";
  return "give the BIND configuration with -C PATH, or --no-named-conf";
}

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
  const std::string unbound_path = unbound_source(o, conf_exists);
  if (!unbound_path.empty()) {
    // OPNsense's Unbound host overrides as the internal view: a synthetic configuration and its
    // zone data, then the same path as named.conf's.
    mark_stage("reading the Unbound overrides");
    try {
      auto u = zone::read_unbound_file(unbound_path, diags);
      in.config = zone::synthetic_config(u);
      in.zones = zone::synthetic_zones(u);
      in.views = zone::view_summaries(*in.config, in.zones);
      in.unbound = true;
      in.unbound_names = zone::override_names(u);
      for (auto& f : zone::unbound_findings(u, in.notes)) in.findings.push_back(std::move(f));
    } catch (const input_error& e) {
      in.findings.push_back(config_error(
          std::string("--unbound-config: ") + e.what(),
          "give OPNsense's configuration backup (System > Configuration > Backups: Download configuration) with "
          "--unbound-config FILE"));
    }
  } else if (conf_exists || o.named_conf_given) {
    mark_stage("reading named.conf");  // for the watchdog's report
    try {
      in.config = bind::read_named_conf(o.named_conf, diags);
    } catch (const input_error& e) {
      in.findings.push_back(config_error(e.what(), named_conf_fix(o.named_conf, e.what())));
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
  if (in.config && !in.unbound) {
    mark_stage("reading zone files");
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
  if (!o.nat_rules.empty()) mark_stage("reading NAT rules");
  if (!o.nat_rules.empty())
    in.nat = nat::read_nat_rules(o.nat_rules, diags, nat::parse_nat_format(o.nat_format).value_or(nat::nat_format::auto_detect));
  const bind::config* cfg = in.config ? &*in.config : nullptr;
  for (const auto& d : diags.all()) {
    if (d.is_error) in.findings.push_back(config_error(d.str(), config_error_fix(d, cfg)));
    else in.notes.push_back("warning: " + d.str());
  }
  return in;
}

}  // namespace hc::check
