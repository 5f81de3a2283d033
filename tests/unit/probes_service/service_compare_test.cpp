#include <doctest/doctest.h>

#include "check/service_compare.hpp"

using namespace hc;
using hc::check::compare_service;
using hc::check::service_compare_options;
using hc::probes::probe_result;

namespace {

constexpr std::int64_t now = 1'800'000'000;

probe_result ok_result(std::string path, std::string address, std::string service = "https") {
  probe_result r;
  r.check.name = "blog.debugo.fr";
  r.check.service = std::move(service);
  r.check.path = std::move(path);
  r.check.address = std::move(address);
  r.check.port = r.check.service == "smtp" ? 25 : r.check.service == "imaps" ? 993 : 443;
  r.check.ok = true;
  r.check.stage = "done";
  r.check.detail = "HTTP 200";
  return r;
}

probe_result failed(probe_result r, std::string kind, std::string stage, std::string detail) {
  r.check.ok = false;
  r.check.stage = std::move(stage);
  r.check.detail = std::move(detail);
  r.failure = hc::kind_from_name(kind).value();
  r.hint = "own hint";
  return r;
}

probes::tls_outcome cert(std::string fp, std::int64_t not_after) {
  probes::tls_outcome t;
  t.fingerprint_sha256 = std::move(fp);
  t.subject = "CN=blog.debugo.fr";
  t.names = {"blog.debugo.fr"};
  t.not_after = not_after;
  t.verified = true;
  return t;
}

service_compare_options opts() {
  service_compare_options o;
  o.now = now;
  o.lan = "198.18.1.0/24";
  return o;
}

}  // namespace

TEST_CASE("service_compare: both paths work, same certificate: no finding") {
  auto h = ok_result("hairpin", "203.0.113.1");
  auto d = ok_result("direct", "198.18.1.10");
  h.tls = d.tls = cert("aa", now + 90 * 86400);
  CHECK(compare_service(&h, &d, opts()).empty());
}

TEST_CASE("service_compare: hairpin timeout while direct works points at the missing loopback SNAT") {
  auto h = failed(ok_result("hairpin", "203.0.113.1"), "timeout", "connect", "nothing after 5.0 s");
  auto d = ok_result("direct", "198.18.1.10");
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::timeout);
  CHECK(f[0].sev == severity::critical);
  CHECK(f[0].path == "hairpin");
  CHECK(f[0].address == "203.0.113.1");
  CHECK(f[0].service == "https");
  CHECK(f[0].evidence.find("stage connect") != std::string::npos);
  CHECK(f[0].evidence.find("direct 198.18.1.10#443 works") != std::string::npos);
  CHECK(f[0].fix.find("iptables -t nat -A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.10 -p tcp --dport 443 -j SNAT "
                      "--to-source 203.0.113.1") != std::string::npos);
}

TEST_CASE("service_compare: hairpin refused while direct works points at the DNAT") {
  auto h = failed(ok_result("hairpin", "203.0.113.1"), "refused", "connect", "connection refused");
  auto d = ok_result("direct", "198.18.1.10");
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::refused);
  CHECK(f[0].fix.find("DNAT --to-destination 198.18.1.10") != std::string::npos);
}

TEST_CASE("service_compare: both paths fail: one finding per path, the service is at fault") {
  auto h = failed(ok_result("hairpin", "203.0.113.2", "smtp"), "no-starttls", "ehlo", "no STARTTLS");
  auto d = failed(ok_result("direct", "198.18.1.20", "smtp"), "no-starttls", "ehlo", "no STARTTLS");
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 2);
  CHECK(f[0].path == "hairpin");
  CHECK(f[1].path == "direct");
  CHECK(f[0].fix.find("service itself") != std::string::npos);
}

TEST_CASE("service_compare: direct fails, hairpin works") {
  auto h = ok_result("hairpin", "203.0.113.1");
  auto d = failed(ok_result("direct", "198.18.1.10"), "refused", "connect", "connection refused");
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::refused);
  CHECK(f[0].path == "direct");
  CHECK(f[0].fix.find("hairpin works") != std::string::npos);
}

TEST_CASE("service_compare: different certificates on the two paths") {
  auto h = ok_result("hairpin", "203.0.113.1");
  auto d = ok_result("direct", "198.18.1.10");
  h.tls = cert("1111111111111111111111", now + 90 * 86400);
  d.tls = cert("2222222222222222222222", now + 90 * 86400);
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::different_backend);
  CHECK(f[0].sev == severity::critical);
  CHECK(f[0].evidence.find("1111111111111111") != std::string::npos);
  CHECK(f[0].evidence.find("2222222222222222") != std::string::npos);
}

TEST_CASE("service_compare: different SMTP banner hosts and IMAP greetings") {
  auto h = ok_result("hairpin", "203.0.113.2", "smtp");
  auto d = ok_result("direct", "198.18.1.20", "smtp");
  h.facts["banner_host"] = "router.debugo.fr";
  d.facts["banner_host"] = "mail.debugo.fr";
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::different_backend);
  CHECK(f[0].evidence.find("'router.debugo.fr'") != std::string::npos);
  CHECK(f[0].evidence.find("'mail.debugo.fr'") != std::string::npos);

  auto hi = ok_result("hairpin", "203.0.113.2", "imaps");
  auto di = ok_result("direct", "198.18.1.20", "imaps");
  hi.banner = "OK Dovecot ready.";
  di.banner = "OK Dovecot ready.";
  CHECK(compare_service(&hi, &di, opts()).empty());
  di.banner = "OK Courier-IMAP ready.";
  auto g = compare_service(&hi, &di, opts());
  REQUIRE(g.size() == 1);
  CHECK(g[0].kind == hc::finding_kind::different_backend);
}

TEST_CASE("service_compare: cert-expiry thresholds, once per certificate") {
  auto h = ok_result("hairpin", "203.0.113.1");
  auto d = ok_result("direct", "198.18.1.10");
  h.tls = d.tls = cert("aa", now + 20 * 86400 + 100);
  auto f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::cert_expiry);
  CHECK(f[0].sev == severity::warning);
  CHECK(f[0].evidence.find("expires in 20 days") != std::string::npos);

  h.tls = d.tls = cert("aa", now + 3 * 86400);
  f = compare_service(&h, &d, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].sev == severity::critical);

  auto o = opts();
  o.warning_days = 2;
  o.critical_days = 1;
  CHECK(compare_service(&h, &d, o).empty());

  // An expired certificate that failed verification is a tls-verify finding only.
  auto e = failed(ok_result("hairpin", "203.0.113.1"), "tls-verify", "tls", "certificate has expired");
  e.tls = cert("bb", now - 86400);
  f = compare_service(&e, nullptr, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::tls_verify);
}

TEST_CASE("service_compare: a single probe and the severities") {
  auto r = failed(ok_result("resolver", "198.18.1.53"), "bad-status", "response", "HTTP 500");
  auto f = check::service_findings(r, opts());
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::bad_status);
  CHECK(f[0].fix == "own hint");
  CHECK(hc::default_severity(hc::finding_kind::cert_expiry) == severity::warning);
  CHECK(hc::default_severity(hc::finding_kind::reset) == severity::critical);
  CHECK_FALSE(hc::kind_from_name("made-up"));
}
