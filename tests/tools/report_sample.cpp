// Test driver for the real-tool tests: renders one of the sample results of tests/unit/report.
//   hc-report-sample SAMPLE FORMAT [FILE]   text|json|nagios|prometheus; FILE is written with
//                                           write_textfile_atomically, else standard output
//   hc-report-sample --plugin SAMPLE        Nagios plugin: nagios output, exit status 0-3
//   hc-report-sample --plugin usage-error   the UNKNOWN line of a bad command line, exit 3
//   hc-report-sample --free-port            a TCP port free on 127.0.0.1 right now
//   hc-report-sample --list                 the sample names (also: hostile-SEED, a random hostile model,
//                                           and many-N, the critical sample plus N names checked over https)
// A SAMPLE may end in "+checks" (nagios: --perfdata checks) or "+aggregate" (prometheus:
// --prometheus-detail aggregate).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report/report.hpp"
#include "samples.hpp"

namespace {

int usage() {
  std::cerr << "usage: hc-report-sample SAMPLE text|json|nagios|prometheus [FILE]\n"
               "       hc-report-sample --plugin SAMPLE | --free-port | --list\n";
  return 3;
}

// A named sample, "hostile-SEED" for a random hostile model, or "many-N": the critical sample and
// N more names, each checked over https on the hairpin path.
std::optional<hc::run_result> find(const std::string& name) {
  for (const auto& s : hc::report::samples::all())
    if (name == s.name) return s.make();
  if (name.rfind("many-", 0) == 0) {
    try {
      const unsigned long n = std::stoul(name.substr(5));
      if (n > 100000) return std::nullopt;
      hc::run_result r = hc::report::samples::critical();
      const hc::check_result https = r.checks[2];
      for (unsigned long i = 0; i < n; ++i) {
        hc::check_result c = https;
        c.name = "host" + std::to_string(i) + ".debugo.fr";
        c.address = "203.0.113." + std::to_string(1 + i % 250);
        r.checks.push_back(c);
      }
      return r;
    } catch (const std::exception&) {
    }
  }
  if (name.rfind("hostile-", 0) == 0) {
    try {
      return hc::report::samples::hostile(static_cast<unsigned>(std::stoul(name.substr(8))));
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

// The options a "+checks" or "+aggregate" suffix of the sample name asks for; the name loses it.
struct variant {
  hc::report::nagios_options nagios;
  hc::report::prometheus_options prometheus;
};

variant take_variant(std::string& name) {
  variant v;
  const auto plus = name.rfind('+');
  if (plus == std::string::npos) return v;
  const std::string suffix = name.substr(plus + 1);
  if (suffix == "checks") v.nagios.perfdata = hc::report::perfdata_set::checks;
  else if (suffix == "aggregate") v.prometheus.detail = hc::report::prometheus_detail::aggregate;
  else return v;
  name.erase(plus);
  return v;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 1;
  }
  std::cout << ntohs(a.sin_port) << '\n';
  ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::strcmp(argv[1], "--free-port") == 0) return free_port();
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
      for (const auto& s : hc::report::samples::all()) std::cout << s.name << '\n';
      return 0;
    }
    if (argc == 3 && std::strcmp(argv[1], "--plugin") == 0 && std::strcmp(argv[2], "usage-error") == 0) {
      // What hairpin-check --format nagios prints for a bad command line.
      std::cout << hc::report::render_nagios_unknown(
          "-c '/etc/bind/named.conf' looks like a file: -c is now the critical threshold; the BIND "
          "configuration is -C/--named-conf");
      return 3;
    }
    if (argc == 3 && std::strcmp(argv[1], "--plugin") == 0) {
      std::string name = argv[2];
      const variant v = take_variant(name);
      const auto found = find(name);
      if (!found) return usage();
      const auto& r = *found;
      std::cout << hc::report::render_nagios(r, v.nagios);
      return hc::exit_code(r.status());
    }
    if (argc != 3 && argc != 4) return usage();
    std::string name = argv[1];
    const variant v = take_variant(name);
    const auto found = find(name);
    if (!found) return usage();
    const auto& r = *found;
    const std::string format = argv[2];
    std::string out;
    if (format == "text")
      out = hc::report::render_text(r, {});
    else if (format == "json")
      out = hc::report::render_json(r);
    else if (format == "nagios")
      out = hc::report::render_nagios(r, v.nagios);
    else if (format == "prometheus")
      out = hc::report::render_prometheus(r, v.prometheus);
    else
      return usage();
    if (argc == 4)
      hc::report::write_textfile_atomically(argv[3], out);
    else
      std::cout << out;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hc-report-sample: " << e.what() << '\n';
    return 3;
  }
}
