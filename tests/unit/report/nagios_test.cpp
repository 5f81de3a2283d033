#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "report/report.hpp"
#include "samples.hpp"
#include "validators.hpp"

namespace samples = hc::report::samples;
using hc::report::render_nagios;
using hc::report::testing::nagios_state;
using hc::report::testing::split_lines;
using hc::report::testing::validate_nagios;

namespace {

hc::report::nagios_options per_check() {
  hc::report::nagios_options o;
  o.perfdata = hc::report::perfdata_set::checks;
  return o;
}

// The perfdata items of a first line ("'label'=value;..." each).
std::vector<std::string> perf_items(const std::string& first) {
  std::vector<std::string> items;
  const auto bar = first.find(" | ");
  if (bar == std::string::npos) return items;
  std::size_t at = bar + 3;
  while (at < first.size()) {
    auto end = first.find(' ', first.find("'=", at));
    if (end == std::string::npos) end = first.size();
    items.push_back(first.substr(at, end - at));
    at = end + 1;
  }
  return items;
}

}  // namespace

TEST_CASE("nagios: every sample follows the plugin guidelines' grammar and states its status") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto r = s.make();
    const std::string out = render_nagios(r, {});
    CHECK(validate_nagios(out) == std::vector<std::string>{});
    CHECK(nagios_state(out) == hc::status_name(r.status()));
    const std::string checks = render_nagios(r, per_check());
    CHECK(validate_nagios(checks) == std::vector<std::string>{});
    CHECK(nagios_state(checks) == hc::status_name(r.status()));
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
  // The bounded set: totals, then per service and path, then certificate days per service.
  const std::string perf = lines[0].substr(lines[0].find(" | ") + 3);
  CHECK(perf ==
        "'findings_critical'=3;;;0 'findings_warning'=3;;;0 'findings_unknown'=0;;;0 'checks_failed'=2;;;0;7 "
        "'run_duration'=3.0412s;;;0 "
        "'dns/udp_hairpin_checks'=2;;;0 'dns/udp_hairpin_failed'=1;;;0;2 'dns/udp_hairpin_worst_time'=0.0021s;;;0 "
        "'dns/udp_resolver_checks'=1;;;0 'dns/udp_resolver_failed'=0;;;0;1 'dns/udp_resolver_worst_time'=0.0008s;;;0 "
        "'https_direct_checks'=1;;;0 'https_direct_failed'=0;;;0;1 'https_direct_worst_time'=0.008s;;;0 "
        "'https_hairpin_checks'=1;;;0 'https_hairpin_failed'=0;;;0;1 'https_hairpin_worst_time'=0.012s;;;0 "
        "'imaps_hairpin_checks'=1;;;0 'imaps_hairpin_failed'=0;;;0;1 'imaps_hairpin_worst_time'=0.021s;;;0 "
        "'smtp_hairpin_checks'=1;;;0 'smtp_hairpin_failed'=1;;;0;1 'smtp_hairpin_worst_time'=3s;;;0 "
        "'https_cert_days_min'=84;30:;7: 'imaps_cert_days_min'=20;30:;7:");
  // Per check only when asked for, after the same set.
  const std::string checks = split_lines(render_nagios(samples::critical(), per_check()))[0];
  CHECK(checks.rfind(lines[0], 0) == 0);
  CHECK(checks.find("'blog.debugo.fr_A_https_hairpin'=0.012s;;;0") != std::string::npos);
  CHECK(checks.find("'blog.debugo.fr_A_https_hairpin_cert_days'=84;30:;7:") != std::string::npos);
  CHECK(checks.find("'mail.debugo.fr_A_smtp_hairpin'=3s;;;0") != std::string::npos);
  CHECK(lines[0].find("blog.debugo.fr") == lines[0].rfind("blog.debugo.fr"));  // the summary names it once
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
  CHECK(out.find("'https_hairpin_worst_time'=0.012s;0.25;2.5;0") != std::string::npos);
  CHECK(out.find("'https_cert_days_min'=84;21:;7:") != std::string::npos);
  CHECK(out.find("'https_hairpin_checks'=1;;;0") != std::string::npos);  // counts: no time thresholds
  o.perfdata = hc::report::perfdata_set::checks;
  const std::string checks = render_nagios(samples::all_ok(), o);
  CHECK(checks.find("'blog.debugo.fr_A_https_hairpin'=0.012s;0.25;2.5;0") != std::string::npos);
  CHECK(checks.find("_cert_days'=84;21:;7:") != std::string::npos);

  hc::report::nagios_options ranges;
  ranges.warning = hc::nagios_range::parse("@0:100");
  ranges.critical = hc::nagios_range::parse("~:0.000001");
  const std::string r = render_nagios(samples::all_ok(), ranges);
  CHECK(validate_nagios(r).empty());
  CHECK(r.find("'dns/udp_hairpin_worst_time'=0.0021s;@0:100;~:0.000001;0") != std::string::npos);

  hc::report::nagios_options only_critical;
  only_critical.critical = hc::nagios_range::parse("5");
  CHECK(render_nagios(samples::all_ok(), only_critical).find("'imaps_hairpin_worst_time'=0.021s;;5;0") !=
        std::string::npos);
  only_critical.perfdata = hc::report::perfdata_set::checks;
  CHECK(render_nagios(samples::all_ok(), only_critical).find("'blog.debugo.fr_A_https_hairpin'=0.012s;;5;0") !=
        std::string::npos);
}

TEST_CASE("nagios: without -w/-c the perfdata carry no response time thresholds") {
  for (const auto& s : samples::all())
    for (const auto& o : {hc::report::nagios_options{}, per_check()}) {
      CAPTURE(s.name);
      const auto first = split_lines(render_nagios(s.make(), o))[0];
      // Every item ending in seconds: value, two empty thresholds, min 0.
      for (const auto& item : perf_items(first)) {
        CAPTURE(item);
        const auto eq = item.rfind("'=");
        const auto semi = item.find(';', eq);
        if (semi != std::string::npos && item[semi - 1] == 's') CHECK(item.substr(semi) == ";;;0");
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
  const std::string out = render_nagios(samples::special_chars(), per_check());
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
  const std::string first = split_lines(render_nagios(r, per_check()))[0];
  CHECK(validate_nagios(first + '\n').empty());
  CHECK(first.find("'blog.debugo.fr_A_dns/udp_hairpin'=0.004s;;;0") != std::string::npos);
  CHECK(first.find("'blog.debugo.fr_AAAA_dns/udp_hairpin'=0.002s;;;0") != std::string::npos);
  // Neither needed the address or a number to be unique.
  CHECK(first.find("_hairpin_203.0.113.1'") == std::string::npos);
  CHECK(first.find("_hairpin_2'") == std::string::npos);
  // The all_ok sample holds such a pair as well.
  const std::string ok = split_lines(render_nagios(samples::all_ok(), per_check()))[0];
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
  for (const auto& o : {hc::report::nagios_options{}, per_check()}) {
    const std::string out = render_nagios(r, o);
    CHECK(validate_nagios(out, 4096, 8192) == std::vector<std::string>{});
    const auto lines = split_lines(out);
    CHECK(lines[0].size() <= 4096);
    CHECK(lines.size() <= 51);
    CHECK(lines.back().rfind("... and ", 0) == 0);
    CHECK(lines.back().find(" more") != std::string::npos);
  }

  hc::report::nagios_options tight;
  tight.max_long_lines = 3;
  const auto few = split_lines(render_nagios(samples::critical(), tight));
  REQUIRE(few.size() == 4);
  CHECK(few[3] == "... and " + std::to_string(3 + 3 + 1 + 2 + 2 - 2) + " more");
}

TEST_CASE("nagios: the default perfdata are the same set for 7 checks and for 3000 names") {
  hc::run_result big = samples::critical();
  for (int i = 0; i < 3000; ++i) {
    hc::check_result c = big.checks[2];  // https hairpin
    c.name = "host" + std::to_string(i) + ".debugo.fr";
    c.duration_s = i == 1234 ? 7.5 : 0.01;
    c.ok = i != 99;
    c.cert_not_after = samples::finished_at + 3 * 86400;
    big.checks.push_back(c);
  }
  const auto small_items = perf_items(split_lines(render_nagios(samples::critical(), {}))[0]);
  const std::string out = render_nagios(big, {});
  const auto big_items = perf_items(split_lines(out)[0]);
  REQUIRE(big_items.size() == small_items.size());
  for (std::size_t i = 0; i < big_items.size(); ++i)
    CHECK(big_items[i].substr(0, big_items[i].find("'=")) == small_items[i].substr(0, small_items[i].find("'=")));
  CHECK(std::find(big_items.begin(), big_items.end(), "'https_hairpin_checks'=3001;;;0") != big_items.end());
  CHECK(std::find(big_items.begin(), big_items.end(), "'https_hairpin_failed'=1;;;0;3001") != big_items.end());
  CHECK(std::find(big_items.begin(), big_items.end(), "'https_hairpin_worst_time'=7.5s;;;0") != big_items.end());
  CHECK(std::find(big_items.begin(), big_items.end(), "'https_cert_days_min'=3;30:;7:") != big_items.end());
  CHECK(out.find("items left out") == std::string::npos);  // nothing had to go
}

TEST_CASE("nagios: perfdata that do not fit are left out whole, and the long output says how many") {
  hc::run_result r = samples::critical();
  for (int i = 0; i < 300; ++i) {
    hc::check_result c = r.checks[5];  // dns/udp hairpin AAAA: no certificate
    c.name = "host" + std::to_string(i) + ".debugo.fr";
    r.checks.push_back(c);
  }
  const std::string out = render_nagios(r, per_check());
  CHECK(validate_nagios(out) == std::vector<std::string>{});
  const auto lines = split_lines(out);
  CHECK(lines[0].size() <= 4096);
  const auto items = perf_items(lines[0]);
  // The summary set (5 totals, 6 groups of 3, 2 certificate minimums), then one per check and per certificate.
  const std::size_t all = 5 + 6 * 3 + 2 + r.checks.size() + 3;
  REQUIRE(items.size() < all);
  CHECK(lines[1] == "perfdata: " + std::to_string(all - items.size()) + " items left out, see --perfdata");
  CHECK(items.back().find("'=") != std::string::npos);  // the last item whole
  CHECK(lines[2].rfind("[CRITICAL] leak ", 0) == 0);   // the findings follow

  // A tighter limit, as another Nagios build might keep.
  hc::report::nagios_options tight = per_check();
  tight.max_first_line = 300;
  const auto few = split_lines(render_nagios(samples::all_ok(), tight));
  CHECK(few[0].size() <= 300);
  const std::size_t all_ok_items = 5 + 5 * 3 + 2 + 6 + 3;
  CHECK(few[1] == "perfdata: " + std::to_string(all_ok_items - perf_items(few[0]).size()) +
                      " items left out, see --perfdata");
  CHECK(render_nagios(samples::all_ok(), {}).find("left out") == std::string::npos);
}

TEST_CASE("nagios: a finding for many names shows how many and the first three") {
  hc::run_result r;
  hc::finding f;
  f.kind = hc::finding_kind::nat_no_loopback;
  f.sev = hc::severity::critical;
  f.service = "https";
  f.evidence = "DNAT 203.0.113.1:443 -> 198.18.1.10:443 without SNAT for 198.18.1.0/24";
  f.fix = "iptables -t nat -A POSTROUTING ...";
  f.count = 1000;
  for (int i = 0; i < 1000; ++i) f.names.push_back("host" + std::to_string(i) + ".debugo.fr");
  f.names[1] = std::string(5000, 'x');  // a hostile name stays bounded
  r.findings.push_back(f);
  const std::string out = render_nagios(r, {});
  CHECK(validate_nagios(out) == std::vector<std::string>{});
  const auto lines = split_lines(out);
  CHECK(lines[0].rfind("HAIRPIN CRITICAL - 1 critical: nat-no-loopback 1000 names | ", 0) == 0);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].rfind("[CRITICAL] nat-no-loopback https (1000 names, e.g. host0.debugo.fr, " + std::string(77, 'x') +
                           "..., host2.debugo.fr): DNAT 203.0.113.1:443",
                       0) == 0);
  CHECK(lines[1].find("host3.debugo.fr") == std::string::npos);

  // A count without the list, and one name.
  r.findings[0].names.clear();
  CHECK(render_nagios(r, {}).find("[CRITICAL] nat-no-loopback https (1000 names): DNAT") != std::string::npos);
  r.findings[0].count = 1;
  r.findings[0].names = {"blog.debugo.fr"};
  CHECK(render_nagios(r, {}).find("[CRITICAL] nat-no-loopback https (1 name, e.g. blog.debugo.fr): DNAT") !=
        std::string::npos);
  // count 0: a finding about its own name, as before.
  r.findings[0].count = 0;
  r.findings[0].name = "blog.debugo.fr";
  CHECK(render_nagios(r, {}).find("[CRITICAL] nat-no-loopback blog.debugo.fr https: DNAT") != std::string::npos);
}

TEST_CASE("nagios: perfdata labels stay unique when services, paths and names run together") {
  hc::run_result r;
  auto add = [&r](const char* name, const char* service, const char* path) {
    hc::check_result c;
    c.name = name;
    c.type = "A";
    c.service = service;
    c.path = path;
    c.ok = true;
    c.duration_s = 0.5;
    r.checks.push_back(c);
  };
  add("n", "a_b", "c");
  add("n", "a", "b_c");          // "a_b_c_checks" as well
  add("n", "x'y", "p");
  add("n", "x=y", "p");          // both print as x_y
  add("n", "findings", "critical");  // a total's label as a prefix
  add("n_A_x_y", "p", "checks");    // a per-check label equal to a summary label
  const std::string first = split_lines(render_nagios(r, per_check()))[0];
  CHECK(validate_nagios(first + '\n').empty());
  std::set<std::string> labels;
  for (const auto& item : perf_items(first)) {
    CAPTURE(item);
    CHECK(labels.insert(item.substr(0, item.find("'="))).second);
  }
  CHECK(labels.size() == 5 + 6 * 3 + 6);
  CHECK(labels.count("'a_b_c_checks") == 1);
  CHECK(labels.count("'a_b_c_checks_2") == 1);
  CHECK(labels.count("'x_y_p_checks_2") == 1);
}
