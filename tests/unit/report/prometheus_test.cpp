#include <doctest/doctest.h>

#include <cctype>
#include <fstream>
#include <iterator>
#include <set>

#include "report/report.hpp"
#include "samples.hpp"
#include "validators.hpp"

namespace samples = hc::report::samples;
using hc::report::prometheus_detail;
using hc::report::render_prometheus;
using hc::report::testing::prom_sample;
using hc::report::testing::validate_prometheus;

namespace {

std::vector<prom_sample> parse(const hc::run_result& r, prometheus_detail detail = prometheus_detail::names) {
  std::vector<prom_sample> out;
  const auto errors = validate_prometheus(render_prometheus(r, {detail}), &out);
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

TEST_CASE("prometheus: the negotiated TLS version, like blackbox_exporter's probe_tls_version_info") {
  const auto crit = parse(samples::critical());
  CHECK(value(crit, "hairpin_check_tls_version_info",
              {{"name", "blog.debugo.fr"}, {"type", "A"}, {"service", "https"}, {"path", "hairpin"},
               {"address", "203.0.113.1"}, {"version", "TLS 1.3"}}) == "1");
  CHECK(value(crit, "hairpin_check_tls_version_info", {{"service", "imaps"}, {"version", "TLS 1.2"}}) == "1");
  CHECK(value(crit, "hairpin_check_tls_version_info", {{"service", "smtp"}}).empty());      // it timed out
  CHECK(value(crit, "hairpin_check_tls_version_info", {{"service", "dns/udp"}}).empty());   // no TLS
  std::size_t n = 0;
  for (const auto& s : crit)
    if (s.name == "hairpin_check_tls_version_info") ++n;
  CHECK(n == 3);
  // OpenSSL's names in blackbox's spelling; anything else as it came.
  hc::run_result r;
  for (const char* v : {"TLSv1", "TLSv1.1", "SSLv3", "QUIC?"}) {
    hc::check_result c;
    c.name = v;
    c.service = "https";
    c.tls_version = v;
    r.checks.push_back(c);
  }
  const auto all = parse(r);
  CHECK(value(all, "hairpin_check_tls_version_info", {{"name", "TLSv1"}, {"version", "TLS 1.0"}}) == "1");
  CHECK(value(all, "hairpin_check_tls_version_info", {{"name", "TLSv1.1"}, {"version", "TLS 1.1"}}) == "1");
  CHECK(value(all, "hairpin_check_tls_version_info", {{"name", "SSLv3"}, {"version", "SSL 3.0"}}) == "1");
  CHECK(value(all, "hairpin_check_tls_version_info", {{"name", "QUIC?"}, {"version", "QUIC?"}}) == "1");
  // No TLS anywhere: no family at all.
  CHECK(render_prometheus(samples::unknown()).find("tls_version") == std::string::npos);
}

TEST_CASE("prometheus: aggregate detail has series per service, path and type, never per name") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto r = s.make();
    const std::string text = render_prometheus(r, {prometheus_detail::aggregate});
    CHECK(validate_prometheus(text) == std::vector<std::string>{});
    CHECK(text.find("name=") == std::string::npos);
    CHECK(text.find("address=") == std::string::npos);
    CHECK(text.find("hairpin_check_") == std::string::npos);
  }
  const auto crit = parse(samples::critical(), prometheus_detail::aggregate);
  const std::map<std::string, std::string> dns_hp_a{{"service", "dns/udp"}, {"path", "hairpin"}, {"type", "A"}};
  auto with = [](std::map<std::string, std::string> l, const char* k, const char* v) {
    l[k] = v;
    return l;
  };
  CHECK(value(crit, "hairpin_service_checks", with(dns_hp_a, "result", "ok")) == "0");
  CHECK(value(crit, "hairpin_service_checks", with(dns_hp_a, "result", "failed")) == "1");
  CHECK(value(crit, "hairpin_service_checks", {{"service", "dns/udp"}, {"type", "AAAA"}, {"result", "ok"}}) == "1");
  CHECK(value(crit, "hairpin_service_checks", {{"service", "smtp"}, {"result", "failed"}}) == "1");
  CHECK(value(crit, "hairpin_service_duration_max_seconds", {{"service", "smtp"}}) == "3");
  CHECK(value(crit, "hairpin_service_duration_max_seconds", {{"service", "https"}, {"path", "direct"}}) == "0.008");
  CHECK(value(crit, "hairpin_service_cert_not_after_min_timestamp_seconds", {{"service", "imaps"}}) ==
        std::to_string(samples::finished_at + 20 * 86400 + 60));
  CHECK(value(crit, "hairpin_service_tls_version_checks", {{"service", "https"}, {"path", "hairpin"}, {"version", "TLS 1.3"}}) ==
        "1");
  CHECK(value(crit, "hairpin_service_tls_version_checks", {{"service", "imaps"}, {"version", "TLS 1.2"}}) == "1");
  // What does not depend on the checks' names stays.
  CHECK(value(crit, "hairpin_status") == "2");
  CHECK(value(crit, "hairpin_checks", {{"result", "failed"}}) == "2");
  CHECK(value(crit, "hairpin_zone_serial", {{"view", "intra"}, {"zone", "debugo.fr"}, {"source", "file"}}) ==
        "2024091101");
}

TEST_CASE("prometheus: with aggregate detail, 3000 names make the same series as one") {
  hc::run_result big = samples::critical();
  for (int i = 0; i < 3000; ++i) {
    hc::check_result c = big.checks[2];  // https hairpin, type A
    c.name = "host" + std::to_string(i) + ".debugo.fr";
    c.address = "203.0.113." + std::to_string(i % 250);
    c.duration_s = i == 1234 ? 7.5 : 0.01;
    c.ok = i != 99;
    c.cert_not_after = samples::finished_at + 3 * 86400;
    c.tls_version = i % 2 ? "TLSv1.2" : "TLSv1.3";
    big.checks.push_back(c);
  }
  auto series = [](const std::vector<prom_sample>& all) {
    std::set<std::string> out;
    for (const auto& s : all) {
      std::string key = s.name;
      for (const auto& [k, v] : s.labels) key += ',' + k + '=' + v;
      out.insert(key);
    }
    return out;
  };
  const auto small = parse(samples::critical(), prometheus_detail::aggregate);
  const auto many = parse(big, prometheus_detail::aggregate);
  auto small_series = series(small);
  // The one new label value: the TLS 1.2 checks of https hairpin.
  small_series.insert("hairpin_service_tls_version_checks,path=hairpin,service=https,type=A,version=TLS 1.2");
  CHECK(series(many) == small_series);
  CHECK(parse(big).size() > 3000 * 4);  // per name, for comparison
  const std::map<std::string, std::string> https_hp{{"service", "https"}, {"path", "hairpin"}, {"type", "A"}};
  auto with = [&](const char* k, const char* v) {
    auto l = https_hp;
    l[k] = v;
    return l;
  };
  CHECK(value(many, "hairpin_service_checks", with("result", "ok")) == "3000");
  CHECK(value(many, "hairpin_service_checks", with("result", "failed")) == "1");
  CHECK(value(many, "hairpin_service_duration_max_seconds", https_hp) == "7.5");
  CHECK(value(many, "hairpin_service_cert_not_after_min_timestamp_seconds", https_hp) ==
        std::to_string(samples::finished_at + 3 * 86400));
  CHECK(value(many, "hairpin_service_tls_version_checks", with("version", "TLS 1.3")) == "1501");
  CHECK(value(many, "hairpin_service_tls_version_checks", with("version", "TLS 1.2")) == "1500");
}

TEST_CASE("prometheus: the README and the man page name every metric the writer produces") {
  std::set<std::string> families;
  std::vector<hc::run_result> models;
  for (const auto& s : samples::all()) models.push_back(s.make());
  for (unsigned seed = 0; seed < 20; ++seed) models.push_back(samples::hostile(seed));
  for (const auto& r : models)
    for (auto detail : {prometheus_detail::names, prometheus_detail::aggregate}) {
      std::vector<prom_sample> all;
      validate_prometheus(render_prometheus(r, {detail}), &all);
      for (const auto& s : all) families.insert(s.name);
    }
  CHECK(families.size() >= 20);
  for (const char* doc : {"/README.md", "/docs/hairpin-check.1"}) {
    std::ifstream in(std::string(HC_SOURCE_DIR) + doc);
    REQUIRE(in);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& f : families) {
      CAPTURE(doc);
      CAPTURE(f);
      // A whole word: hairpin_checks must not pass because hairpin_checks_failed is there.
      bool found = false;
      for (auto at = text.find(f); at != std::string::npos && !found; at = text.find(f, at + 1)) {
        const std::size_t end = at + f.size();
        found = end == text.size() || !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_');
      }
      CHECK(found);
    }
  }
}
