// Prometheus text exposition format 0.0.4. Series per check (name, record type, service, path, address),
// never per record of an answer.
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

// name type service path address: the type is part of a check's identity (an A and an AAAA check
// of one name, service, path and server are two checks, and must be two series).
using check_key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
// name type service path
using cert_key = std::tuple<std::string, std::string, std::string, std::string>;

}  // namespace

std::string render_prometheus(const run_result& result) {
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

  // Per check. Two checks with the same labels (say, two ports) merge: success is the AND, durations the maximum.
  struct check_agg {
    bool ok = true;
    double total = 0;                      // the longest check of the series
    std::map<std::string, double> phases;  // without "total": phases add up to at most the total
    std::optional<int> http_status, dns_rcode;
    std::optional<std::size_t> dns_answer_rrs;
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

  // SOA serials: from the zone files (views summary, else the checks) and as served.
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

  return e.take();
}

}  // namespace hc::report
