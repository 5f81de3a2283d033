#include <doctest/doctest.h>

#include "report/report.hpp"
#include "samples.hpp"

namespace samples = hc::report::samples;
using hc::report::render_text;

TEST_CASE("text: quiet prints nothing when the status is OK, info findings included") {
  const auto ok = samples::all_ok();
  REQUIRE(hc::exit_code(ok.status()) == 0);
  REQUIRE(!ok.findings.empty());  // an info finding
  CHECK(render_text(ok, {.quiet = true}).empty());
  CHECK(render_text(hc::run_result{}, {.quiet = true}).empty());
  CHECK(!render_text(samples::warnings(), {.quiet = true}).empty());
  CHECK(!render_text(samples::unknown(), {.quiet = true}).empty());
}

TEST_CASE("text: ANSI escapes only with color") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto r = s.make();
    CHECK(render_text(r, {}).find('\x1b') == std::string::npos);
    CHECK(render_text(r, {.color = true}).find("\x1b[") != std::string::npos);
  }
}

TEST_CASE("text: critical findings come first, grouped by kind with counts, with evidence and fix") {
  const std::string t = render_text(samples::critical(), {});
  const auto crit = t.find("CRITICAL (3)");
  const auto warn = t.find("WARNING (3)");
  const auto info = t.find("INFO (1)");
  REQUIRE(crit != std::string::npos);
  REQUIRE(warn != std::string::npos);
  REQUIRE(info != std::string::npos);
  CHECK(crit < warn);
  CHECK(warn < info);
  CHECK(t.find("  unexpected-source (1)") != std::string::npos);
  CHECK(t.find("evidence: reply from 198.18.1.53#53, expected 203.0.113.1#53") != std::string::npos);
  CHECK(t.find("fix:      iptables -t nat -A POSTROUTING") != std::string::npos);
  CHECK(t.find("203.0.113.2:25") != std::string::npos);  // checks table address:port
  CHECK(t.find("FAIL") != std::string::npos);
  CHECK(t.find("notes\n") != std::string::npos);
  CHECK(t.rfind("hairpin-check: CRITICAL", 0) == 0);
}

TEST_CASE("text: static mode has no checks table but the views and zones") {
  const std::string t = render_text(samples::static_mode(), {});
  CHECK(t.find("\nchecks\n") == std::string::npos);
  CHECK(t.find("no live checks") != std::string::npos);
  CHECK(t.find("example.net") != std::string::npos);
  CHECK(t.find("intra (internal): match-clients 198.18.1.0/24, localhost") != std::string::npos);
}

TEST_CASE("text: multi-line evidence stays indented and an empty result renders") {
  const std::string t = render_text(samples::special_chars(), {});
  CHECK(t.find("\n                second line") != std::string::npos);
  const std::string empty = render_text(hc::run_result{}, {});
  CHECK(empty.rfind("hairpin-check: OK (no findings), no live checks\n", 0) == 0);
}

TEST_CASE("text: the checks table has a TYPE column after NAME, so an A and an AAAA check are two rows") {
  const std::string t = render_text(samples::all_ok(), {});
  const auto table = t.find("\nchecks\n");
  REQUIRE(table != std::string::npos);
  const auto header_end = t.find('\n', table + 8);
  const std::string header = t.substr(table + 8, header_end - table - 8);
  CHECK(header.rfind("  NAME            TYPE  SERVICE  PATH      ADDRESS", 0) == 0);
  // The A and AAAA DNS checks of one name over one path to one server: two distinct rows.
  CHECK(t.find("\n  blog.debugo.fr  A     dns/udp  hairpin   203.0.113.1:53") != std::string::npos);
  CHECK(t.find("\n  blog.debugo.fr  AAAA  dns/udp  hairpin   203.0.113.1:53") != std::string::npos);
  // A check without a type shows '-' in the column.
  hc::run_result r;
  r.checks.push_back({.name = "x.example", .service = "tcp/22", .ok = true});
  CHECK(render_text(r, {}).find("\n  x.example  -     tcp/22") != std::string::npos);
}

namespace {

// 1,000 split names, 40 leaks, and one missing MX host that 5,000 names point at.
hc::run_result many() {
  hc::run_result r;
  for (int i = 0; i < 1000; ++i)
    r.findings.push_back({.kind = hc::finding_kind::split,
                          .sev = hc::severity::info,
                          .name = "h" + std::to_string(i) + ".example.net",
                          .evidence = "intra: 198.18.1.1; extra: 203.0.113.1",
                          .fix = "nothing to do"});
  for (int i = 0; i < 40; ++i)
    r.findings.push_back({.kind = hc::finding_kind::leak,
                          .sev = hc::severity::critical,
                          .name = "leak" + std::to_string(i) + ".example.net",
                          .evidence = "extra: 198.18.0.1, inside the match-clients of view intra",
                          .fix = "remove it"});
  hc::finding gone{.kind = hc::finding_kind::dangling_target,
                   .sev = hc::severity::warning,
                   .name = "m0.example.net",
                   .view = "intra",
                   .evidence = "intra: m0.example.net MX 10 gone.example.net., and gone.example.net does not exist in view intra",
                   .fix = "add gone"};
  for (int i = 0; i < 5000; ++i) gone.names.push_back("m" + std::to_string(i) + ".example.net");
  gone.count = gone.names.size();
  r.findings.push_back(gone);
  return r;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("text: sized for people: info kinds are one line, other kinds their first causes, then what was left out") {
  const std::string t = render_text(many(), {});
  CAPTURE(t);
  CHECK(t.find("\n  split: 1,000 names, e.g. h0.example.net, h1.example.net, h2.example.net, h3.example.net, "
               "h4.example.net\n") != std::string::npos);
  CHECK(t.find("nothing to do") == std::string::npos);  // no info finding in full
  CHECK(t.find("INFO (1000)") != std::string::npos);
  CHECK(t.find("  leak (40)\n") != std::string::npos);
  CHECK(occurrences(t, "inside the match-clients of view intra") == 25);
  CHECK(t.find("    ... and 15 more leak findings (15 names, e.g. leak25.example.net, leak26.example.net, "
               "leak27.example.net, leak28.example.net, leak29.example.net): every one with -v or in --format json\n") !=
        std::string::npos);
  // One cause for 5,000 names: its count and its first names.
  CHECK(t.find("  dangling-target (1): 5,000 names\n") != std::string::npos);
  CHECK(t.find("      names:    5,000 names: m0.example.net, m1.example.net, m2.example.net, m3.example.net, "
               "m4.example.net, m5.example.net, m6.example.net, m7.example.net, m8.example.net, m9.example.net and "
               "4,990 more (every name in --format json)\n") != std::string::npos);
  CHECK(t.size() < 20000);

  const std::string v = render_text(many(), {.verbose = true});
  CHECK(occurrences(v, "inside the match-clients of view intra") == 40);
  CHECK(occurrences(v, "nothing to do") == 1000);
  CHECK(v.find("... and") == std::string::npos);
  CHECK(v.find("4,990 more (every name in --format json)") != std::string::npos);  // names stay bounded
}
