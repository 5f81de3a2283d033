#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "cli/options.hpp"

using hc::cli::parse_command_line;

namespace {

hc::cli::parse_outcome parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"hairpin-check"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("cli parses the contract's options") {
  auto p = parse({"-c", "zones/named.conf", "--source", "198.18.1.99", "--resolver", "198.18.1.53#5353",
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
  auto p = parse({"--static", "-c", "zones/named.conf"});
  REQUIRE(p.options);
  CHECK(p.options->run.static_only);
}

