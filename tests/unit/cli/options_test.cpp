#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/options.hpp"
#include "check/options.hpp"
#include "report/report.hpp"

using hc::cli::parse_command_line;

namespace {

hc::cli::parse_outcome parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"hairpin-check"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("cli parses the contract's options") {
  auto p = parse({"-C", "zones/named.conf", "--source", "198.18.1.99", "--resolver", "198.18.1.53#5353",
                  "--nat-rules", "-", "--services", "dns,https,tcp/8443", "-t", "7.5", "--format", "json",
                  "--textfile", "/tmp/x.prom", "-q", "Blog.Debugo.FR"});
  REQUIRE(p.options);
  const auto& o = *p.options;
  CHECK(o.run.named_conf == "zones/named.conf");
  CHECK(o.run.named_conf_given);
  CHECK(o.run.source->str() == "198.18.1.99");
  CHECK(o.run.resolver->str() == "198.18.1.53#5353");
  CHECK(o.run.nat_rules == "-");
  CHECK(o.run.services == std::vector<std::string>{"dns/udp", "dns/tcp", "https", "tcp/8443"});
  CHECK(o.run.timeout_s == doctest::Approx(7.5));
  CHECK(o.format == hc::cli::output_format::json);
  CHECK(o.textfile == "/tmp/x.prom");
  CHECK(o.quiet);
  CHECK(o.run.names == std::vector<std::string>{"blog.debugo.fr."});
}

TEST_CASE("cli defaults follow the contract") {
  auto p = parse({"blog.debugo.fr."});
  REQUIRE(p.options);
  CHECK(p.options->run.named_conf == "/etc/bind/named.conf");
  CHECK_FALSE(p.options->run.named_conf_given);
  CHECK(p.options->run.timeout_s == doctest::Approx(10));
  CHECK(p.options->format == hc::cli::output_format::text);
  CHECK(p.options->run.names == std::vector<std::string>{"blog.debugo.fr."});
}

TEST_CASE("cli rejects bad input with exit 3 and a message naming it") {
  auto bad_source = parse({"--source", "198.18.1", "x.fr"});
  CHECK_FALSE(bad_source.options);
  CHECK(bad_source.exit_status == 3);
  CHECK(bad_source.message.find("198.18.1") != std::string::npos);

  auto bad_service = parse({"--services", "gopher", "x.fr"});
  CHECK(bad_service.exit_status == 3);
  CHECK(bad_service.message.find("gopher") != std::string::npos);

  auto bad_format = parse({"--format", "xml", "x.fr"});
  CHECK(bad_format.exit_status == 3);

  auto bad_port = parse({"--resolver", "198.18.1.53#70000", "x.fr"});
  CHECK(bad_port.exit_status == 3);

  auto nothing = parse({});
  CHECK(nothing.exit_status == 3);
  CHECK(nothing.message.find("--all") != std::string::npos);

  auto bad_name = parse({"bad name"});
  CHECK(bad_name.exit_status == 3);

  auto unknown = parse({"--frobnicate", "x.fr"});
  CHECK(unknown.exit_status == 3);
}

TEST_CASE("cli --help and --version exit 0 with text") {
  auto h = parse({"--help"});
  CHECK_FALSE(h.options);
  CHECK(h.exit_status == 0);
  CHECK(h.message.find("--named-conf") != std::string::npos);
  CHECK(h.message.find("--textfile") != std::string::npos);
  auto v = parse({"--version"});
  CHECK(v.exit_status == 0);
  CHECK(v.message.find("hairpin-check ") == 0);
}

TEST_CASE("cli --static needs no name") {
  auto p = parse({"--static", "-C", "zones/named.conf"});
  REQUIRE(p.options);
  CHECK(p.options->run.static_only);
}


TEST_CASE("cli -C and --named-conf take the BIND configuration") {
  for (const char* opt : {"-C", "--named-conf"}) {
    CAPTURE(opt);
    auto p = parse({opt, "/srv/bind/named.conf", "--static"});
    REQUIRE(p.options);
    CHECK(p.options->run.named_conf == "/srv/bind/named.conf");
    CHECK(p.options->run.named_conf_given);
    CHECK_FALSE(p.options->run.critical);
  }
}

TEST_CASE("cli -c with a path says that the BIND configuration moved to -C") {
  const std::string moved = "-c is now the critical threshold; the BIND configuration is -C/--named-conf";
  for (const char* path : {"/etc/bind/named.conf", "zones/named.conf", "named.conf", "my.conf"}) {
    CAPTURE(path);
    auto p = parse({"-c", path, "--static"});
    CHECK_FALSE(p.options);
    CHECK(p.exit_status == 3);
    CHECK_FALSE(p.to_stdout);
    CHECK(p.message.find(moved) != std::string::npos);
    CHECK(p.message.find(path) != std::string::npos);
  }
  // An existing file without '/' or .conf, in the current directory.
  const std::string name = "hc-cli-test-" + std::to_string(::getpid());
  std::ofstream(name) << "options { };\n";
  auto p = parse({"-c", name.c_str(), "--static"});
  std::filesystem::remove(name);
  CHECK(p.exit_status == 3);
  CHECK(p.message.find(moved) != std::string::npos);
}

TEST_CASE("cli -c and -w take Nagios ranges") {
  auto p = parse({"-c", "5", "-w", "@0:100", "x.fr"});
  REQUIRE(p.options);
  REQUIRE(p.options->run.critical);
  REQUIRE(p.options->run.warning);
  CHECK(p.options->run.critical->str() == "5");
  CHECK(p.options->run.critical->alerts(5.5));
  CHECK_FALSE(p.options->run.critical->alerts(4));
  CHECK(p.options->run.warning->inside());
  CHECK(p.options->run.warning->alerts(0.01));
  CHECK(p.options->run.named_conf == "/etc/bind/named.conf");  // -c no longer touches it
  CHECK_FALSE(p.options->run.named_conf_given);

  auto longs = parse({"--critical", "~:2.5", "--warning=1:", "x.fr"});
  REQUIRE(longs.options);
  CHECK(longs.options->run.critical->str() == "~:2.5");
  CHECK(longs.options->run.warning->str() == "1:");

  auto none = parse({"x.fr"});
  REQUIRE(none.options);
  CHECK_FALSE(none.options->run.warning);
  CHECK_FALSE(none.options->run.critical);

  auto bad = parse({"-w", "20:10", "x.fr"});
  CHECK(bad.exit_status == 3);
  CHECK(bad.message.find("--warning: '20:10' is not a Nagios range") != std::string::npos);
  auto bad_c = parse({"-c", "fast", "x.fr"});
  CHECK(bad_c.exit_status == 3);
  CHECK(bad_c.message.find("'fast' is not a Nagios range") != std::string::npos);
}

TEST_CASE("cli -V prints the version, -h the help, -v counts") {
  auto v = parse({"-V"});
  CHECK_FALSE(v.options);
  CHECK(v.exit_status == 0);
  CHECK(v.to_stdout);
  CHECK(v.message == std::string("hairpin-check ") + HC_VERSION + "\n");

  auto h = parse({"-h"});
  CHECK(h.exit_status == 0);
  CHECK(h.message.find("-C,--named-conf") != std::string::npos);
  CHECK(h.message.find("-c,--critical") != std::string::npos);
  CHECK(h.message.find("@10:20") != std::string::npos);
  CHECK(h.message.back() == '\n');

  auto quiet = parse({"x.fr"});
  REQUIRE(quiet.options);
  CHECK(quiet.options->run.verbosity == 0);
  auto vv = parse({"-v", "x.fr", "-vv", "--verbose"});
  REQUIRE(vv.options);
  CHECK(vv.options->run.verbosity == 4);
  auto t = parse({"-t", "3", "x.fr"});
  REQUIRE(t.options);
  CHECK(t.options->run.timeout_s == doctest::Approx(3));
}

TEST_CASE("cli usage errors with --format nagios are one HAIRPIN UNKNOWN line on stdout") {
  // The format may come after the bad option, and CLI11 stops at the first error.
  for (auto args : {std::initializer_list<const char*>{"--frobnicate", "x.fr", "--format", "nagios"},
                    std::initializer_list<const char*>{"-t", "abc", "--format=nagios", "x.fr"},
                    std::initializer_list<const char*>{"--format", "nagios"},
                    std::initializer_list<const char*>{"-c", "/etc/bind/named.conf", "--format", "nagios", "x.fr"},
                    std::initializer_list<const char*>{"--format", "text", "-w", "x", "--format", "nagios"}}) {
    auto p = parse(args);
    CAPTURE(p.message);
    CHECK_FALSE(p.options);
    CHECK(p.exit_status == 3);
    CHECK(p.to_stdout);
    CHECK(p.message.rfind("HAIRPIN UNKNOWN - ", 0) == 0);
    CHECK(p.message.find('\n') == p.message.size() - 1);  // one line
    for (char c : p.message) CHECK(static_cast<unsigned char>(c) < 0x80);
    CHECK(p.message.find('|') == std::string::npos);
  }
  auto moved = parse({"--format", "nagios", "-c", "/etc/bind/named.conf", "x.fr"});
  CHECK(moved.message.find("the BIND configuration is -C/--named-conf") != std::string::npos);
  auto accented = parse({"--format", "nagios", "caf\xC3\xA9 x.fr"});
  CHECK(accented.message.rfind("HAIRPIN UNKNOWN - 'caf? x.fr' is not a domain name", 0) == 0);

  // Other formats: the message goes to stderr.
  for (auto args : {std::initializer_list<const char*>{"--frobnicate", "x.fr"},
                    std::initializer_list<const char*>{"--frobnicate", "--format", "json", "x.fr"},
                    std::initializer_list<const char*>{"bad name", "--", "--format", "nagios"}}) {
    auto p = parse(args);
    CHECK(p.exit_status == 3);
    CHECK_FALSE(p.to_stdout);
    CHECK(p.message.rfind("hairpin-check: ", 0) == 0);
  }
}

TEST_CASE("cli --perfdata and --prometheus-detail choose the output detail, bounded by default") {
  auto defaults = parse({"x.fr"});
  REQUIRE(defaults.options);
  CHECK(defaults.options->perfdata == hc::report::perfdata_set::summary);
  CHECK(defaults.options->prometheus_detail == hc::report::prometheus_detail::names);
  auto chosen = parse({"--perfdata", "checks", "--prometheus-detail=aggregate", "x.fr"});
  REQUIRE(chosen.options);
  CHECK(chosen.options->perfdata == hc::report::perfdata_set::checks);
  CHECK(chosen.options->prometheus_detail == hc::report::prometheus_detail::aggregate);
  auto summary = parse({"--perfdata", "summary", "--prometheus-detail", "names", "x.fr"});
  REQUIRE(summary.options);
  CHECK(summary.options->perfdata == hc::report::perfdata_set::summary);
  CHECK(summary.options->prometheus_detail == hc::report::prometheus_detail::names);

  auto bad = parse({"--format", "nagios", "--perfdata", "all", "x.fr"});
  CHECK_FALSE(bad.options);
  CHECK(bad.exit_status == 3);
  CHECK(bad.message.rfind("HAIRPIN UNKNOWN - --perfdata: ", 0) == 0);
  auto bad_detail = parse({"--prometheus-detail", "none", "x.fr"});
  CHECK_FALSE(bad_detail.options);
  CHECK(bad_detail.exit_status == 3);
  CHECK(bad_detail.message.find("--prometheus-detail") != std::string::npos);
}

TEST_CASE("cli --root-hints: a file, none (no walk), or Debian's hints when they exist") {
  auto given = parse({"--no-named-conf", "--root-hints", "/srv/named.root", "blog.debugo.fr"});
  REQUIRE(given.options);
  CHECK(given.options->run.root_hints == "/srv/named.root");
  auto none = parse({"--no-named-conf", "--root-hints", "none", "blog.debugo.fr"});
  REQUIRE(none.options);
  CHECK(none.options->run.root_hints.empty());
  auto by_default = parse({"--no-named-conf", "blog.debugo.fr"});
  REQUIRE(by_default.options);
  const bool debian_hints = std::filesystem::is_regular_file("/usr/share/dns/root.hints");
  CHECK(by_default.options->run.root_hints == (debian_hints ? "/usr/share/dns/root.hints" : ""));
}

TEST_CASE("cli --tsig-key is repeatable and keeps every key file in order") {
  auto p = parse({"--tsig-key", "/etc/bind/intra.key", "--tsig-key", "extra.key", "blog.debugo.fr"});
  REQUIRE(p.options);
  CHECK(p.options->run.tsig_key_files == std::vector<std::string>{"/etc/bind/intra.key", "extra.key"});
  CHECK(p.options->run.names == std::vector<std::string>{"blog.debugo.fr."});
}

TEST_CASE("cli --zones-from, --dns-server and repeatable --view NAME[=KEYFILE] are parsed and checked") {
  auto p = parse({"--zones-from", "axfr", "--dns-server", "198.18.1.53#5353", "--view", "intra=/etc/bind/intra.key",
                  "--view", "extra", "--all"});
  REQUIRE(p.options);
  const auto& r = p.options->run;
  CHECK(r.zones_from == hc::check::run_options::zone_source::axfr);
  REQUIRE(r.dns_server);
  CHECK(r.dns_server->str() == "198.18.1.53#5353");
  using view_arg = std::pair<std::string, std::string>;
  CHECK(r.transfer_views == std::vector<view_arg>{{"intra", "/etc/bind/intra.key"}, {"extra", ""}});
  auto defaults = parse({"--all"});
  REQUIRE(defaults.options);
  CHECK(defaults.options->run.zones_from == hc::check::run_options::zone_source::files);
  CHECK(!defaults.options->run.dns_server);
  CHECK(parse({"--zones-from", "ftp", "--all"}).exit_status == 3);
  CHECK(parse({"--zones-from", "axfr", "--dns-server", "ns.example", "--all"}).exit_status == 3);
  CHECK(parse({"--zones-from", "axfr", "--view", "intra=", "--all"}).exit_status == 3);
  CHECK(parse({"--view", "intra", "--all"}).exit_status == 3);  // needs axfr or both
}

TEST_CASE("cli --secondary ADDR[#PORT] is repeatable, port 53 by default, and an address") {
  auto p = parse({"--secondary", "198.18.1.54", "--secondary", "[2001:db8::54]#5353", "--all"});
  REQUIRE(p.options);
  const auto& s = p.options->run.secondaries;
  REQUIRE(s.size() == 2);
  CHECK(s[0].str() == "198.18.1.54#53");
  CHECK(s[1].address.str() == "2001:db8::54");
  CHECK(s[1].port == 5353);
  CHECK(parse({"--all"}).options->run.secondaries.empty());
  auto bad = parse({"--secondary", "ns2.example", "--all"});
  CHECK(bad.exit_status == 3);
  CHECK(bad.message.find("--secondary: 'ns2.example' is not ADDR[#PORT]") != std::string::npos);
}

TEST_CASE("cli --nat-format takes auto and the readers' forms, and needs --nat-rules") {
  auto defaults = parse({"--all"});
  REQUIRE(defaults.options);
  CHECK(defaults.options->run.nat_format == "auto");
  for (const char* f : {"auto", "iptables", "nft-json", "nft-text", "openwrt", "routeros", "pfsense"}) {
    CAPTURE(f);
    auto p = parse({"--nat-rules", "fw.txt", "--nat-format", f, "--static", "--all"});
    REQUIRE(p.options);
    CHECK(p.options->run.nat_format == f);
  }
  CHECK(parse({"--nat-rules", "fw.txt", "--nat-format", "pf", "--all"}).exit_status == 3);
  CHECK(parse({"--nat-rules", "fw.txt", "--nat-format", "", "--all"}).exit_status == 3);
  CHECK(parse({"--nat-format", "openwrt", "--all"}).exit_status == 3);  // nothing to read
  CHECK(parse({"--nat-format", "auto", "--all"}).options);
}

TEST_CASE("cli --unbound-config takes an OPNsense config.xml and excludes -C") {
  auto p = parse({"--unbound-config", "/srv/config.xml", "--all"});
  REQUIRE(p.options);
  CHECK(p.options->run.unbound_config == "/srv/config.xml");
  auto both = parse({"--unbound-config", "/srv/config.xml", "-C", "/etc/bind/named.conf", "--all"});
  CHECK_FALSE(both.options);
  CHECK(both.exit_status == 3);
  CHECK(both.message.find("--unbound-config") != std::string::npos);
}

TEST_CASE("cli: the certificate thresholds by default are the library's (one constant)") {
  auto p = parse({"blog.debugo.fr."});
  REQUIRE(p.options);
  const hc::report::nagios_options library;
  const hc::check::run_options run;
  CHECK(p.options->run.cert_crit_days == library.cert_crit_days);
  CHECK(p.options->run.cert_warn_days == library.cert_warn_days);
  CHECK(run.cert_crit_days == library.cert_crit_days);
  CHECK(run.cert_warn_days == library.cert_warn_days);
  CHECK(library.cert_crit_days == hc::default_cert_crit_days);
  CHECK(library.cert_warn_days == hc::default_cert_warn_days);
  // The help text states the same defaults.
  auto help = parse({"--help"});
  CHECK(help.message.find("(default " + std::to_string(hc::default_cert_crit_days) + ")") != std::string::npos);
}
