#include "check/schedule.hpp"

#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "check/execute.hpp"

namespace hc::check {
namespace {

// A gate that failed at the transport, or that could not be sent at all from here: the probes
// behind it would fail the same way.
bool transport_failed(const probes::probe_result& r) {
  return r.failure && (is_transport_failure(*r.failure) || *r.failure == finding_kind::not_checked);
}

// Which result each request of round 2 fills.
struct slot {
  bool service;
  std::size_t index;
};

}  // namespace

plan_results run_plan(const plan& p, const send_fn& send) {
  plan_results out;
  out.dns.resize(p.dns.size());
  out.services.resize(p.services.size());

  // Round 1: the gates.
  std::vector<probes::probe_request> round1;
  std::map<std::string, std::size_t> gate_index;      // gate key → index in round1
  std::map<std::string, std::size_t> endpoint_index;  // address#port → index in round1
  for (const auto& d : p.dns)
    if (d.soa_gate && !d.done && gate_index.emplace(d.gate_key, round1.size()).second) round1.push_back(d.request);
  // Probes behind no gate (the resolver, the internal servers asked directly) go in round 1 too:
  // waiting for the gates of other servers would only spend the run's deadline.
  std::vector<std::size_t> ungated(p.dns.size(), SIZE_MAX);  // index in round1
  for (std::size_t i = 0; i < p.dns.size(); ++i) {
    const auto& d = p.dns[i];
    if (d.done || d.soa_gate || gate_index.count(d.gate_key)) continue;
    ungated[i] = round1.size();
    round1.push_back(d.request);
  }
  for (const auto& s : p.services) {
    std::string key = s.request.target.str();
    if (endpoint_index.count(key)) continue;
    probes::probe_request t = s.request;
    t.service = fmt::format("tcp/{}", s.request.target.port);
    endpoint_index[key] = round1.size();
    round1.push_back(std::move(t));
  }
  const auto r1 = round1.empty() ? std::vector<probes::probe_result>{} : send(round1);

  // Round 2: everything else whose gate answered.
  std::vector<probes::probe_request> round2;
  std::vector<slot> slots;
  for (std::size_t i = 0; i < p.dns.size(); ++i) {
    const auto& d = p.dns[i];
    if (d.done) {
      out.dns[i] = *d.done;
      continue;
    }
    if (ungated[i] != SIZE_MAX) {
      out.dns[i] = r1[ungated[i]];
      continue;
    }
    auto g = gate_index.find(d.gate_key);
    if (d.soa_gate && g != gate_index.end()) {
      out.dns[i] = r1[g->second];
      continue;
    }
    if (g != gate_index.end() && transport_failed(r1[g->second])) {
      out.dns[i] = skipped_result(d.request, r1[g->second]);
      continue;
    }
    slots.push_back({false, i});
    round2.push_back(d.request);
  }
  for (std::size_t i = 0; i < p.services.size(); ++i) {
    const auto& s = p.services[i];
    const auto& gate = r1[endpoint_index[s.request.target.str()]];
    if (transport_failed(gate)) {
      out.services[i] = skipped_result(s.request, gate);
      out.services[i].check.stage = "connect";
      continue;
    }
    slots.push_back({true, i});
    round2.push_back(s.request);
  }
  auto r2 = round2.empty() ? std::vector<probes::probe_result>{} : send(round2);
  for (std::size_t k = 0; k < slots.size(); ++k)
    (slots[k].service ? out.services : out.dns)[slots[k].index] = std::move(r2[k]);
  return out;
}

}  // namespace hc::check
