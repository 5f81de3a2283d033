#include "samples.hpp"

#include <cmath>
#include <iterator>
#include <limits>
#include <random>

namespace hc::report::samples {
namespace {

std::vector<view_summary> debugo_views() {
  return {
      {"intra",
       {"198.18.1.0/24", "localhost"},
       {{"debugo.fr", "primary", "/etc/bind/db.debugo.fr.intra", 12, 2024091101}}},
      {"extra", {"any"}, {{"debugo.fr", "primary", "/etc/bind/db.debugo.fr.extra", 10, 2024091101}}},
  };
}

vantage_info debugo_vantage() { return {"198.18.1.99", "intra", "extra"}; }

check_result dns(std::string name, std::string type, std::string path, std::string address, std::string view,
                 double s) {
  check_result c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.service = "dns/udp";
  c.path = std::move(path);
  c.address = std::move(address);
  c.port = 53;
  c.ok = true;
  c.stage = "done";
  c.duration_s = s;
  c.detail = "NOERROR, answer from " + c.address + "#53";
  c.zone = "debugo.fr";
  c.view = std::move(view);
  c.file_serial = 2024091101;
  c.served_serial = 2024091101;
  c.dns_rcode = 0;
  c.dns_answer_rrs = 1;
  return c;
}

check_result tls(std::string name, std::string service, std::uint16_t port, std::string path, std::string address,
                 double s, int days_left, std::string detail) {
  check_result c;
  c.name = std::move(name);
  c.type = address.find(':') != std::string::npos ? "AAAA" : "A";  // the record the target came from
  c.service = std::move(service);
  c.path = std::move(path);
  c.address = std::move(address);
  c.port = port;
  c.ok = true;
  c.stage = "done";
  c.duration_s = s;
  c.detail = std::move(detail);
  c.phases = {{"resolve", 0}, {"connect", s * 0.25}, {"tls", s * 0.5}, {"processing", s * 0.25}};
  c.cert_not_after = finished_at + static_cast<std::int64_t>(days_left) * 86400 + 3600;
  if (c.service == "https") c.http_status = 200;
  c.tls_version = c.service == "imaps" ? "TLSv1.2" : "TLSv1.3";
  return c;
}

std::vector<check_result> debugo_checks() {
  return {
      dns("blog.debugo.fr", "A", "hairpin", "203.0.113.1", "extra", 0.0021),
      dns("blog.debugo.fr", "A", "resolver", "198.18.1.53", "intra", 0.0008),
      tls("blog.debugo.fr", "https", 443, "hairpin", "203.0.113.1", 0.012, 84,
          "HTTP 200, cert blog.debugo.fr valid 84 days"),
      tls("blog.debugo.fr", "https", 443, "direct", "198.18.1.10", 0.008, 84,
          "HTTP 200, cert blog.debugo.fr valid 84 days"),
      tls("mail.debugo.fr", "imaps", 993, "hairpin", "203.0.113.2", 0.021, 60, "* OK Dovecot ready, cert mail.debugo.fr valid 60 days"),
      // The first check again for AAAA: it differs only by type, and must stay a check of its own.
      dns("blog.debugo.fr", "AAAA", "hairpin", "203.0.113.1", "extra", 0.0021),
  };
}

}  // namespace

run_result all_ok() {
  run_result r;
  r.vantage = debugo_vantage();
  r.views = debugo_views();
  r.checks = debugo_checks();
  r.findings = {{.kind = hc::finding_kind::split_via_nat,
                 .sev = severity::info,
                 .name = "blog.debugo.fr",
                 .zone = "debugo.fr",
                 .type = "A",
                 .evidence = "intra 198.18.1.10, extra 203.0.113.1; DNAT 203.0.113.1:443 -> 198.18.1.10:443"}};
  r.duration_s = 0.1534;
  r.finished_at = finished_at;
  return r;
}

run_result warnings() {
  run_result r = all_ok();
  r.checks[0].served_serial = 2024091100;
  r.checks[4].cert_not_after = finished_at + 20 * 86400 + 60;
  r.checks[4].detail = "* OK Dovecot ready, cert mail.debugo.fr valid 20 days";
  r.findings.push_back({.kind = hc::finding_kind::extra_only,
                        .sev = severity::warning,
                        .name = "shop.debugo.fr",
                        .zone = "debugo.fr",
                        .view = "intra",
                        .type = "A",
                        .evidence = "extra has shop.debugo.fr A 203.0.113.1; intra has no shop.debugo.fr",
                        .fix = "add to db.debugo.fr.intra: shop IN A 198.18.1.10"});
  r.findings.push_back({.kind = hc::finding_kind::stale_zone,
                        .sev = severity::warning,
                        .name = "debugo.fr",
                        .zone = "debugo.fr",
                        .view = "extra",
                        .type = "SOA",
                        .service = "dns/udp",
                        .path = "hairpin",
                        .address = "203.0.113.1",
                        .evidence = "served serial 2024091100, zone file has 2024091101",
                        .fix = "rndc reload debugo.fr IN extra"});
  r.findings.push_back({.kind = hc::finding_kind::cert_expiry,
                        .sev = severity::warning,
                        .name = "mail.debugo.fr",
                        .service = "imaps",
                        .path = "hairpin",
                        .address = "203.0.113.2",
                        .evidence = "certificate expires 2026-12-18T02:46:00Z, in 20 days (warning below 30)",
                        .fix = "renew the certificate: certbot renew --cert-name mail.debugo.fr"});
  return r;
}

run_result critical() {
  run_result r = warnings();
  check_result& dns_hp = r.checks[0];
  dns_hp.ok = false;
  dns_hp.stage = "receive";
  dns_hp.detail = "reply from 198.18.1.53#53, expected 203.0.113.1#53";
  dns_hp.served_serial.reset();
  check_result smtp;
  smtp.name = "mail.debugo.fr";
  smtp.type = "A";
  smtp.service = "smtp";
  smtp.path = "hairpin";
  smtp.address = "203.0.113.2";
  smtp.port = 25;
  smtp.ok = false;
  smtp.stage = "connect";
  smtp.duration_s = 3;
  smtp.detail = "no answer within 3 s";
  smtp.phases = {{"connect", 3}};
  r.checks.push_back(smtp);
  r.findings.push_back({.kind = hc::finding_kind::unexpected_source,
                        .sev = severity::critical,
                        .name = "blog.debugo.fr",
                        .zone = "debugo.fr",
                        .view = "extra",
                        .type = "A",
                        .service = "dns/udp",
                        .path = "hairpin",
                        .address = "203.0.113.1",
                        .evidence = "reply from 198.18.1.53#53, expected 203.0.113.1#53",
                        .fix = "iptables -t nat -A POSTROUTING -s 198.18.1.0/24 -d 198.18.1.53 -p udp --dport 53 -j "
                               "SNAT --to 203.0.113.1"});
  r.findings.push_back({.kind = hc::finding_kind::timeout,
                        .sev = severity::critical,
                        .name = "mail.debugo.fr",
                        .service = "smtp",
                        .path = "hairpin",
                        .address = "203.0.113.2",
                        .evidence = "no answer to the TCP SYN to 203.0.113.2:25 within 3 s",
                        .fix = "iptables -t nat -A PREROUTING -d 203.0.113.2 -p tcp --dport 25 -j DNAT --to-destination "
                               "198.18.1.20"});
  r.findings.push_back({.kind = hc::finding_kind::leak,
                        .sev = severity::critical,
                        .name = "intranet.debugo.fr",
                        .zone = "debugo.fr",
                        .view = "extra",
                        .type = "A",
                        .evidence = "extra publishes 198.18.1.30, inside intra's match-clients 198.18.1.0/24",
                        .fix = "remove intranet from db.debugo.fr.extra"});
  r.notes = {"imaps direct not checked: mail.debugo.fr has no internal address",
             "smtp greeting not compared: the hairpin path timed out"};
  r.duration_s = 3.0412;
  return r;
}

run_result unknown() {
  run_result r;
  r.vantage = {"198.18.1.99", "", ""};
  r.findings = {{.kind = hc::finding_kind::config_error,
                 .sev = severity::unknown,
                 .evidence = "/etc/bind/named.conf:14:5: unknown option 'match-client' near 'match-client'",
                 .fix = "correct named.conf; named-checkconf /etc/bind/named.conf shows the same error"}};
  r.notes = {"live checks skipped: the configuration could not be read"};
  r.duration_s = 0.0031;
  r.finished_at = finished_at;
  return r;
}

run_result static_mode() {
  run_result r;
  r.vantage = {"", "intra", "extra"};
  r.views = debugo_views();
  r.views[1].zones.push_back({"example.net", "secondary", "", std::nullopt, std::nullopt});
  r.findings = {
      {.kind = hc::finding_kind::split_via_nat,
       .sev = severity::info,
       .name = "blog.debugo.fr",
       .zone = "debugo.fr",
       .type = "A",
       .evidence = "intra 198.18.1.10, extra 203.0.113.1; DNAT 203.0.113.1:443 -> 198.18.1.10:443"},
      {.kind = hc::finding_kind::dangling_target,
       .sev = severity::warning,
       .name = "www.debugo.fr",
       .zone = "debugo.fr",
       .view = "intra",
       .type = "CNAME",
       .evidence = "www.debugo.fr CNAME web.debugo.fr: no such name in view intra",
       .fix = "add web to db.debugo.fr.intra or point www elsewhere"},
      {.kind = hc::finding_kind::zone_missing,
       .sev = severity::warning,
       .zone = "example.net",
       .view = "intra",
       .evidence = "example.net is served by extra only",
       .fix = "add zone \"example.net\" to view \"intra\", or in-view \"extra\""},
  };
  r.notes = {"--static: no network probes"};
  r.duration_s = 0.0123;
  r.finished_at = finished_at;
  return r;
}

run_result special_chars() {
  run_result r;
  r.vantage = {"2001:db8::99", "in\"tra", "ex\\tra"};
  r.views = {{"in\"tra", {"!192.0.2.1", "2001:db8::/32"}, {{"xn--caf-dma.example", "primary", "/etc/bind/db café", 3, 7}}},
             {"ex\\tra", {}, {}}};
  check_result c;
  c.name = "we\"ird\\name\nx";
  c.type = "AAAA";
  c.service = "tcp/8080";
  c.path = "hairpin";
  c.address = "2001:db8::1";
  c.port = 8080;
  c.ok = true;
  c.stage = "done";
  c.duration_s = 0.0000004;  // below a microsecond: never scientific notation
  c.detail = "banner 'a=b' | c";
  c.zone = "xn--caf-dma.example";
  c.view = "in\"tra";
  c.served_serial = 4294967295u;
  r.checks.push_back(c);
  // The same labels twice (two probes of one service): one series, success is the AND.
  check_result c2 = c;
  c2.ok = false;
  c2.stage = "connect";
  c2.duration_s = 12345678.5;
  c2.detail = "refused";
  r.checks.push_back(c2);
  r.findings = {{.kind = hc::finding_kind::refused,
                 .sev = severity::critical,
                 .name = "we\"ird\\name\nx",
                 .service = "tcp/8080",
                 .path = "hairpin",
                 .address = "2001:db8::1",
                 .evidence = "connection refused | RST from 2001:db8::1\nsecond line",
                 .fix = "nft add rule ip nat prerouting tcp dport 8080 dnat to 198.18.1.10 # 'quoted' = x"},
                {.kind = hc::finding_kind::intra_only, .sev = severity::info, .name = "café.example",
                 .evidence = "ünïcödé ✓"}};
  r.notes = {"a note with a | pipe and a\nnewline"};
  r.duration_s = 1e-9;
  r.finished_at = finished_at;
  return r;
}

namespace {

// Random strings with quotes, backslashes, control bytes, invalid UTF-8; numbers with NaN and infinities.
class generator {
 public:
  explicit generator(unsigned seed) : rng_(seed) {}

  std::string text() {
    static const std::string specials[] = {"\"", "\\", "\n", "\r", "\t", "|", "=", "'", ";", " ", "{", "}",
                                           "\xC3\xA9", "\xE2\x9C\x93", "\xFF", "\xC3", "\xED\xA0\x80", "#", "\x1b[31m",
                                           std::string(1, '\0'), "e-07", "%s", "\\n"};
    std::string s;
    const int n = pick(0, 24);
    for (int i = 0; i < n; ++i) {
      if (pick(0, 3) == 0)
        s += specials[pick(std::size_t{0}, std::size(specials) - 1)];
      else
        s.push_back(static_cast<char>(pick(0x20, 0x7e)));
    }
    return s;
  }

  double number() {
    switch (pick(0, 7)) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return std::numeric_limits<double>::infinity();
      case 2: return -std::numeric_limits<double>::infinity();
      case 3: return std::numeric_limits<double>::max();
      case 4: return -1e-9;
      case 5: return 1e-12;
      default: return std::uniform_real_distribution<double>(0, 20)(rng_);
    }
  }

  std::int64_t time() {
    switch (pick(0, 3)) {
      case 0: return std::numeric_limits<std::int64_t>::min();
      case 1: return std::numeric_limits<std::int64_t>::max();
      default: return 1795833900 + pick(-400, 400) * 86400LL;
    }
  }

  hc::severity sev() { return static_cast<hc::severity>(pick(0, 4)); }

  std::size_t pick(std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_);
  }
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  hc::run_result result() {
    hc::run_result r;
    r.vantage = {text(), text(), text()};
    for (int v = pick(0, 3); v > 0; --v) {
      hc::view_summary vs{text(), {text(), text()}, {}};
      for (int z = pick(0, 3); z > 0; --z) {
        hc::zone_summary zs{text(), text(), text(), std::nullopt, std::nullopt};
        if (pick(0, 1)) zs.records = pick(0, 100000);
        if (pick(0, 1)) zs.serial = static_cast<std::uint32_t>(rng_());
        vs.zones.push_back(zs);
      }
      r.views.push_back(vs);
    }
    for (int c = pick(0, 12); c > 0; --c) {
      hc::check_result cr;
      // Few distinct names so that label sets collide.
      cr.name = pick(0, 2) ? "n" + std::to_string(pick(0, 3)) : text();
      cr.type = pick(0, 2) ? (pick(0, 1) ? "A" : "AAAA") : text();
      cr.service = pick(0, 1) ? "https" : text();
      cr.path = pick(0, 1) ? "hairpin" : text();
      cr.address = pick(0, 1) ? "203.0.113.1" : text();
      cr.port = static_cast<std::uint16_t>(pick(0, 65535));
      cr.ok = pick(0, 1);
      cr.stage = text();
      cr.duration_s = number();
      cr.detail = text();
      for (int p = pick(0, 4); p > 0; --p) cr.phases.push_back({pick(0, 1) ? "connect" : text(), number()});
      if (pick(0, 1)) cr.cert_not_after = time();
      if (pick(0, 1)) cr.tls_version = pick(0, 1) ? "TLSv1.3" : text();
      if (pick(0, 1)) cr.served_serial = static_cast<std::uint32_t>(rng_());
      if (pick(0, 1)) cr.file_serial = static_cast<std::uint32_t>(rng_());
      cr.zone = text();
      cr.view = text();
      r.checks.push_back(cr);
    }
    for (int f = pick(0, 12); f > 0; --f)
      r.findings.push_back({hc::all_kinds()[static_cast<std::size_t>(pick(0, static_cast<int>(hc::all_kinds().size()) - 1))].kind, sev(), text(), text(), text(), text(), text(), text(), text(), text(), text()});
    for (int n = pick(0, 3); n > 0; --n) r.notes.push_back(text());
    r.duration_s = number();
    r.finished_at = pick(0, 3) ? 1795833900 : time();
    return r;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace

run_result hostile(unsigned seed) { return generator(seed).result(); }

const std::vector<named_sample>& all() {
  static const std::vector<named_sample> list{
      {"all_ok", all_ok},   {"warnings", warnings},       {"critical", critical},
      {"unknown", unknown}, {"static", static_mode}, {"special_chars", special_chars},
  };
  return list;
}

}  // namespace hc::report::samples
