#include "cli/options.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <filesystem>
#include <fmt/format.h>
#include <fnmatch.h>
#include <map>
#include <string_view>
#include <sys/stat.h>
#include <tuple>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/dns_text.hpp"
#include "core/ip.hpp"
#include "core/kinds.hpp"
#include "report/report.hpp"

namespace hc::cli {

namespace {

bool valid_service(const std::string& s) {
  static const char* known[] = {"dns", "dns/udp", "dns/tcp", "https", "http", "smtp", "imaps"};
  for (const char* k : known)
    if (s == k) return true;
  if (s.rfind("tcp/", 0) == 0) {
    unsigned p = 0;
    auto rest = s.substr(4);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
    return ec == std::errc{} && end == rest.data() + rest.size() && p > 0 && p <= 65535;
  }
  return false;
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 254) return false;
  for (char c : n)
    if (static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '\\' || c == '"') return false;
  return n.find("..") == std::string::npos;
}

// True when the command line asks for --format nagios (the last --format wins), read straight from
// argv so that a usage error anywhere, even before the --format option, is reported the Nagios way.
bool nagios_requested(int argc, const char* const* argv) {
  std::string format;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i] ? argv[i] : "";
    if (arg == "--") break;
    if (arg == "--format" && i + 1 < argc && argv[i + 1]) format = argv[++i];
    else if (arg.rfind("--format=", 0) == 0) format = arg.substr(9);
  }
  return format == "nagios";
}

// The most an options file may hold: a few hundred lines are plenty.
constexpr std::uintmax_t max_config_bytes = 1 << 20;

// Why an options file that CLI11 would read cannot be one, or "" when it can be read (or does not
// exist or is a directory: CLI11 says so itself). CLI11 opens it with a plain ifstream, which would
// wait forever on a FIFO and read /dev/zero until memory runs out, before the run's watchdog is
// armed. The files are those of --config (read straight from argv, like nagios_requested), else
// the default one.
std::string unusable_config(int argc, const char* const* argv, const std::string& default_config) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i] ? argv[i] : "";
    if (arg == "--") break;
    if (arg == "--config" && i + 1 < argc && argv[i + 1]) files.emplace_back(argv[++i]);
    else if (arg.rfind("--config=", 0) == 0) files.emplace_back(arg.substr(9));
  }
  if (files.empty()) files.push_back(default_config);
  for (const auto& f : files) {
    struct stat st {};
    if (f.empty() || ::stat(f.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (!S_ISREG(st.st_mode)) return fmt::format("options file {}: not a regular file", f);
    if (static_cast<std::uintmax_t>(st.st_size) > max_config_bytes)
      return fmt::format("options file {}: larger than {} bytes", f, max_config_bytes);
  }
  return {};
}

// A value that reads as a file rather than a range: the BIND configuration given the pre-0.2 way (-c PATH).
bool looks_like_path(const std::string& v) {
  auto ends_with = [&](std::string_view tail) {
    return v.size() >= tail.size() && v.compare(v.size() - tail.size(), tail.size(), tail) == 0;
  };
  return v.find('/') != std::string::npos || ends_with(".conf");
}

bool is_existing_file(const std::string& v) {
  std::error_code ec;
  return std::filesystem::is_regular_file(v, ec);
}

// Where Debian's dns-root-data puts the root hints, as named uses them.
constexpr const char* default_root_hints = "/usr/share/dns/root.hints";

// CLI11's INI reader with profiles: keeps the top-level keys, lets the keys of the selected section
// override them and drops the other sections. The profile comes from --profile (parsed from the
// command line before CLI11 reads the file) or else from a top-level "profile" key.
class profile_config : public CLI::ConfigINI {
 public:
  // The --profile option, read raw: CLI11 reads the file before it stores options in their variables.
  void profile_option(const CLI::Option* option) { profile_option_ = option; }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    read_ = true;
    std::vector<CLI::ConfigItem> top;
    std::map<std::string, std::vector<CLI::ConfigItem>> sections;
    std::string profile;
    if (profile_option_ && !profile_option_->results().empty()) profile = profile_option_->results().back();
    for (auto& item : CLI::ConfigINI::from_config(input)) {
      if (item.name == "--") continue;  // CLI11's end-of-section marker
      if (item.parents.size() > 1)
        throw CLI::ConfigError(fmt::format("unknown key '{}'", item.fullname()));
      if (item.parents.empty()) {
        if (item.name == "profile") {
          if (profile.empty() && !item.inputs.empty()) profile = item.inputs.front();
          continue;
        }
        top.push_back(std::move(item));
      } else {
        auto section = item.parents.front();
        item.parents.clear();
        sections[section].push_back(std::move(item));
      }
    }
    if (profile.empty()) return top;
    auto it = sections.find(profile);
    if (it == sections.end()) {
      std::string known;
      for (const auto& [name, items] : sections) known += (known.empty() ? "" : ", ") + name;
      throw CLI::ConfigError(fmt::format("unknown profile '{}' ({})", profile,
                                         known.empty() ? "the file has no [PROFILE] sections"
                                                       : "profiles: " + known));
    }
    // CLI11 takes the first value of a key; the profile's come first so that they win.
    std::vector<CLI::ConfigItem> merged = std::move(it->second);
    for (auto& item : top) {
      bool overridden = false;
      for (const auto& m : merged) overridden = overridden || m.name == item.name;
      if (!overridden) merged.push_back(std::move(item));
    }
    return merged;
  }

  bool read() const { return read_; }

 private:
  const CLI::Option* profile_option_ = nullptr;
  mutable bool read_ = false;
};

}  // namespace

bool name_excluded(const std::string& name, const std::vector<std::string>& patterns) {
  return name_matches_any(name, patterns);
}

parse_outcome parse_command_line(int argc, const char* const* argv, const std::string& default_config) {
  cli_options o;
  auto& r = o.run;
  CLI::App app{"hairpin-check: prove a NAT loopback works and split-horizon DNS is consistent",
               "hairpin-check"};
  app.set_version_flag("-V,--version", std::string("hairpin-check ") + HC_VERSION);
  app.footer(
      "RANGE is a Nagios threshold range in seconds: 10 (alert outside 0..10), 10: (alert below 10),\n"
      "~:10 (alert above 10), 10:20 (alert outside 10..20), @10:20 (alert inside 10..20).\n"
      "Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad input, internal error).\n"
      "Examples: hairpin-check blog.debugo.fr\n"
      "          hairpin-check -C /etc/bind/named.conf --all --format nagios -w 1 -c 5");

  std::string source, resolver, format = "text";
  std::vector<std::string> external_dns, services;
  bool ipv4_only = false, ipv6_only = false, color = false, no_color = false;

  app.add_option("NAME", r.names, "names to check (trailing dot optional)");
  app.add_flag("--all", r.all, "every owner name of the checked zones, in both views");
  app.add_option("-C,--named-conf", r.named_conf, "BIND configuration (default /etc/bind/named.conf)")
      ->type_name("PATH");
  bool no_named_conf = false;
  app.add_flag("--no-named-conf", no_named_conf,
               "read no BIND configuration: one-shot checks from the resolver and the external DNS only");
  app.add_option("--internal-view", r.internal_view,
                 "default: the first view whose match-clients takes the vantage address");
  app.add_option("--external-view", r.external_view,
                 "default: the first view that takes an address outside every internal ACL");
  app.add_option("--source", source, "the vantage point's own address (default: what the kernel would use)");
  app.add_option("--nat-rules", r.nat_rules, "the router's rules: `iptables-save`, `nft [-j] list ruleset`, OpenWrt's /etc/config/firewall, a "
                 "RouterOS /export or a pfSense/OPNsense config.xml, told apart by content ('-' = stdin)");
  app.add_option("--nat-format", r.nat_format,
                 "the form of --nat-rules: auto (default: by content), iptables, nft-json, nft-text, openwrt, routeros, pfsense; a "
                 "file in another form is an error")
      ->check(CLI::IsMember({"auto", "iptables", "nft-json", "nft-text", "openwrt", "routeros", "pfsense"}))
      ->type_name("FORMAT");
  app.add_option("--unbound-config", r.unbound_config,
                 "an OPNsense config.xml: its Unbound host overrides are the internal view (without named.conf; "
                 "default: --nat-rules when it is an OPNsense config.xml)")
      ->type_name("FILE");
  app.add_flag("--static", r.static_only, "no network at all: configuration, zones and NAT rules only");
  app.add_option("--resolver", resolver, "the internal resolver ADDR[#PORT] (default: first nameserver of /etc/resolv.conf)");
  app.add_option("--external-dns", external_dns,
                 "the DNS server on the external address ADDR[#PORT] (default: the zone's public delegation, walked from --root-hints)");
  std::string root_hints;
  app.add_option("--root-hints", root_hints,
                 "BIND hints file of the root servers the public delegation is walked from (default "
                 "/usr/share/dns/root.hints when present; none: no walk)")
      ->type_name("FILE");
  app.add_option("--services", services, "any of dns,https,http,smtp,imaps,tcp/PORT (default: inferred per name)")
      ->delimiter(',');
  app.add_option("--tsig-key", r.tsig_key_files,
                 "a BIND key file (tsig-keygen, dig -k): sign the DNS checks of a view selected by that key (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  std::string zones_from = "files", dns_server;
  std::vector<std::string> views;
  app.add_option("--zones-from", zones_from,
                 "where zone data comes from: files (default), axfr (a zone transfer per view) or both (compared)")
      ->check(CLI::IsMember({"files", "axfr", "both"}))
      ->type_name("files|axfr|both");
  app.add_option("--dns-server", dns_server,
                 "the authoritative server ADDR[#PORT] to transfer zones from (default: named.conf's listen-on, else the resolver)");
  app.add_option("--view", views,
                 "with --zones-from axfr|both: a view to transfer, selected by the key in KEYFILE or by our address "
                 "(repeatable)")
      ->type_name("NAME[=KEYFILE]")
      ->allow_extra_args(false);
  std::vector<std::string> secondaries;
  app.add_option("--secondary", secondaries,
                 "a secondary ADDR[#PORT] asked for each view's SOA serial of the zones both views serve, besides "
                 "the zones' NS sets (repeatable)")
      ->type_name("ADDR[#PORT]")
      ->allow_extra_args(false);
  app.add_option("--ca-file", r.ca_file, "TLS trust anchors (default: the system store)");
  app.add_flag("--insecure", r.insecure, "do not verify TLS certificates (never the default)");
  app.add_option("-t,--timeout", r.timeout_s, "deadline for the whole run in seconds (default 10)")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--probe-timeout", r.probe_timeout_s, "deadline of one probe in seconds (default: derived from -t)")
      ->check(CLI::Range(0.05, 3600.0));
  app.add_option("--concurrency", r.concurrency, "probes in flight at once (default 64)")->check(CLI::Range(1, 4096));
  std::string warning, critical;
  app.add_option("-w,--warning", warning, "response time in seconds, a Nagios RANGE: WARNING (slow-response) where it alerts")
      ->type_name("RANGE");
  app.add_option("-c,--critical", critical, "the same for CRITICAL (the BIND configuration is -C since 0.2)")
      ->type_name("RANGE");
  app.add_option("--cert-warn", r.cert_warn_days,
                 "certificate days left below which to warn (default " + std::to_string(default_cert_warn_days) + ")");
  app.add_option("--cert-crit", r.cert_crit_days,
                 "certificate days left below which it is critical (default " + std::to_string(default_cert_crit_days) +
                     ")");
  app.add_flag("-4,--ipv4", ipv4_only, "probe IPv4 addresses only");
  app.add_flag("-6,--ipv6", ipv6_only, "probe IPv6 addresses only");
  app.add_option("--format", format, "text (default), json, nagios, prometheus")
      ->check(CLI::IsMember({"text", "json", "nagios", "prometheus"}));
  app.add_option("--textfile", o.textfile, "also write the Prometheus exposition to PATH, atomically");
  std::string perfdata = "summary", prometheus_detail = "names";
  app.add_option("--perfdata", perfdata,
                 "nagios format: summary (default: totals, per service and path, bounded) or checks (also one item per check)")
      ->type_name("SET")
      ->check(CLI::IsMember({"summary", "checks"}));
  app.add_option("--prometheus-detail", prometheus_detail,
                 "prometheus format and --textfile: names (default: series per check) or aggregate (per service, path "
                 "and type, for large zones)")
      ->type_name("DETAIL")
      ->check(CLI::IsMember({"names", "aggregate"}));
  app.add_flag("-q,--quiet", o.quiet, "text format: print nothing when everything is OK");
  app.add_flag("--color", color, "colour the text output even when not on a terminal");
  app.add_flag("--no-color", no_color, "never colour the text output");
  app.add_flag("-v,--verbose", r.verbosity, "more detail; repeat for more (-vv)");
  std::vector<std::string> exclude, accept;
  app.add_option("--exclude", exclude, "skip the names matching this shell glob (repeatable), e.g. '*.internal.debugo.fr'")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  app.add_option("--accept", accept, "report findings of KIND (for NAME only, if given) as accepted (repeatable)")
      ->type_name("KIND[:NAME]")
      ->allow_extra_args(false);
  std::string profile;
  auto config = std::make_shared<profile_config>();
  app.config_formatter(config);
  app.allow_config_extras(CLI::config_extras_mode::error);
  auto* config_option = app.set_config("--config", default_config,
                                       fmt::format("options file, INI (default {} when present)", default_config));
  config_option->type_name("PATH");
  config->profile_option(app.add_option("--profile", profile, "use the [NAME] section of the options file over its top-level keys")
                             ->type_name("NAME")
                             ->configurable(false));

  parse_outcome out;
  // A usage error: exit 3, said the way the output format asks for.
  auto usage_error = [&](const std::string& reason, bool hint) {
    out.exit_status = 3;
    if (nagios_requested(argc, argv) || format == "nagios") {
      out.message = report::render_nagios_unknown(reason);
      out.to_stdout = true;
    } else {
      out.message = fmt::format("hairpin-check: {}\n{}", reason, hint ? "Run with --help for more information.\n" : "");
      out.to_stdout = false;
    }
    return out;
  };
  if (auto why = unusable_config(argc, argv, default_config); !why.empty()) return usage_error(why, false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.message = app.help();
    if (out.message.empty() || out.message.back() != '\n') out.message += '\n';
    return out;
  } catch (const CLI::CallForVersion&) {
    out.message = std::string("hairpin-check ") + HC_VERSION + "\n";
    return out;
  } catch (const CLI::ConfigError& e) {
    // A bad key or profile in the options file: name the file.
    return usage_error(fmt::format("{}: {}", config_option->as<std::string>(), e.what()), false);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what(), true);
  }

  auto fail = [&](const std::string& msg) { return usage_error(msg, false); };

  // -c took the BIND configuration before 0.2; say where it went rather than "not a range".
  const std::string moved = "-c is now the critical threshold; the BIND configuration is -C/--named-conf";
  if (app.count("--critical") && looks_like_path(critical))
    return fail(fmt::format("-c '{}' looks like a file: {}", critical, moved));
  for (auto [text, option, range] : {std::tuple{&warning, "--warning", &r.warning},
                                     std::tuple{&critical, "--critical", &r.critical}}) {
    if (!app.count(option)) continue;
    try {
      *range = nagios_range::parse(*text);
    } catch (const input_error& e) {
      if (range == &r.critical && is_existing_file(*text))
        return fail(fmt::format("-c '{}' is a file: {}", *text, moved));
      return fail(fmt::format("{}: {}", option, e.what()));
    }
  }

  r.named_conf_given = app.count("--named-conf") > 0;
  if (r.named_conf_given && !r.unbound_config.empty())
    return fail("--named-conf and --unbound-config exclude each other (the Unbound overrides stand for named.conf)");
  if (no_named_conf) {
    if (r.named_conf_given) return fail("--named-conf and --no-named-conf exclude each other");
    r.named_conf.clear();
  }
  if (!profile.empty() && !config->read())
    return fail(fmt::format("--profile {}: no options file (--config PATH, or {})", profile, default_config));
  for (const auto& p : exclude) {
    if (p.empty()) return fail("--exclude: empty pattern");
    r.exclude.push_back(canonical_name(p));
  }
  for (const auto& a : accept) {
    const auto colon = a.find(':');
    std::string kind = a.substr(0, colon), name = colon == std::string::npos ? "" : a.substr(colon + 1);
    if (!kind_from_name(kind)) return fail(fmt::format("--accept: unknown finding kind '{}'", kind));
    if (colon != std::string::npos) {
      if (!valid_name(name)) return fail(fmt::format("--accept: '{}' is not a domain name", name));
      name = canonical_name(name);
    }
    r.accept.emplace_back(std::move(kind), std::move(name));
  }
  const bool names_given = !r.names.empty();
  std::vector<std::string> kept;
  for (auto& n : r.names) {
    if (!valid_name(n)) return fail(fmt::format("'{}' is not a domain name", n));
    n = canonical_name(n);
    if (!name_excluded(n, r.exclude)) kept.push_back(std::move(n));
  }
  r.names = std::move(kept);
  if (names_given && r.names.empty() && !r.all && !r.static_only)
    return fail("--exclude excludes every NAME given: nothing to check");
  if (!source.empty()) {
    r.source = ip_address::parse(source);
    if (!r.source) return fail(fmt::format("--source: '{}' is not an IP address", source));
  }
  if (!resolver.empty()) {
    r.resolver = ip_endpoint::parse(resolver, 53);
    if (!r.resolver) return fail(fmt::format("--resolver: '{}' is not ADDR[#PORT]", resolver));
  }
  for (const auto& e : external_dns) {
    auto ep = ip_endpoint::parse(e, 53);
    if (!ep) return fail(fmt::format("--external-dns: '{}' is not ADDR[#PORT]", e));
    r.external_dns.push_back(*ep);
  }
  // The hints are read when a walk needs them: a missing default only means no walk.
  // `none`: no walk at all, the fallback (the zone's NS records from the resolver) at once.
  if (root_hints == "none") r.root_hints.clear();
  else if (!root_hints.empty()) r.root_hints = root_hints;
  else if (is_existing_file(default_root_hints)) r.root_hints = default_root_hints;
  r.zones_from = zones_from == "axfr"   ? check::run_options::zone_source::axfr
                 : zones_from == "both" ? check::run_options::zone_source::both
                                        : check::run_options::zone_source::files;
  if (!dns_server.empty()) {
    r.dns_server = ip_endpoint::parse(dns_server, 53);
    if (!r.dns_server) return fail(fmt::format("--dns-server: '{}' is not ADDR[#PORT]", dns_server));
  }
  for (const auto& e : secondaries) {
    auto ep = ip_endpoint::parse(e, 53);
    if (!ep) return fail(fmt::format("--secondary: '{}' is not ADDR[#PORT]", e));
    r.secondaries.push_back(*ep);
  }
  for (const auto& v : views) {
    const auto eq = v.find('=');
    std::string name = v.substr(0, eq);
    std::string keyfile = eq == std::string::npos ? std::string() : v.substr(eq + 1);
    if (name.empty() || !valid_name(name) || (eq != std::string::npos && keyfile.empty()))
      return fail(fmt::format("--view: '{}' is not NAME[=KEYFILE]", v));
    r.transfer_views.emplace_back(std::move(name), std::move(keyfile));
  }
  if (!r.transfer_views.empty() && r.zones_from == check::run_options::zone_source::files)
    return fail("--view needs --zones-from axfr or both");
  if (r.nat_format != "auto" && r.nat_rules.empty()) return fail("--nat-format needs --nat-rules");
  for (auto s : services) {
    if (!valid_service(s)) return fail(fmt::format("--services: unknown service '{}'", s));
    if (s == "dns") {
      r.services.push_back("dns/udp");
      r.services.push_back("dns/tcp");
    } else {
      r.services.push_back(s);
    }
  }
  if (ipv4_only && ipv6_only) return fail("-4 and -6 exclude each other");
  r.ipv4 = !ipv6_only;
  r.ipv6 = !ipv4_only;
  if (r.cert_crit_days > r.cert_warn_days)
    return fail("--cert-crit must not be larger than --cert-warn");
  if (!r.all && r.names.empty() && !r.static_only)
    return fail("name what to check (NAME..., or --all), or use --static");
  if (color && no_color) return fail("--color and --no-color exclude each other");
  if (color) o.color = true;
  if (no_color) o.color = false;

  if (perfdata == "checks") o.perfdata = report::perfdata_set::checks;
  if (prometheus_detail == "aggregate") o.prometheus_detail = report::prometheus_detail::aggregate;

  if (format == "json") o.format = output_format::json;
  else if (format == "nagios") o.format = output_format::nagios;
  else if (format == "prometheus") o.format = output_format::prometheus;
  out.options = std::move(o);
  return out;
}

}  // namespace hc::cli
