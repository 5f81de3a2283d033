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
  CHECK(!validate_nagios("HAIRPIN OK - fine\nfix \xE2\x80\x94 this\n").empty());  // not ASCII
  CHECK(!validate_nagios("HAIRPIN OK - caf\xC3\xA9\n").empty());
  CHECK(validate_nagios("HAIRPIN OK - fine | 'a b'=0.5s;1;5;0; 'c'=3;30:;14:\nmore\n").empty());
  CHECK(validate_nagios("HAIRPIN OK - fine | 'a'=0.5s;@0:100;~:2.5;0 'b'=1s;;;0\n").empty());
}

TEST_CASE("nagios: summary, perfdata and long output of a critical run") {
  const std::string out = render_nagios(samples::critical(), {});
  const auto lines = split_lines(out);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[0].rfind("HAIRPIN CRITICAL - 3 critical, 3 warning: ", 0) == 0);
  CHECK(lines[0].find("'blog.debugo.fr_A_https_hairpin'=0.012s;;;0") != std::string::npos);
  CHECK(lines[0].find("'blog.debugo.fr_A_https_hairpin_cert_days'=84;30:;14:") != std::string::npos);
  CHECK(lines[0].find("'findings_critical'=3;;;0") != std::string::npos);
  CHECK(lines[0].find("'mail.debugo.fr_A_smtp_hairpin'=3s;;;0") != std::string::npos);
  CHECK(lines[1].rfind("[CRITICAL] leak intranet.debugo.fr A (view extra): ", 0) == 0);  // by kind
  CHECK(lines[3].rfind("[CRITICAL] unexpected-source blog.debugo.fr A dns/udp hairpin (view extra): reply from "
                       "198.18.1.53#53, expected 203.0.113.1#53 - fix: iptables -t nat",
                       0) == 0);
  CHECK(out.find("[FAILED] mail.debugo.fr A smtp hairpin 203.0.113.2:25 at connect: no answer within 3 s") !=
        std::string::npos);
  // The failed A check and the passing AAAA check of the same name, service, path and server.
  CHECK(out.find("[FAILED] blog.debugo.fr A dns/udp hairpin 203.0.113.1:53 at receive: ") != std::string::npos);
  CHECK(out.find("[FAILED] blog.debugo.fr AAAA") == std::string::npos);
}

TEST_CASE("nagios: OK and static summaries") {
  CHECK(split_lines(render_nagios(samples::all_ok(), {}))[0].rfind("HAIRPIN OK - 6 checks ok, 1 info | ", 0) == 0);
  CHECK(split_lines(render_nagios(samples::static_mode(), {}))[0].rfind("HAIRPIN WARNING - 2 warning: ", 0) == 0);
  CHECK(split_lines(render_nagios(hc::run_result{}, {}))[0].rfind("HAIRPIN OK - no findings, static checks only", 0) ==
        0);
}

TEST_CASE("nagios: thresholds come from the options, in range syntax") {
  hc::report::nagios_options o;
  o.warning = hc::nagios_range::parse("0.25");
  o.critical = hc::nagios_range::parse("2.5");
  o.cert_warn_days = 21;
  o.cert_crit_days = 7;
  const std::string out = render_nagios(samples::all_ok(), o);
  CHECK(out.find("'blog.debugo.fr_A_https_hairpin'=0.012s;0.25;2.5;0") != std::string::npos);
  CHECK(out.find("_cert_days'=84;21:;7:") != std::string::npos);

  hc::report::nagios_options ranges;
  ranges.warning = hc::nagios_range::parse("@0:100");
  ranges.critical = hc::nagios_range::parse("~:0.000001");
  const std::string r = render_nagios(samples::all_ok(), ranges);
  CHECK(validate_nagios(r).empty());
  CHECK(r.find("'blog.debugo.fr_A_https_hairpin'=0.012s;@0:100;~:0.000001;0") != std::string::npos);

  hc::report::nagios_options only_critical;
  only_critical.critical = hc::nagios_range::parse("5");
  CHECK(render_nagios(samples::all_ok(), only_critical).find("'blog.debugo.fr_A_https_hairpin'=0.012s;;5;0") !=
        std::string::npos);
}

TEST_CASE("nagios: without -w/-c the perfdata carry no response time thresholds") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto first = split_lines(render_nagios(s.make(), {}))[0];
    const auto bar = first.find(" | ");
    if (bar == std::string::npos) continue;
    // Every item ending in seconds: value, two empty thresholds, min 0.
    std::size_t at = bar + 3;
    while (at < first.size()) {
      auto end = first.find(' ', first.find("'=", at));
      if (end == std::string::npos) end = first.size();
      const std::string item = first.substr(at, end - at);
      CAPTURE(item);
      const auto eq = item.rfind("'=");
      const auto semi = item.find(';', eq);
      if (semi != std::string::npos && item[semi - 1] == 's') CHECK(item.substr(semi) == ";;;0");
      at = end + 1;
    }
    CHECK(first.find(";1;5;") == std::string::npos);
  }
}

TEST_CASE("nagios: the output is ASCII, with look-alikes for our own punctuation") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    for (char c : render_nagios(s.make(), {})) CHECK(static_cast<unsigned char>(c) < 0x80);
  }
  hc::run_result r;
  r.findings.push_back({.kind = hc::finding_kind::split_via_nat, .sev = hc::severity::info, .name = "caf\xC3\xA9.example",
                        .evidence = "DNAT 203.0.113.1:443 \xE2\x86\x92 198.18.1.10:443 \xE2\x80\x94 \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x9C\x93 \xFF",
                        .fix = "a | b"});
  r.notes.push_back("NAT: 203.0.113.1 \xE2\x86\x92 198.18.1.10\xE2\x80\xA6");
  const std::string out = render_nagios(r, {});
  CHECK(validate_nagios(out).empty());
  CHECK(out.find("[INFO] split-via-nat caf?.example: DNAT 203.0.113.1:443 -> 198.18.1.10:443 - \"quoted\" ? ? - fix: a / b\n") !=
        std::string::npos);
  CHECK(out.find("note: NAT: 203.0.113.1 -> 198.18.1.10...\n") != std::string::npos);
}

TEST_CASE("nagios: a run that could not start is one UNKNOWN line") {
  CHECK(hc::report::render_nagios_unknown("The following argument was not expected: --frobnicate") ==
        "HAIRPIN UNKNOWN - The following argument was not expected: --frobnicate\n");
  const std::string odd = hc::report::render_nagios_unknown("'caf\xC3\xA9 | x'\nis not\ta name");
  CHECK(odd == "HAIRPIN UNKNOWN - 'caf? / x' is not a name\n");
  CHECK(validate_nagios(odd).empty());
  CHECK(hc::report::render_nagios_unknown("") == "HAIRPIN UNKNOWN - usage error\n");
  CHECK(hc::report::render_nagios_unknown(std::string(10000, 'x')).size() <= 4097);
}

TEST_CASE("nagios: labels and texts are sanitized") {
  const std::string out = render_nagios(samples::special_chars(), {});
  CHECK(validate_nagios(out).empty());
  const auto first = split_lines(out)[0];
  CHECK(first.find("'we\"ird\\name x_AAAA_tcp/8080_hairpin'=0s;;;0") != std::string::npos);
  // The duplicate label gets the address; a huge duration stays in fixed notation.
  CHECK(first.find("'we\"ird\\name x_AAAA_tcp/8080_hairpin_2001:db8::1'=12345678.5s") != std::string::npos);
  CHECK(out.find("# _quoted_ = x") == std::string::npos);  // fix text is long output, not a label: kept as is
  CHECK(out.find("# 'quoted' = x") != std::string::npos);
  CHECK(out.find("connection refused / RST") != std::string::npos);
}

TEST_CASE("nagios: an A and an AAAA check never share a perfdata label") {
  // The same name asked over dns/udp for A and for AAAA, same server and path.
  hc::run_result r;
  hc::check_result c;
  c.name = "blog.debugo.fr";
  c.service = "dns/udp";
  c.path = "hairpin";
  c.address = "203.0.113.1";
  c.port = 53;
  c.ok = true;
  c.duration_s = 0.002;
  c.type = "AAAA";  // AAAA first: the labels must not depend on the order of the checks
  r.checks.push_back(c);
  c.type = "A";
  c.duration_s = 0.004;
  r.checks.push_back(c);
  const std::string first = split_lines(render_nagios(r, {}))[0];
  CHECK(validate_nagios(first + '\n').empty());
  CHECK(first.find("'blog.debugo.fr_A_dns/udp_hairpin'=0.004s;;;0") != std::string::npos);
  CHECK(first.find("'blog.debugo.fr_AAAA_dns/udp_hairpin'=0.002s;;;0") != std::string::npos);
  CHECK(first.find("_hairpin_") == std::string::npos);  // neither needed the address or a number to be unique
  // The all_ok sample holds such a pair as well.
  const std::string ok = split_lines(render_nagios(samples::all_ok(), {}))[0];
  CHECK(ok.find("'blog.debugo.fr_A_dns/udp_hairpin'=0.0021s;;;0") != std::string::npos);
  CHECK(ok.find("'blog.debugo.fr_AAAA_dns/udp_hairpin'=0.0021s;;;0") != std::string::npos);
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
