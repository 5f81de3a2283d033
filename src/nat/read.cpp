// Entry points that read a rule file, detect its syntax, and the DNAT map.

#include <unistd.h>

#include <algorithm>
#include <new>

#include "core/input_file.hpp"
#include "nat/detail.hpp"
#include "nat/nat.hpp"
#include "nat/nft_text.hpp"
#include "nat/openwrt.hpp"

namespace hc::nat {

const chain* ruleset::find(std::string_view family, std::string_view table, std::string_view name) const {
  for (const auto& c : chains)
    if (c.family == family && c.table == table && c.name == name) return &c;
  return nullptr;
}

std::optional<std::vector<ip_address>> ruleset::dnat_targets(const ip_address& public_addr) const {
  return nat::dnat_targets(*this, public_addr);
}

namespace {

std::size_t error_count(const diagnostics& d) {
  std::size_t n = 0;
  for (const auto& x : d.all()) n += x.is_error;
  return n;
}

ruleset parse_detected(std::string_view text, const std::string& file, diagnostics& diags) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text.substr(first, 3) == "\xEF\xBB\xBF") first += 3;  // BOM
  if (first != std::string_view::npos && text[first] == '{') return parse_nft_json(text, file, diags);
  if (first == std::string_view::npos) {
    diags.error({file, 1, 0}, "the NAT rules are empty");
    ruleset rs;
    rs.file = file;
    return rs;
  }
  if (looks_like_nft_text(text)) return parse_nft_text(text, file, diags);
  if (looks_like_uci(text)) return parse_openwrt(text, file, diags);
  return parse_iptables_save(text, file, diags);
}

}  // namespace

ruleset parse_nat_rules(std::string_view text, const std::string& file, diagnostics& diags) {
  std::size_t before = error_count(diags);
  ruleset rs = parse_detected(text, file, diags);
  rs.errors = error_count(diags) - before;
  return rs;
}

ruleset read_nat_rules(const std::string& path_or_dash, diagnostics& diags) {
  std::string name = path_or_dash == "-" ? std::string("<stdin>") : path_or_dash;
  auto failed = [&](source_location where, std::string message) {
    diags.error(std::move(where), std::move(message));
    ruleset rs;
    rs.file = name;
    rs.errors = 1;
    return rs;
  };
  try {
    // A regular file only (a FIFO or a device would block or never end), and bounded; stdin is
    // whatever the caller pipes in, bounded the same.
    const auto max = input_limits::current().max_file_bytes;
    std::string error;
    auto text = path_or_dash == "-" ? read_descriptor(STDIN_FILENO, max, error)
                                    : read_regular_file(path_or_dash, max, error);
    if (!text) return failed({name, 0, 0}, "cannot read the NAT rules: " + error);
    return parse_nat_rules(*text, name, diags);
  } catch (const std::bad_alloc&) {
    return failed({}, "out of memory while reading " + name);
  }
}

namespace {

bool is_nat_prerouting(const chain& c) {
  return c.hook == "prerouting" && (c.type == "nat" || c.table == "nat");
}

// Chains reachable from the base chains of the NAT prerouting hook.
std::vector<const chain*> prerouting_chains(const ruleset& rs) {
  std::vector<const chain*> out;
  for (const auto& c : rs.chains)
    if (is_nat_prerouting(c)) out.push_back(&c);
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (const auto& r : out[i]->rules) {
      if (r.act != action::jump && r.act != action::go) continue;
      const chain* t = rs.find(out[i]->family, out[i]->table, r.target);
      if (t && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<ip_address>> dnat_targets(const ruleset& rs, const ip_address& public_addr) {
  std::vector<ip_address> out;
  bool uncertain = false;
  for (const chain* c : prerouting_chains(rs)) {
    if ((c->family == "ip" && public_addr.v6) || (c->family == "ip6" && !public_addr.v6)) continue;
    for (const auto& r : c->rules) {
      if (r.act != action::dnat && r.act != action::unknown) continue;
      if (r.match.daddr) {
        bool in = std::any_of(r.match.daddr->any_of.begin(), r.match.daddr->any_of.end(),
                              [&](const ip_prefix& p) { return p.contains(public_addr); });
        if (in == r.match.daddr->negated) continue;
      }
      if (r.match.family && *r.match.family != (public_addr.v6 ? 6 : 4)) continue;
      if (r.act == action::unknown) {
        uncertain = true;
        continue;
      }
      if (!r.to.addr) continue;  // port-only DNAT keeps the address
      if (std::find(out.begin(), out.end(), *r.to.addr) == out.end()) out.push_back(*r.to.addr);
    }
  }
  if (uncertain && out.empty()) return std::nullopt;
  return out;
}

std::vector<published_service> published(const ruleset& rs) {
  std::vector<published_service> out;
  for (const chain* c : prerouting_chains(rs)) {
    for (const auto& r : c->rules) {
      if (r.act != action::dnat || !r.to.addr || !r.match.daddr || r.match.daddr->negated) continue;
      for (const auto& p : r.match.daddr->any_of) {
        if (p.length != p.network.bits()) continue;  // a whole network is not one published address
        published_service base;
        base.public_address = p.network;
        base.internal_address = *r.to.addr;
        base.where = r.where;
        base.rule_text = r.text;
        if (r.match.iif) base.iif = (r.match.iif->negated ? "!" : "") + r.match.iif->pattern;
        std::vector<port_range> ports;
        if (r.match.dport && !r.match.dport->negated) ports = r.match.dport->any_of;
        else ports.push_back({0, 0});
        std::vector<int> protos = r.match.protocol_negated || r.match.protocols.empty() ? std::vector<int>{0}
                                                                                       : r.match.protocols;
        for (int proto : protos)
        for (const auto& pr : ports) {
          published_service s = base;
          s.protocol = proto;
          s.port = pr.first;
          s.port_last = pr.last;
          // DNAT keeps the port when the target range holds it (or has no port), else takes the range's first.
          s.internal_port = r.to.ports && !r.to.ports->contains(pr.first) ? r.to.ports->first : pr.first;
          if (s.protocol == proto_tcp || s.protocol == proto_udp || s.protocol == 0) {
            if (std::find_if(out.begin(), out.end(), [&](const published_service& o) {
                  return o.public_address == s.public_address && o.protocol == s.protocol && o.port == s.port &&
                         o.port_last == s.port_last;
                }) != out.end())
              continue;  // an earlier rule already takes it
            out.push_back(std::move(s));
          }
        }
      }
    }
  }
  return out;
}

}  // namespace hc::nat
