#include <doctest/doctest.h>

#include "report/report.hpp"
#include "samples.hpp"
#include "validators.hpp"

namespace samples = hc::report::samples;
using hc::report::render_prometheus;
using hc::report::testing::prom_sample;
using hc::report::testing::validate_prometheus;

namespace {

std::vector<prom_sample> parse(const hc::run_result& r) {
  std::vector<prom_sample> out;
  const auto errors = validate_prometheus(render_prometheus(r), &out);
  CHECK(errors == std::vector<std::string>{});
  return out;
}

// The value of the one sample of `name` whose labels include `want`; "" when absent.
std::string value(const std::vector<prom_sample>& all, const std::string& name,
                  const std::map<std::string, std::string>& want = {}) {
  std::string found;
  int n = 0;
  for (const auto& s : all) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : want)
      if (!s.labels.count(k) || s.labels.at(k) != v) match = false;
    if (match) {
      found = s.value;
      ++n;
    }
  }
  CHECK_MESSAGE(n <= 1, name << " matched " << n << " samples");
  return found;
}

}  // namespace

TEST_CASE("prometheus: every sample is a valid exposition") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto r = s.make();
    CHECK(validate_prometheus(render_prometheus(r)) == std::vector<std::string>{});
  }
  CHECK(validate_prometheus(render_prometheus(hc::run_result{})) == std::vector<std::string>{});
}

TEST_CASE("prometheus: run metrics") {
  const auto ok = parse(samples::all_ok());
  CHECK(value(ok, "hairpin_success") == "1");
  CHECK(value(ok, "hairpin_up") == "1");
  CHECK(value(ok, "hairpin_status") == "0");
  CHECK(value(ok, "hairpin_run_duration_seconds") == "0.1534");
  CHECK(value(ok, "hairpin_last_run_timestamp_seconds") == "1795833900");
  const auto crit = parse(samples::critical());
  CHECK(value(crit, "hairpin_success") == "0");
  CHECK(value(crit, "hairpin_status") == "2");
  const auto unknown = parse(samples::unknown());
  CHECK(value(unknown, "hairpin_up") == "0");
  CHECK(value(unknown, "hairpin_status") == "3");
}

TEST_CASE("prometheus: findings by kind (every contract kind present) and by severity") {
  const auto crit = parse(samples::critical());
  CHECK(value(crit, "hairpin_findings", {{"kind", "unexpected-source"}, {"severity", "critical"}}) == "1");
  CHECK(value(crit, "hairpin_findings", {{"kind", "cert-expiry"}, {"severity", "warning"}}) == "1");
  CHECK(value(crit, "hairpin_findings", {{"kind", "cert-expiry"}, {"severity", "critical"}}) == "0");
  CHECK(value(crit, "hairpin_findings", {{"kind", "nat-forward-drop"}, {"severity", "critical"}}) == "0");
  CHECK(value(crit, "hairpin_findings_by_severity", {{"severity", "critical"}}) == "3");
  CHECK(value(crit, "hairpin_findings_by_severity", {{"severity", "warning"}}) == "3");
  CHECK(value(crit, "hairpin_findings_by_severity", {{"severity", "info"}}) == "1");
  CHECK(value(crit, "hairpin_findings_by_severity", {{"severity", "unknown"}}) == "0");
  std::size_t kinds = 0;
  for (const auto& s : crit)
    if (s.name == "hairpin_findings") ++kinds;
  // Every kind of the table once, the warning/critical ones twice.
  std::size_t expected = 0;
  for (const auto& k : hc::all_kinds()) expected += k.also_critical ? 2 : 1;
  CHECK(kinds == expected);
  // A kind found at another severity than its default gets its own series.
  const auto sp = parse(samples::special_chars());
  CHECK(value(sp, "hairpin_findings", {{"kind", "intra-only"}, {"severity", "info"}}) == "1");
}

TEST_CASE("prometheus: per check success, phase durations, certificates, serials") {
  const auto crit = parse(samples::critical());
  const std::map<std::string, std::string> https_hp{{"name", "blog.debugo.fr"},
                                                    {"type", "A"},
                                                    {"service", "https"},
                                                    {"path", "hairpin"},
                                                    {"address", "203.0.113.1"}};
  CHECK(value(crit, "hairpin_check_success", https_hp) == "1");
  CHECK(value(crit, "hairpin_check_success", {{"name", "mail.debugo.fr"}, {"service", "smtp"}}) == "0");
  auto with_phase = [&](const char* phase) {
    auto l = https_hp;
    l["phase"] = phase;
    return l;
  };
  CHECK(value(crit, "hairpin_check_total_duration_seconds", https_hp) == "0.012");
  // Blackbox-style facts of the answers.
  CHECK(value(crit, "hairpin_check_http_status_code", https_hp) == "200");
  CHECK(value(crit, "hairpin_check_dns_rcode", {{"name", "blog.debugo.fr"}, {"service", "dns/udp"}, {"type", "AAAA"}}) == "0");
  CHECK(value(crit, "hairpin_check_dns_answer_rrs", {{"name", "blog.debugo.fr"}, {"service", "dns/udp"}, {"type", "AAAA"}}) == "1");
  CHECK(value(crit, "hairpin_check_http_status_code", {{"service", "smtp"}}).empty());
  CHECK(value(crit, "hairpin_check_duration_seconds", with_phase("total")).empty());  // not a phase: sums stay true
  CHECK(value(crit, "hairpin_check_duration_seconds", with_phase("tls")) == "0.006");
  CHECK(value(crit, "hairpin_check_duration_seconds", with_phase("connect")) == "0.003");
  CHECK(value(crit, "hairpin_cert_not_after_timestamp_seconds",
              {{"name", "mail.debugo.fr"}, {"type", "A"}, {"service", "imaps"}, {"path", "hairpin"}}) ==
        std::to_string(samples::finished_at + 20 * 86400 + 60));
  CHECK(value(crit, "hairpin_zone_serial", {{"view", "intra"}, {"zone", "debugo.fr"}, {"source", "file"}}) ==
        "2024091101");
  CHECK(value(crit, "hairpin_zone_serial", {{"view", "intra"}, {"zone", "debugo.fr"}, {"source", "served"}}) ==
        "2024091101");
  const auto warn = parse(samples::warnings());
  CHECK(value(warn, "hairpin_zone_serial", {{"view", "extra"}, {"zone", "debugo.fr"}, {"source", "served"}}) ==
        "2024091100");
}

TEST_CASE("prometheus: two checks that differ only by type are two series, never one") {
  // The same name asked over dns/udp for A and for AAAA, same server and path: the AAAA answer is
  // wrong. Merged into one series (or labelled alike), one of them would hide behind the other.
  hc::run_result r;
  hc::check_result c;
  c.name = "blog.debugo.fr";
  c.service = "dns/udp";
  c.path = "hairpin";
  c.address = "203.0.113.1";
  c.port = 53;
  c.ok = true;
  c.stage = "done";
  c.duration_s = 0.002;
  c.type = "A";
  r.checks.push_back(c);
  c.type = "AAAA";
  c.ok = false;
  c.stage = "receive";
  c.duration_s = 0.5;
  r.checks.push_back(c);
  // TLS services too: the certificate of the IPv4 target and of the IPv6 one.
  hc::check_result t = c;
  t.service = "https";
  t.port = 443;
  t.ok = true;
  t.type = "A";
  t.cert_not_after = samples::finished_at + 86400;
  r.checks.push_back(t);
  t.type = "AAAA";
  t.address = "2001:db8::1";
  t.cert_not_after = samples::finished_at + 2 * 86400;
  r.checks.push_back(t);
  const auto all = parse(r);
  const std::map<std::string, std::string> a{{"name", "blog.debugo.fr"}, {"type", "A"}, {"service", "dns/udp"}};
  const std::map<std::string, std::string> aaaa{{"name", "blog.debugo.fr"}, {"type", "AAAA"}, {"service", "dns/udp"}};
  CHECK(value(all, "hairpin_check_success", a) == "1");
  CHECK(value(all, "hairpin_check_success", aaaa) == "0");
  CHECK(value(all, "hairpin_check_total_duration_seconds", a) == "0.002");
  CHECK(value(all, "hairpin_check_total_duration_seconds", aaaa) == "0.5");
  CHECK(value(all, "hairpin_cert_not_after_timestamp_seconds", {{"type", "A"}}) ==
        std::to_string(samples::finished_at + 86400));
  CHECK(value(all, "hairpin_cert_not_after_timestamp_seconds", {{"type", "AAAA"}}) ==
        std::to_string(samples::finished_at + 2 * 86400));
  std::size_t success = 0;
  for (const auto& s : all)
    if (s.name == "hairpin_check_success") ++success;
  CHECK(success == 4);
  // The all_ok sample holds such a pair too.
  const auto ok = parse(samples::all_ok());
  const std::map<std::string, std::string> dns_hp{{"name", "blog.debugo.fr"}, {"service", "dns/udp"}, {"path", "hairpin"}};
  auto with_type = [&](const char* type) {
    auto l = dns_hp;
    l["type"] = type;
    return l;
  };
  CHECK(value(ok, "hairpin_check_success", with_type("A")) == "1");
  CHECK(value(ok, "hairpin_check_success", with_type("AAAA")) == "1");
}

TEST_CASE("prometheus: label values escaped, duplicate series merged, no scientific notation") {
  const std::string text = render_prometheus(samples::special_chars());
  CHECK(text.find(R"(name="we\"ird\\name\nx")") != std::string::npos);
  CHECK(text.find(R"(view="in\"tra")") != std::string::npos);
  CHECK(text.find('e' + std::string("-0")) == std::string::npos);
  const auto sp = parse(samples::special_chars());
  CHECK(value(sp, "hairpin_check_success", {{"name", "we\"ird\\name\nx"}}) == "0");  // ok AND failed
  CHECK(value(sp, "hairpin_check_total_duration_seconds", {{"name", "we\"ird\\name\nx"}}) == "12345678.5");
  CHECK(value(sp, "hairpin_zone_serial", {{"source", "served"}}) == "4294967295");
  CHECK(value(sp, "hairpin_run_duration_seconds") == "0");
}

TEST_CASE("prometheus: static mode has run metrics and zone serials but no check series") {
  const std::string text = render_prometheus(samples::static_mode());
  CHECK(text.find("hairpin_check_success") == std::string::npos);
  CHECK(text.find("hairpin_zone_serial{view=\"extra\",zone=\"debugo.fr\",source=\"file\"} 2024091101") !=
        std::string::npos);
  CHECK(text.find("hairpin_status 1\n") != std::string::npos);
}
