// Entry points that read a rule file, detect its syntax, and the DNAT map.

#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <new>
#include <unordered_set>

#include <fmt/format.h>


#include "core/input_file.hpp"
#include "nat/detail.hpp"
#include "nat/mikrotik.hpp"
#include "nat/nat.hpp"
#include "nat/nft_text.hpp"
#include "nat/openwrt.hpp"
#include "nat/pfsense.hpp"

namespace hc::nat {

const chain* ruleset::find(std::string_view family, std::string_view table, std::string_view name) const {
  if (index && index->chain_count == chains.size()) {
    auto it = index->chains.find(detail::chain_key(family, table, name));
    return it == index->chains.end() ? nullptr : &chains[it->second];
  }
  for (const auto& c : chains)  // built by hand, without reindex()
    if (c.family == family && c.table == table && c.name == name) return &c;
  return nullptr;
}

std::optional<std::vector<ip_address>> ruleset::dnat_targets(const ip_address& public_addr) const {
  return nat::dnat_targets(*this, public_addr);
}

bool addr_match::in_any(const ip_address& a) const {
  if (lookup) return lookup->contains(a);
  return std::any_of(any_of.begin(), any_of.end(), [&](const ip_prefix& p) { return p.contains(a); });
}

namespace {

bool is_nat_prerouting(const chain& c) {
  return c.hook == "prerouting" && (c.type == "nat" || c.table == "nat");
}

ruleset_index build_index(const ruleset& rs, std::unordered_map<std::string, std::size_t> by_key,
                          std::optional<detail::jump_targets> jumps = std::nullopt) {
  ruleset_index ix;
  ix.chain_count = rs.chains.size();
  ix.chains = std::move(by_key);
  ix.jumps = jumps ? std::move(*jumps) : detail::resolve_jumps(rs, ix.chains);
  ix.prerouting_reach = detail::prerouting_chains(rs, ix.jumps);
  ix.prerouting.reserve(ix.prerouting_reach.size());
  ix.prerouting_at.assign(rs.chains.size(), ruleset_index::no_rules);
  for (std::size_t ci : ix.prerouting_reach) {
    const chain& c = rs.chains[ci];
    if (is_nat_prerouting(c)) ix.prerouting_bases.push_back(ci);
    if (ix.prerouting_at[ci] == ruleset_index::no_rules) {  // each chain once (prerouting_chains() says so)
      ix.prerouting_at[ci] = static_cast<std::uint32_t>(ix.prerouting.size());
      ix.prerouting.emplace_back();
    }
    auto& cr = ix.prerouting[ix.prerouting_at[ci]];
    for (std::size_t ri = 0; ri < c.rules.size(); ++ri) {
      const rule& r = c.rules[ri];
      if (r.act != action::dnat && r.act != action::unknown && r.act != action::jump && r.act != action::go) continue;
      auto n = static_cast<std::uint32_t>(ri);
      if (r.match.daddr && !r.match.daddr->negated) {
        for (const auto& p : r.match.daddr->any_of) cr.by_daddr.add(p, n);
      } else {
        cr.any_daddr.push_back(n);
      }
    }
  }
  return ix;
}

}  // namespace

void ruleset::reindex() {
  detail::index_address_matches(*this);
  index = std::make_shared<const ruleset_index>(build_index(*this, detail::chains_by_key(*this)));
}

void detail::reindex(ruleset& rs, std::unordered_map<std::string, std::size_t> by_key) {
  detail::index_address_matches(rs);
  rs.index = std::make_shared<const ruleset_index>(build_index(rs, std::move(by_key)));
}

void detail::reindex(ruleset& rs, std::unordered_map<std::string, std::size_t> by_key, jump_targets jumps) {
  detail::index_address_matches(rs);
  rs.index = std::make_shared<const ruleset_index>(build_index(rs, std::move(by_key), std::move(jumps)));
}

namespace detail {

std::string chain_key(std::string_view family, std::string_view table, std::string_view name) {
  std::string k;
  k.reserve(family.size() + table.size() + name.size() + 2);
  k.append(family).push_back('\0');
  k.append(table).push_back('\0');
  k.append(name);
  return k;
}

std::unordered_map<std::string, std::size_t> chains_by_key(const ruleset& rs) {
  std::unordered_map<std::string, std::size_t> out;
  out.reserve(rs.chains.size());
  for (std::size_t i = 0; i < rs.chains.size(); ++i)
    out.emplace(chain_key(rs.chains[i].family, rs.chains[i].table, rs.chains[i].name), i);  // the first one wins, as find()
  return out;
}

jump_targets resolve_jumps(const ruleset& rs, const std::unordered_map<std::string, std::size_t>& by_key) {
  jump_targets out;
  out.first.reserve(rs.chains.size() + 1);
  std::string key;  // chain_key(), in one buffer for every look-up
  for (const chain& c : rs.chains) {
    out.first.push_back(static_cast<std::uint32_t>(out.target.size()));
    for (const auto& r : c.rules) {
      std::uint32_t t = jump_targets::none;
      if (r.act == action::jump || r.act == action::go) {
        key.assign(c.family).push_back('\0');
        key.append(c.table).push_back('\0');
        key.append(r.target);
        if (auto it = by_key.find(key); it != by_key.end()) t = static_cast<std::uint32_t>(it->second);
      }
      out.target.push_back(t);
    }
  }
  out.first.push_back(static_cast<std::uint32_t>(out.target.size()));
  return out;
}

std::vector<std::size_t> prerouting_chains(const ruleset& rs, const jump_targets& jumps) {
  std::vector<std::size_t> out;
  std::vector<bool> seen(rs.chains.size(), false);
  for (std::size_t i = 0; i < rs.chains.size(); ++i)
    if (is_nat_prerouting(rs.chains[i])) {
      out.push_back(i);
      seen[i] = true;
    }
  for (std::size_t k = 0; k < out.size(); ++k) {  // each chain once: at most chains.size() rounds
    const chain& c = rs.chains[out[k]];
    for (std::size_t ri = 0; ri < c.rules.size(); ++ri) {
      const std::uint32_t t = jumps.of(out[k], ri);
      if (t == jump_targets::none || t >= rs.chains.size() || seen[t]) continue;
      seen[t] = true;
      out.push_back(t);
    }
  }
  return out;
}

}  // namespace detail

namespace {

std::size_t error_count(const diagnostics& d) {
  std::size_t n = 0;
  for (const auto& x : d.all()) n += x.is_error;
  return n;
}

std::size_t content_start(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text.substr(first, 3) == "\xEF\xBB\xBF") first += 3;  // BOM
  return first;
}

ruleset parse_as(nat_format f, std::string_view text, const std::string& file, diagnostics& diags) {
  switch (f) {
    case nat_format::nft_json: return parse_nft_json(text, file, diags);
    case nat_format::routeros: return parse_routeros(text, file, diags);
    case nat_format::pfsense: return parse_pfsense(text, file, diags);  // src/nat/pfsense.cpp
    case nat_format::nft_text: return parse_nft_text(text, file, diags);
    case nat_format::openwrt: return parse_openwrt(text, file, diags);
    case nat_format::iptables:
    case nat_format::auto_detect: break;
  }
  return parse_iptables_save(text, file, diags);
}

// What each form is, for the error of a forced format that does not match.
const char* form_text(nat_format f) {
  switch (f) {
    case nat_format::iptables: return "iptables-save text";
    case nat_format::nft_json: return "nft -j JSON";
    case nat_format::nft_text: return "nft list ruleset text";
    case nat_format::openwrt: return "OpenWrt UCI";
    case nat_format::routeros: return "a RouterOS export";
    case nat_format::pfsense: return "a pfSense/OPNsense config.xml";
    case nat_format::auto_detect: break;
  }
  return "auto";
}

ruleset parse_detected(std::string_view text, const std::string& file, diagnostics& diags, nat_format forced) {
  if (content_start(text) == std::string_view::npos) {
    diags.error({file, 1, 0}, "the NAT rules are empty");
    ruleset rs;
    rs.file = file;
    return rs;
  }
  nat_format found = detect_nat_format(text);
  if (forced != nat_format::auto_detect && forced != found) {
    // Pinned in a cron job or the options file: a changed export fails loudly, never read otherwise.
    diags.error({file, 1, 1}, fmt::format("--nat-format {} was given, but the file reads as {} ({}): export the "
                                          "rules in the form given, or use --nat-format {} (or auto)",
                                          to_string(forced), to_string(found), form_text(found), to_string(found)));
    ruleset rs;
    rs.file = file;
    return rs;
  }
  return parse_as(found, text, file, diags);
}

}  // namespace

std::optional<nat_format> parse_nat_format(std::string_view name) {
  for (nat_format f : {nat_format::auto_detect, nat_format::iptables, nat_format::nft_json, nat_format::nft_text,
                       nat_format::openwrt, nat_format::routeros, nat_format::pfsense})
    if (name == to_string(f)) return f;
  return std::nullopt;
}

const char* to_string(nat_format f) {
  switch (f) {
    case nat_format::auto_detect: return "auto";
    case nat_format::iptables: return "iptables";
    case nat_format::nft_json: return "nft-json";
    case nat_format::nft_text: return "nft-text";
    case nat_format::openwrt: return "openwrt";
    case nat_format::routeros: return "routeros";
    case nat_format::pfsense: return "pfsense";
  }
  return "auto";
}

nat_format detect_nat_format(std::string_view text) {
  auto first = content_start(text);
  if (first < text.size() && text[first] == '{') return nat_format::nft_json;
  if (looks_like_pfsense(text)) return nat_format::pfsense;
  if (looks_like_routeros(text)) return nat_format::routeros;
  if (looks_like_nft_text(text)) return nat_format::nft_text;
  if (looks_like_uci(text)) return nat_format::openwrt;
  return nat_format::iptables;
}

ruleset parse_nat_rules(std::string_view text, const std::string& file, diagnostics& diags, nat_format forced) {
  std::size_t before = error_count(diags);
  ruleset rs = parse_detected(text, file, diags, forced);
  rs.errors = error_count(diags) - before;
  return rs;
}

ruleset read_nat_rules(const std::string& path_or_dash, diagnostics& diags, nat_format forced) {
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
    return parse_nat_rules(*text, name, diags, forced);
  } catch (const std::bad_alloc&) {
    return failed({}, "out of memory while reading " + name);
  }
}

std::optional<std::vector<ip_address>> dnat_targets(const ruleset& rs, const ip_address& public_addr) {
  std::optional<ruleset_index> built;  // a rule set built by hand, or changed since reindex()
  const ruleset_index* ix = rs.index.get();
  if (!ix || ix->chain_count != rs.chains.size()) ix = &built.emplace(build_index(rs, detail::chains_by_key(rs)));
  // The chains a packet to public_addr may reach, from the base chains through the jumps whose own
  // destination and family tests may hold, each once, in the order found; in each, the rules that
  // may match public_addr, in order.
  std::vector<std::size_t> queue = ix->prerouting_bases;
  std::unordered_set<std::size_t> queued(queue.begin(), queue.end());
  std::vector<ip_address> out;
  prefix_lookup seen;  // the addresses in out
  bool uncertain = false;
  std::vector<std::uint32_t> hit, order;
  for (std::size_t k = 0; k < queue.size(); ++k) {  // each chain once: bounded by the chains
    const chain& c = rs.chains[queue[k]];
    if ((c.family == "ip" && public_addr.v6) || (c.family == "ip6" && !public_addr.v6)) continue;
    const auto* cr = ix->prerouting_of(queue[k]);
    if (!cr) continue;
    hit.clear();
    order.clear();
    cr->by_daddr.each_containing(public_addr, [&](std::uint32_t n) { hit.push_back(n); });
    std::sort(hit.begin(), hit.end());
    hit.erase(std::unique(hit.begin(), hit.end()), hit.end());
    std::merge(hit.begin(), hit.end(), cr->any_daddr.begin(), cr->any_daddr.end(), std::back_inserter(order));
    for (std::uint32_t ri : order) {
      if (ri >= c.rules.size()) continue;  // a stale index: never read past
      const rule& r = c.rules[ri];
      if (r.match.daddr && r.match.daddr->in_any(public_addr) == r.match.daddr->negated) continue;
      if (r.match.family && *r.match.family != (public_addr.v6 ? 6 : 4)) continue;
      if (r.act == action::jump || r.act == action::go) {
        const std::uint32_t t = ix->jumps.of(queue[k], ri);
        if (t != detail::jump_targets::none && t < rs.chains.size() && queued.insert(t).second) queue.push_back(t);
        continue;
      }
      if (r.act == action::unknown) {
        uncertain = true;
        continue;
      }
      if (r.act != action::dnat || !r.to.addr) continue;  // port-only DNAT keeps the address
      if (seen.contains(*r.to.addr)) continue;
      seen.add({*r.to.addr, r.to.addr->bits()}, 0);
      out.push_back(*r.to.addr);
    }
  }
  if (uncertain && out.empty()) return std::nullopt;
  return out;
}

namespace {

// (address, protocol, first port, last port) of a published service, for de-duplication.
struct service_key {
  ip_address address;
  int protocol = 0;
  std::uint16_t first = 0, last = 0;
  bool operator==(const service_key&) const = default;
};
struct service_key_hash {
  std::size_t operator()(const service_key& k) const noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (auto b : k.address.bytes) h = (h ^ b) * 1099511628211ull;
    for (std::uint64_t x : {std::uint64_t(k.address.v6), std::uint64_t(k.protocol), std::uint64_t(k.first), std::uint64_t(k.last)})
      h = (h ^ x) * 1099511628211ull;
    return static_cast<std::size_t>(h);
  }
};

// Calls f(rule, public address) for every host address of every DNAT rule published() reads, in its order.
template <class F>
void each_published_rule(const ruleset& rs, F&& f) {
  std::optional<std::vector<std::size_t>> built;
  const auto* reach = rs.index && rs.index->chain_count == rs.chains.size()
                          ? &rs.index->prerouting_reach
                          : &built.emplace(detail::prerouting_chains(rs, detail::resolve_jumps(rs, detail::chains_by_key(rs))));
  for (std::size_t ci : *reach) {
    for (const auto& r : rs.chains[ci].rules) {
      if (r.act != action::dnat || !r.to.addr || !r.match.daddr || r.match.daddr->negated) continue;
      for (const auto& p : r.match.daddr->any_of) {
        if (p.length != p.network.bits()) continue;  // a whole network is not one published address
        f(r, p.network);
      }
    }
  }
}

// Does the rule publish a TCP or UDP service (published() keeps those and "every protocol")?
bool publishes_tcp_or_udp(const rule& r) {
  if (r.match.dport && !r.match.dport->negated && r.match.dport->any_of.empty()) return false;  // no port at all
  if (r.match.protocol_negated || r.match.protocols.empty()) return true;
  return std::any_of(r.match.protocols.begin(), r.match.protocols.end(),
                     [](int p) { return p == proto_tcp || p == proto_udp || p == 0; });
}

}  // namespace

namespace detail {

std::vector<ip_address> published_addresses(const ruleset& rs) {
  std::vector<ip_address> out;
  prefix_lookup seen;
  each_published_rule(rs, [&](const rule& r, const ip_address& a) {
    if (!publishes_tcp_or_udp(r) || seen.contains(a)) return;
    seen.add({a, a.bits()}, 0);
    out.push_back(a);
  });
  return out;
}

}  // namespace detail

std::vector<published_service> published(const ruleset& rs) {
  std::vector<published_service> out;
  // Every service in out: an earlier rule takes it.
  std::unordered_set<service_key, service_key_hash> taken;
  each_published_rule(rs, [&](const rule& r, const ip_address& a) {
    std::vector<port_range> ports;
    if (r.match.dport && !r.match.dport->negated) ports = r.match.dport->any_of;
    else ports.push_back({0, 0});
    std::vector<int> protos = r.match.protocol_negated || r.match.protocols.empty() ? std::vector<int>{0}
                                                                                   : r.match.protocols;
    for (int proto : protos) {
      if (proto != proto_tcp && proto != proto_udp && proto != 0) continue;
      for (const auto& pr : ports) {
        if (!taken.insert({a, proto, pr.first, pr.last}).second) continue;  // an earlier rule already takes it
        published_service s;
        s.public_address = a;
        s.internal_address = *r.to.addr;
        s.where = r.where;
        s.rule_text = r.text;
        if (r.match.iif) s.iif = (r.match.iif->negated ? "!" : "") + r.match.iif->pattern;
        s.protocol = proto;
        s.port = pr.first;
        s.port_last = pr.last;
        // DNAT keeps the port when the target range holds it (or has no port), else takes the range's first.
        s.internal_port = r.to.ports && !r.to.ports->contains(pr.first) ? r.to.ports->first : pr.first;
        out.push_back(std::move(s));
      }
    }
  });
  return out;
}

}  // namespace hc::nat
