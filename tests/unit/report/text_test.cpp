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
