#include <doctest/doctest.h>

#include "report/report.hpp"
#include "samples.hpp"
#include "validators.hpp"

namespace samples = hc::report::samples;
using hc::report::render_nagios;
using hc::report::testing::nagios_state;
using hc::report::testing::split_lines;
using hc::report::testing::validate_nagios;

TEST_CASE("nagios: every sample follows the plugin guidelines' grammar and states its status") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto r = s.make();
    const std::string out = render_nagios(r, {});
    CHECK(validate_nagios(out) == std::vector<std::string>{});
    CHECK(nagios_state(out) == hc::status_name(r.status()));
  }
}

TEST_CASE("nagios: the validator rejects what the guidelines forbid") {
  CHECK(!validate_nagios("HAIRPIN OK - fine | 'a'=1e-5s\n").empty());          // scientific notation
  CHECK(!validate_nagios("HAIRPIN OK - fine | 'a'=1days\n").empty());          // unknown UOM
  CHECK(!validate_nagios("HAIRPIN OK - fine | 'a=b'=1\n").empty());            // '=' in label
  CHECK(!validate_nagios("HAIRPIN OK - fine\nline | with pipe\n").empty());    // '|' in long output
  CHECK(!validate_nagios("HAIRPIN MAYBE - fine\n").empty());
  CHECK(validate_nagios("HAIRPIN OK - fine | 'a b'=0.5s;1;5;0; 'c'=3;30:;14:\nmore\n").empty());
}

TEST_CASE("nagios: summary, perfdata and long output of a critical run") {
  const std::string out = render_nagios(samples::critical(), {});
  const auto lines = split_lines(out);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0].rfind("HAIRPIN CRITICAL - 3 critical, 3 warning: ", 0) == 0);
  CHECK(lines[0].find("'blog.debugo.fr_https_hairpin'=0.012s;1;5;0") != std::string::npos);
  CHECK(lines[0].find("'blog.debugo.fr_https_hairpin_cert_days'=84;30:;14:") != std::string::npos);
  CHECK(lines[0].find("'findings_critical'=3;;;0") != std::string::npos);
  CHECK(lines[0].find("'mail.debugo.fr_smtp_hairpin'=3s;1;5;0") != std::string::npos);
  CHECK(lines[1].rfind("[CRITICAL] leak intranet.debugo.fr A (view extra): ", 0) == 0);  // by kind
  CHECK(lines[3].rfind("[CRITICAL] unexpected-source blog.debugo.fr A dns/udp hairpin (view extra): reply from "
                       "198.18.1.53#53, expected 203.0.113.1#53 \xE2\x80\x94 fix: iptables -t nat",
                       0) == 0);
  CHECK(out.find("[FAILED] mail.debugo.fr smtp hairpin 203.0.113.2:25 at connect: no answer within 3 s") !=
        std::string::npos);
}

TEST_CASE("nagios: OK and static summaries") {
  CHECK(split_lines(render_nagios(samples::all_ok(), {}))[0].rfind("HAIRPIN OK - 5 checks ok, 1 info | ", 0) == 0);
  CHECK(split_lines(render_nagios(samples::static_mode(), {}))[0].rfind("HAIRPIN WARNING - 2 warning: ", 0) == 0);
  CHECK(split_lines(render_nagios(hc::run_result{}, {}))[0].rfind("HAIRPIN OK - no findings, static checks only", 0) ==
        0);
}

TEST_CASE("nagios: thresholds come from the options") {
  hc::report::nagios_options o;
  o.warn_seconds = 0.25;
  o.crit_seconds = 2.5;
  o.cert_warn_days = 21;
  o.cert_crit_days = 7;
  const std::string out = render_nagios(samples::all_ok(), o);
  CHECK(out.find("'blog.debugo.fr_https_hairpin'=0.012s;0.25;2.5;0") != std::string::npos);
  CHECK(out.find("_cert_days'=84;21:;7:") != std::string::npos);
}

TEST_CASE("nagios: labels and texts are sanitized") {
  const std::string out = render_nagios(samples::special_chars(), {});
  CHECK(validate_nagios(out).empty());
  const auto first = split_lines(out)[0];
  CHECK(first.find("'we\"ird\\name x_tcp/8080_hairpin'=0s;1;5;0") != std::string::npos);
  // The duplicate label gets the address; a huge duration stays in fixed notation.
  CHECK(first.find("'we\"ird\\name x_tcp/8080_hairpin_2001:db8::1'=12345678.5s") != std::string::npos);
  CHECK(out.find("# _quoted_ = x") == std::string::npos);  // fix text is long output, not a label: kept as is
  CHECK(out.find("# 'quoted' = x") != std::string::npos);
  CHECK(out.find("connection refused \xC2\xA6 RST") != std::string::npos);
}

TEST_CASE("nagios: output stays bounded with thousands of checks and findings") {
  hc::run_result r = samples::critical();
  for (int i = 0; i < 3000; ++i) {
    hc::check_result c = r.checks[2];
    c.name = "host" + std::to_string(i) + ".debugo.fr";
    r.checks.push_back(c);
    r.findings.push_back({.kind = hc::finding_kind::tls_verify, .sev = hc::severity::critical, .name = c.name,
                          .evidence = std::string(3000, 'x')});
  }
  const std::string out = render_nagios(r, {});
  CHECK(validate_nagios(out, 4096, 8192) == std::vector<std::string>{});
  const auto lines = split_lines(out);
  CHECK(lines[0].size() <= 4096);
  CHECK(lines.size() <= 51);
  CHECK(lines.back().rfind("... and ", 0) == 0);
  CHECK(lines.back().find(" more") != std::string::npos);

  hc::report::nagios_options tight;
  tight.max_long_lines = 3;
  const auto few = split_lines(render_nagios(samples::critical(), tight));
  REQUIRE(few.size() == 4);
  CHECK(few[3] == "... and " + std::to_string(3 + 3 + 1 + 2 + 2 - 2) + " more");
}
