// Prometheus text exposition format 0.0.4. Series per check (name, record type, service, path, address),
// never per record of an answer; or, with prometheus_detail::aggregate, per service, path and type only.
#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <tuple>

#include "report/format.hpp"
#include "report/report.hpp"

namespace hc::report {
namespace {

// Label values: backslash, double quote and line feed escaped.
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : detail::valid_utf8(v)) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

using labels = std::vector<std::pair<const char*, std::string>>;

// A sample value: integers as such, other values in fixed notation.
std::string value_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return detail::fixed(v, 0);
  return detail::fixed(v, 9);
}

class exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // our own texts: no backslash or newline to escape
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(const char* name, const labels& ls, double value) {
    out_ += name;
    if (!ls.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : ls) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        out_ += escape_label(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value_text(value);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// blackbox_exporter's spelling of a TLS version ("TLS 1.3", as Go names it) from OpenSSL's ("TLSv1.3").
std::string tls_version_label(const std::string& openssl) {
  if (openssl == "TLSv1") return "TLS 1.0";
  if (openssl.rfind("TLSv", 0) == 0) return "TLS " + openssl.substr(4);
  if (openssl == "SSLv3") return "SSL 3.0";
  return openssl;
}

// name type service path address: the type is part of a check's identity (an A and an AAAA check
// of one name, service, path and server are two checks, and must be two series).
using check_key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
// name type service path
using cert_key = std::tuple<std::string, std::string, std::string, std::string>;

// Per check: series labelled name, type, service, path (and address). Two checks with the same
// labels (say, two ports) merge: success is the AND, durations the maximum.
void name_series(exposition& e, const run_result& result) {

  struct check_agg {
    bool ok = true;
    double total = 0;                      // the longest check of the series
    std::map<std::string, double> phases;  // without "total": phases add up to at most the total
    std::optional<int> http_status, dns_rcode;
    std::optional<std::size_t> dns_answer_rrs;
    std::string tls_version;  // OpenSSL's name
  };
  std::vector<check_key> order;
  std::map<check_key, check_agg> checks;
  for (const auto& c : result.checks) {
    check_key key{c.name, c.type, c.service, c.path, c.address};
    auto [it, inserted] = checks.try_emplace(key);
    if (inserted) order.push_back(key);
    check_agg& agg = it->second;  // a named reference: clang 14 cannot capture structured bindings
    agg.ok = agg.ok && c.ok;
    auto merge = [&agg](const std::string& phase, double s) {
      auto [p, fresh] = agg.phases.try_emplace(phase, s);
      if (!fresh) p->second = std::max(p->second, s);
    };
    for (const auto& p : c.phases)
      if (!p.phase.empty() && p.phase != "total") merge(p.phase, p.seconds);
    agg.total = std::max(agg.total, c.duration_s);
    // Blackbox-style facts of the answer; with two checks in one series, the last one's.
    if (c.http_status) agg.http_status = c.http_status;
    if (c.dns_rcode) agg.dns_rcode = c.dns_rcode;
    if (c.dns_answer_rrs) agg.dns_answer_rrs = c.dns_answer_rrs;
    if (!c.tls_version.empty()) agg.tls_version = c.tls_version;
  }
  if (!order.empty()) {
    e.family("hairpin_check_success", "gauge", "1 when the check got through, else 0.");
    for (const auto& key : order) {
      const auto& [name, type, service, path, address] = key;
      e.sample("hairpin_check_success",
               {{"name", name}, {"type", type}, {"service", service}, {"path", path}, {"address", address}},
               checks[key].ok ? 1 : 0);
    }
    e.family("hairpin_check_total_duration_seconds", "gauge", "Duration of the whole check, like blackbox_exporter's probe_duration_seconds.");
    for (const auto& key : order) {
      const auto& [name, type, service, path, address] = key;
      e.sample("hairpin_check_total_duration_seconds",
               {{"name", name}, {"type", type}, {"service", service}, {"path", path}, {"address", address}},
               detail::round_us(checks[key].total));
    }
    // One gauge per fact of the answer, for the checks that have it.
    auto fact = [&](const char* metric, const char* help, auto get) {
      bool any = false;
      for (const auto& key : order) {
        auto v = get(checks[key]);
        if (!v) continue;
        if (!any) e.family(metric, "gauge", help);
        any = true;
        const auto& [name, type, service, path, address] = key;
        e.sample(metric, {{"name", name}, {"type", type}, {"service", service}, {"path", path}, {"address", address}},
                 static_cast<double>(*v));
      }
    };
    fact("hairpin_check_http_status_code", "HTTP status code of an HTTP(S) check, like probe_http_status_code.",
         [](const check_agg& a) { return a.http_status; });
    fact("hairpin_check_dns_rcode", "RCODE of a DNS check's reply (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).",
         [](const check_agg& a) { return a.dns_rcode; });
    fact("hairpin_check_dns_answer_rrs", "Records in the answer section of a DNS check's reply, like probe_dns_answer_rrs.",
         [](const check_agg& a) { return a.dns_answer_rrs; });
    bool any_tls = false;
    for (const auto& key : order) {
      const std::string& version = checks[key].tls_version;
      if (version.empty()) continue;
      if (!any_tls)
        e.family("hairpin_check_tls_version_info", "gauge",
                 "TLS version the check negotiated, in the version label (\"TLS 1.3\"), like probe_tls_version_info.");
      any_tls = true;
      const auto& [name, type, service, path, address] = key;
      e.sample("hairpin_check_tls_version_info",
               {{"name", name}, {"type", type}, {"service", service}, {"path", path}, {"address", address},
                {"version", tls_version_label(version)}},
               1);
    }
    e.family("hairpin_check_duration_seconds", "gauge",
             "Duration of each phase of a check (resolve, connect, tls, request, processing); the whole check is "
             "hairpin_check_total_duration_seconds.");
    for (const auto& key : order) {
      const auto& [name, type, service, path, address] = key;
      for (const auto& [phase, s] : checks[key].phases)
        e.sample("hairpin_check_duration_seconds",
                 {{"name", name},
                  {"type", type},
                  {"service", service},
                  {"path", path},
                  {"address", address},
                  {"phase", phase}},
                 detail::round_us(s));
    }
  }

  // Certificates: the earliest expiry per name, type, service and path.
  std::vector<cert_key> cert_order;
  std::map<cert_key, std::int64_t> certs;
  for (const auto& c : result.checks) {
    if (!c.cert_not_after) continue;
    cert_key key{c.name, c.type, c.service, c.path};
    auto [it, inserted] = certs.try_emplace(key, *c.cert_not_after);
    if (inserted)
      cert_order.push_back(key);
    else
      it->second = std::min(it->second, *c.cert_not_after);
  }
  if (!cert_order.empty()) {
    e.family("hairpin_cert_not_after_timestamp_seconds", "gauge",
             "Unix time at which the certificate presented to the check expires.");
    for (const auto& key : cert_order) {
      const auto& [name, type, service, path] = key;
      e.sample("hairpin_cert_not_after_timestamp_seconds",
               {{"name", name}, {"type", type}, {"service", service}, {"path", path}},
               static_cast<double>(certs[key]));
    }
  }
}

// Per service, path and type: how many checks got through and failed, the slowest, the earliest
// certificate expiry and the TLS versions negotiated; no name or address label, so the number of
// series does not grow with the zone.
void aggregate_series(exposition& e, const run_result& result) {
  using key_t = std::tuple<std::string, std::string, std::string>;  // service path type
  struct service_agg {
    std::size_t ok = 0, failed = 0;
    double worst = 0;
    std::optional<std::int64_t> cert_not_after;  // the earliest
    std::map<std::string, std::size_t> tls_versions;
  };
  std::vector<key_t> order;
  std::map<key_t, service_agg> services;
  for (const auto& c : result.checks) {
    key_t key{c.service, c.path, c.type};
    auto [it, inserted] = services.try_emplace(key);
    if (inserted) order.push_back(key);
    service_agg& agg = it->second;
    ++(c.ok ? agg.ok : agg.failed);
    agg.worst = std::max(agg.worst, c.duration_s);
    if (c.cert_not_after) agg.cert_not_after = std::min(agg.cert_not_after.value_or(*c.cert_not_after), *c.cert_not_after);
    if (!c.tls_version.empty()) ++agg.tls_versions[tls_version_label(c.tls_version)];
  }
  if (order.empty()) return;
  auto base = [](const key_t& key) {
    return labels{{"service", std::get<0>(key)}, {"path", std::get<1>(key)}, {"type", std::get<2>(key)}};
  };
  e.family("hairpin_service_checks", "gauge", "Number of checks per service, path and record type, by outcome.");
  for (const auto& key : order) {
    auto ok = base(key), failed = base(key);
    ok.emplace_back("result", "ok");
    failed.emplace_back("result", "failed");
    e.sample("hairpin_service_checks", ok, static_cast<double>(services[key].ok));
    e.sample("hairpin_service_checks", failed, static_cast<double>(services[key].failed));
  }
  e.family("hairpin_service_duration_max_seconds", "gauge",
           "Duration of the slowest check per service, path and record type.");
  for (const auto& key : order) e.sample("hairpin_service_duration_max_seconds", base(key), detail::round_us(services[key].worst));
  bool any_cert = false;
  for (const auto& key : order) {
    const auto& cert = services[key].cert_not_after;
    if (!cert) continue;
    if (!any_cert)
      e.family("hairpin_service_cert_not_after_min_timestamp_seconds", "gauge",
               "Unix time at which the first certificate presented to the checks of a service, path and record type expires.");
    any_cert = true;
    e.sample("hairpin_service_cert_not_after_min_timestamp_seconds", base(key), static_cast<double>(*cert));
  }
  bool any_tls = false;
  for (const auto& key : order) {
    for (const auto& [version, n] : services[key].tls_versions) {
      if (!any_tls)
        e.family("hairpin_service_tls_version_checks", "gauge",
                 "Number of checks per service, path and record type that negotiated the TLS version of the version label.");
      any_tls = true;
      auto ls = base(key);
      ls.emplace_back("version", version);
      e.sample("hairpin_service_tls_version_checks", ls, static_cast<double>(n));
    }
  }
}

// SOA serials: from the zone files (views summary, else the checks) and as served.
void zone_series(exposition& e, const run_result& result) {
  using zone_key = std::tuple<std::string, std::string, std::string>;  // view zone source
  std::vector<zone_key> zone_order;
  std::map<zone_key, std::uint32_t> serials;
  auto add_serial = [&](const std::string& view, const std::string& zone, const char* source, std::uint32_t s) {
    if (zone.empty()) return;
    zone_key key{view, zone, source};
    auto [it, inserted] = serials.try_emplace(key, s);
    if (inserted) zone_order.push_back(key);
    // Several checks of one zone: keep the lowest serial, the one most likely stale.
    else if (std::string_view(source) == "served")
      it->second = std::min(it->second, s);
  };
  for (const auto& v : result.views)
    for (const auto& z : v.zones)
      if (z.serial) add_serial(v.name, z.name, "file", *z.serial);
  for (const auto& c : result.checks) {
    if (c.file_serial) add_serial(c.view, c.zone, "file", *c.file_serial);
    if (c.served_serial) add_serial(c.view, c.zone, "served", *c.served_serial);
  }
  if (!zone_order.empty()) {
    e.family("hairpin_zone_serial", "gauge", "SOA serial of a zone in a view, from the zone file and as served.");
    for (const auto& key : zone_order) {
      const auto& [view, zone, source] = key;
      e.sample("hairpin_zone_serial", {{"view", view}, {"zone", zone}, {"source", source}},
               static_cast<double>(serials[key]));
    }
  }
}

}  // namespace

std::string render_prometheus(const run_result& result, const prometheus_options& options) {
  exposition e;
  const severity status = result.status();

  e.family("hairpin_success", "gauge", "1 when the run found nothing worse than info (status OK), else 0.");
  e.sample("hairpin_success", {}, exit_code(status) == 0 ? 1 : 0);

  e.family("hairpin_up", "gauge",
           "1 when the configuration could be read and the checks could run (status not UNKNOWN).");
  e.sample("hairpin_up", {}, status == severity::unknown ? 0 : 1);

  e.family("hairpin_status", "gauge", "Run status as the exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
  e.sample("hairpin_status", {}, exit_code(status));

  e.family("hairpin_run_duration_seconds", "gauge", "Wall-clock duration of the whole run.");
  e.sample("hairpin_run_duration_seconds", {}, detail::round_us(result.duration_s));

  if (result.finished_at != 0) {
    e.family("hairpin_last_run_timestamp_seconds", "gauge", "Unix time at which the run finished.");
    e.sample("hairpin_last_run_timestamp_seconds", {}, static_cast<double>(result.finished_at));
  }

  // Findings: every contract kind at its default severity (0 when absent) plus whatever was found.
  std::map<std::pair<std::string_view, severity>, std::size_t> by_kind;
  for (const auto& k : all_kinds()) {
    by_kind[{k.name, k.sev}] = 0;
    if (k.also_critical) by_kind[{k.name, severity::critical}] = 0;
  }
  for (const auto& f : result.findings) ++by_kind[{name(f.kind), f.sev}];
  for (const auto& c : result.compact.facts) ++by_kind[{name(c.kind), c.reported_severity()}];
  e.family("hairpin_findings", "gauge", "Findings of the run by kind and severity.");
  for (const auto& [key, n] : by_kind)
    e.sample("hairpin_findings", {{"kind", std::string(key.first)}, {"severity", to_string(key.second)}},
             static_cast<double>(n));

  e.family("hairpin_findings_by_severity", "gauge", "Findings of the run by severity.");
  for (severity s : {severity::info, severity::warning, severity::critical, severity::unknown})
    e.sample("hairpin_findings_by_severity", {{"severity", to_string(s)}},
             static_cast<double>(detail::count(result, s)));

  e.family("hairpin_checks", "gauge", "Number of checks carried out, by outcome.");
  {
    std::size_t ok = std::count_if(result.checks.begin(), result.checks.end(),
                                   [](const check_result& c) { return c.ok; });
    e.sample("hairpin_checks", {{"result", "ok"}}, static_cast<double>(ok));
    e.sample("hairpin_checks", {{"result", "failed"}}, static_cast<double>(result.checks.size() - ok));
  }

  if (options.detail == prometheus_detail::aggregate) {
    aggregate_series(e, result);
  } else {
    name_series(e, result);
  }
  zone_series(e, result);
  return e.take();
}
}  // namespace hc::report
