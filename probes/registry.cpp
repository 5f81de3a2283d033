#include "probes/probe.hpp"

#include "probes/dns.hpp"
#include "probes/https.hpp"
#include "probes/imaps.hpp"
#include "probes/smtp.hpp"
#include "probes/tcp.hpp"

namespace hc::probes {

const std::map<std::string, probe_fn>& registry() {
  static const std::map<std::string, probe_fn> table = {
      {"dns/udp", probe_dns_udp}, {"dns/tcp", probe_dns_tcp}, {"https", probe_https},
      {"http", probe_http},       {"smtp", probe_smtp},       {"imaps", probe_imaps},
      {"tcp", probe_tcp},
  };
  return table;
}

const probe_fn* find_probe(const std::string& service) {
  const auto& t = registry();
  auto key = service.rfind("tcp/", 0) == 0 ? std::string("tcp") : service;
  auto it = t.find(key);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace hc::probes
