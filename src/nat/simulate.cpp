// The path simulator: one flow through nat PREROUTING, routing, filter FORWARD, nat POSTROUTING and
// the reply path, with three-valued matching so that what is not understood gives `unknown`.

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <tuple>
#include <fmt/format.h>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "nat/detail.hpp"
#include "nat/nat.hpp"
#include "nat/openwrt.hpp"

namespace hc::nat {
namespace {

enum class tri { no, yes, maybe };

tri negate_if(tri t, bool neg) {
  if (!neg || t == tri::maybe) return t;
  return t == tri::yes ? tri::no : tri::yes;
}

// Linux's default ephemeral port range, for the client side of a flow.
constexpr port_range ephemeral{32768, 60999};

// An interface as the simulator sees it: a name, or unknown (then only "not one of the others").
struct iface_state {
  std::string name;
  bool known = true;
};

struct packet {
  ip_address saddr, daddr;
  int proto = proto_tcp;
  std::optional<std::uint16_t> sport, dport;  // nullopt: an ephemeral port
  iface_state iif, oif;
  unsigned ct = ct_new;
  bool dst_local = false;
};

// The rules of one chain that test the same destination: a range of chain_lookup::members, split
// by the destination port they test when they are many (a few are cheaper to match than to look up).
struct rule_bucket {
  std::uint32_t begin = 0, end = 0;  // its rules, in rule order: members[begin, end)
  struct port_split {
    std::vector<std::uint32_t> any_port;  // rules without a (positive, short) port test, in rule order
    std::unordered_map<std::uint16_t, std::vector<std::uint32_t>> by_port;  // in rule order per port
  };
  std::unique_ptr<port_split> split;  // built by finish() for more than 16 rules

  void finish(const chain& c, const std::vector<std::uint32_t>& members) {
    constexpr std::size_t worth_it = 16;
    constexpr unsigned indexed_ports = 64;  // wider port tests go with the rules without one
    if (end - begin <= worth_it) return;
    split = std::make_unique<port_split>();
    for (std::uint32_t k = begin; k < end; ++k) {
      std::uint32_t n = members[k];
      const auto& d = c.rules[n].match.dport;
      unsigned ports = 0;
      if (d && !d->negated && !d->any_of.empty())
        for (const auto& pr : d->any_of) ports += static_cast<unsigned>(pr.last - pr.first) + 1;
      if (ports == 0 || ports > indexed_ports) {
        split->any_port.push_back(n);
        continue;
      }
      for (const auto& pr : d->any_of)
        for (unsigned p = pr.first; p <= pr.last; ++p) {
          auto& v = split->by_port[static_cast<std::uint16_t>(p)];
          if (v.empty() || v.back() != n) v.push_back(n);
        }
    }
  }
  void collect(std::optional<std::uint16_t> dport, const std::vector<std::uint32_t>& members,
               std::vector<std::uint32_t>& out) const {
    if (!dport || !split) {
      out.insert(out.end(), members.begin() + begin, members.begin() + end);
      return;
    }
    out.insert(out.end(), split->any_port.begin(), split->any_port.end());
    if (auto it = split->by_port.find(*dport); it != split->by_port.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  }
};

// The rules of one chain by the destination address and port they test: a packet can only match
// the rules whose destination prefixes hold its address (or that test no destination) and whose
// destination ports hold its port (or that test no port, or a wide range).
struct chain_lookup {
  std::unordered_map<prefix_key, std::uint32_t, prefix_key_hash> bucket_of;  // a tested destination -> bucket
  std::vector<unsigned> lengths[2];  // the distinct lengths in bucket_of: [0] IPv4, [1] IPv6
  std::vector<rule_bucket> buckets;  // [0]: the rules without a (positive, short) destination test
  std::vector<std::uint32_t> members;  // the rules of every bucket, bucket after bucket (rule_bucket::begin)

  // Calls f(bucket) for every bucket whose destination holds `a` (not bucket 0).
  template <class F>
  void each_containing(const ip_address& a, F&& f) const {
    for (unsigned len : lengths[a.v6])
      if (auto it = bucket_of.find(prefix_key{detail::masked(a, len), len}); it != bucket_of.end()) f(it->second);
  }
};

// Addresses, each as a full-length prefix (masked as prefix_lookup keys them), in one sorted vector:
// tens of thousands of public addresses without a hash node each.
class address_set {
 public:
  void add(const std::vector<ip_address>& list) {
    for (const auto& a : list) sorted_.push_back(masked(a, a.bits()));
  }
  void finish() { std::sort(sorted_.begin(), sorted_.end()); }  // before contains()
  bool contains(const ip_address& a) const { return std::binary_search(sorted_.begin(), sorted_.end(), masked(a, a.bits())); }

 private:
  std::vector<ip_address> sorted_;
};

// What the simulation of one rule set needs, built once for every flow: chains by name and by hook,
// each chain's rules by destination, the router's interfaces with their addresses and networks.
struct tables {
  const ruleset* rs = nullptr;
  // detail::chain_key() -> number in rs->chains: the rule set's own index when it is current (the
  // readers build it), else built here.
  std::unordered_map<std::string, std::size_t> chains;
  bool own_chains = false;
  // Per chain, built when a flow first reaches the chain: of 10^5 jump chains a run's flows visit a
  // few hundred (the analysis is single-threaded).
  mutable std::vector<std::unique_ptr<chain_lookup>> lookups;
  std::map<std::string, std::vector<const chain*>> hooks;  // base chains by hook, by priority (stable)
  std::vector<const chain*> bases;                      // every base chain, in the rule set's order
  std::vector<router_interface> ifs;
  // Every interface network; value: interface number. The host routes (an inferred WAN holds one per
  // public address) are in host_routes, sorted by address then interface number.
  detail::prefix_lookup routes;
  std::vector<std::pair<ip_address, std::uint32_t>> host_routes;
  address_set router_addresses;            // the router's own addresses
  address_set publics;                     // the public addresses of the DNAT rules

  // `published`: detail::published_addresses(r), computed once by the caller.
  tables(const ruleset& r, std::vector<router_interface> interfaces, const std::vector<ip_address>& published)
      : rs(&r), ifs(std::move(interfaces)) {
    if (!r.index || r.index->chain_count != r.chains.size()) {
      chains = detail::chains_by_key(r);
      own_chains = true;
    }
    lookups.resize(r.chains.size());
    for (const chain& c : r.chains) {
      if (!c.hook.empty()) {
        hooks[c.hook].push_back(&c);
        bases.push_back(&c);
      }
    }
    for (auto& [hook, list] : hooks)
      std::stable_sort(list.begin(), list.end(), [](const chain* a, const chain* b) { return a->priority < b->priority; });
    for (std::size_t i = 0; i < ifs.size(); ++i) {
      for (const auto& n : ifs[i].networks) {
        if (n.length >= n.network.bits()) host_routes.emplace_back(masked(n.network, n.network.bits()), static_cast<std::uint32_t>(i));
        else routes.add(n, static_cast<std::uint32_t>(i));
      }
      router_addresses.add(ifs[i].addresses);
    }
    publics.add(published);
    std::sort(host_routes.begin(), host_routes.end());
    router_addresses.finish();
    publics.finish();
  }

  const chain* find(const std::string& family, const std::string& table, const std::string& name) const {
    const auto& by_key = own_chains ? chains : rs->index->chains;
    auto it = by_key.find(detail::chain_key(family, table, name));
    return it == by_key.end() ? nullptr : &rs->chains[it->second];
  }

  // The look-up of chain `ci`, built on first use.
  const chain_lookup& lookup(std::size_t ci) const {
    auto& slot = lookups[ci];
    if (slot) return *slot;
    slot = std::make_unique<chain_lookup>();
    auto& l = *slot;
    const chain& c = rs->chains[ci];
    constexpr std::size_t indexed = 64;  // longer destination lists (sets) have their own look-up
    // The bucket of each (rule, prefix) in rule order, then the members of every bucket in one vector.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> placed;  // (bucket, rule)
    placed.reserve(c.rules.size());
    std::vector<std::uint32_t> counts{0};  // rules per bucket; bucket 0: any destination
    for (std::size_t ri = 0; ri < c.rules.size(); ++ri) {
      const rule& rl = c.rules[ri];
      const auto& d = rl.match.daddr;
      auto n = static_cast<std::uint32_t>(ri);
      if (!d || d->negated || d->any_of.size() > indexed) {
        placed.emplace_back(0, n);
        ++counts[0];
        continue;
      }
      for (const auto& p : d->any_of) {
        unsigned len = std::min(p.length, p.network.bits());
        auto [it, added] = l.bucket_of.try_emplace(prefix_key{detail::masked(p.network, len), len},
                                                   static_cast<std::uint32_t>(counts.size()));
        if (added) {
          counts.push_back(0);
          auto& lens = l.lengths[p.network.v6];
          if (std::find(lens.begin(), lens.end(), len) == lens.end()) lens.push_back(len);  // at most 129
        }
        placed.emplace_back(it->second, n);
        ++counts[it->second];
      }
    }
    l.buckets.resize(counts.size());
    std::uint32_t at = 0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
      l.buckets[b].begin = l.buckets[b].end = at;
      at += counts[b];
    }
    l.members.resize(at);
    for (const auto& [b, n] : placed) l.members[l.buckets[b].end++] = n;
    for (auto& b : l.buckets) b.finish(c, l.members);
    return l;
  }

  // The rules of `c` a packet to `daddr` and `dport` may match, in rule order.
  std::vector<std::uint32_t> candidates(const chain& c, const ip_address& daddr, std::optional<std::uint16_t> dport) const {
    const auto& l = lookup(static_cast<std::size_t>(&c - rs->chains.data()));
    std::vector<std::uint32_t> out;
    l.buckets[0].collect(dport, l.members, out);
    l.each_containing(daddr, [&](std::uint32_t b) { l.buckets[b].collect(dport, l.members, out); });
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());  // a rule with several prefixes that hold daddr
    return out;
  }
};

struct sim_env {
  const tables* t = nullptr;
  std::vector<std::string> known_names;  // interfaces the unknown one is not
};

tri match_iface(const iface_match& m, const iface_state& s, const sim_env& env) {
  tri t;
  if (s.known) {
    t = detail::iface_matches(m.pattern, s.name) ? tri::yes : tri::no;
  } else {
    bool other = std::any_of(env.known_names.begin(), env.known_names.end(),
                             [&](const std::string& n) { return n == m.pattern; });
    t = other ? tri::no : tri::maybe;
  }
  return negate_if(t, m.negated);
}

tri match_port(const port_match& m, std::optional<std::uint16_t> port) {
  tri t = tri::no;
  if (port) {
    for (auto& r : m.any_of)
      if (r.contains(*port)) t = tri::yes;
  } else {
    for (auto& r : m.any_of) {
      if (r.first <= ephemeral.first && r.last >= ephemeral.last) t = tri::yes;
      else if (r.last >= ephemeral.first && r.first <= ephemeral.last && t == tri::no) t = tri::maybe;
    }
  }
  return negate_if(t, m.negated);
}

tri match_addr(const addr_match& m, const ip_address& a) {
  return negate_if(m.in_any(a) ? tri::yes : tri::no, m.negated);
}

// All parts of the rule must hold; `why` names the first part that could not be decided.
tri match_rule(const match_set& m, const packet& p, const sim_env& env, std::string& why) {
  tri all = tri::yes;
  auto add = [&](tri t, const std::string& what) {
    if (t == tri::no) all = tri::no;
    else if (t == tri::maybe && all == tri::yes) {
      all = tri::maybe;
      why = what;
    }
  };
  if (m.family) add(*m.family == (p.daddr.v6 ? 6 : 4) ? tri::yes : tri::no, "family");
  if (m.saddr) add(match_addr(*m.saddr, p.saddr), "source address");
  if (m.daddr) add(match_addr(*m.daddr, p.daddr), "destination address");
  if (m.iif) add(match_iface(*m.iif, p.iif, env), "inbound interface " + m.iif->pattern + " (the LAN interface is not known)");
  if (m.oif) add(match_iface(*m.oif, p.oif, env), "outbound interface " + m.oif->pattern + " (the LAN interface is not known)");
  if (!m.protocols.empty()) {
    bool in = std::find(m.protocols.begin(), m.protocols.end(), p.proto) != m.protocols.end();
    add(negate_if(in ? tri::yes : tri::no, m.protocol_negated), "protocol");
  }
  if (m.dport) add(p.proto == proto_tcp || p.proto == proto_udp ? match_port(*m.dport, p.dport) : tri::no,
                   "destination port (an ephemeral port)");
  if (m.sport) add(p.proto == proto_tcp || p.proto == proto_udp ? match_port(*m.sport, p.sport) : tri::no,
                   "source port (an ephemeral port)");
  for (auto& c : m.ct) add(negate_if((c.any_of & p.ct) ? tri::yes : tri::no, c.negated), "conntrack state");
  if (m.dst_local) add(*m.dst_local == p.dst_local ? tri::yes : tri::no, "destination type");
  if (!m.unknown.empty() && all != tri::no) add(tri::maybe, "'" + m.unknown.front() + "' is not simulated");
  return all;
}

enum class verdict_kind { accept, drop, dnat, snat, masquerade, redirect, unknown };

struct verdict {
  verdict_kind what = verdict_kind::accept;
  const rule* by = nullptr;    // null: the chain policy
  const chain* in = nullptr;   // the chain of `by`, or the base chain whose policy decided
  std::string why;             // for unknown
};

// Runs one base chain with its jumps, gotos and returns.
// Only the rules that may match the packet's destination address and port are visited
// (tables::candidates): the others do not match, so skipping them changes nothing but the time.
verdict run_chain(const chain& base, const packet& p, const sim_env& env) {
  struct frame {
    const chain* c;
    std::vector<std::uint32_t> rules;  // the candidates, in rule order
    std::size_t next;
  };
  std::vector<frame> stack;
  stack.push_back({&base, env.t->candidates(base, p.daddr, p.dport), 0});
  std::size_t steps = 0;
  while (!stack.empty()) {
    frame& f = stack.back();
    if (f.next >= f.rules.size()) {
      stack.pop_back();  // the end of a user chain returns; of the base chain, the policy decides
      continue;
    }
    const rule& r = f.c->rules[f.rules[f.next++]];
    const chain* c = f.c;
    if (++steps > 100000 || stack.size() > 64) return {verdict_kind::unknown, &r, c, "jumps loop or nest too deep"};
    std::string why;
    tri t = match_rule(r.match, p, env, why);
    if (t == tri::no) continue;
    if (r.act == action::none) continue;
    if (t == tri::maybe) return {verdict_kind::unknown, &r, c, "cannot tell whether the rule matches: " + why};
    switch (r.act) {
      case action::none: break;
      case action::accept: return {verdict_kind::accept, &r, c, {}};
      case action::drop:
      case action::reject: return {verdict_kind::drop, &r, c, {}};
      case action::dnat: return {verdict_kind::dnat, &r, c, {}};
      case action::snat: return {verdict_kind::snat, &r, c, {}};
      case action::masquerade: return {verdict_kind::masquerade, &r, c, {}};
      case action::redirect: return {verdict_kind::redirect, &r, c, {}};
      case action::unknown: return {verdict_kind::unknown, &r, c, "target '" + r.target + "' is not simulated"};
      case action::ret: stack.pop_back(); break;
      case action::jump:
      case action::go: {
        const chain* target = env.t->find(c->family, c->table, r.target);
        if (!target) return {verdict_kind::unknown, &r, c, "jump to an unknown chain"};
        if (r.act == action::go) stack.pop_back();
        stack.push_back({target, env.t->candidates(*target, p.daddr, p.dport), 0});
        break;
      }
    }
  }
  return {base.policy_drop ? verdict_kind::drop : verdict_kind::accept, nullptr, &base, {}};
}

// Runs every base chain of a hook in priority order. NAT chains stop at the first NAT verdict.
verdict run_hook(const std::string& hook, const packet& p, const sim_env& env) {
  std::vector<const chain*> chains;
  if (auto it = env.t->hooks.find(hook); it != env.t->hooks.end())
    for (const chain* c : it->second) {
      if (c->family == "ip6" && !p.daddr.v6) continue;
      if (c->family == "ip" && p.daddr.v6) continue;
      chains.push_back(c);
    }
  std::optional<verdict> nat, first_nat_accept, last;
  for (const chain* c : chains) {
    bool is_nat = c->type == "nat" || c->table == "nat";
    if (is_nat && nat) continue;
    verdict v = run_chain(*c, p, env);
    if (v.what == verdict_kind::drop || v.what == verdict_kind::unknown) return v;
    if (v.what == verdict_kind::accept) {
      if (is_nat && !first_nat_accept) first_nat_accept = v;
      last = v;
      continue;
    }
    nat = v;
  }
  if (nat) return *nat;
  if (first_nat_accept) return *first_nat_accept;
  if (last) return *last;
  return {verdict_kind::accept, nullptr, nullptr, {}};
}

std::string policy_text(const ruleset& rs, const chain& c) {
  return rs.syntax == rule_syntax::iptables ? std::string("policy ") + (c.policy_drop ? "DROP" : "ACCEPT")
                                            : std::string("policy ") + (c.policy_drop ? "drop" : "accept");
}

std::optional<rule_ref> ref_of(const ruleset& rs, const verdict& v) {
  if (!v.in) return std::nullopt;
  rule_ref r;
  r.chain = detail::chain_label(rs, *v.in);
  if (v.by) {
    r.where = v.by->where;
    r.text = v.by->text;
    if (rs.syntax == rule_syntax::nft && v.by->handle) r.text += fmt::format(" (handle {})", v.by->handle);
  } else {
    r.where = v.in->where;
    r.text = policy_text(rs, *v.in);
  }
  return r;
}

// The interface a destination is routed to: longest matching network, else the default route.
const router_interface* route(const tables& t, const ip_address& a) {
  // Longest first (a host route), then the first listed.
  auto host = std::lower_bound(t.host_routes.begin(), t.host_routes.end(), std::pair{masked(a, a.bits()), std::uint32_t{0}});
  if (host != t.host_routes.end() && host->first == masked(a, a.bits())) return &t.ifs[host->second];
  if (auto i = t.routes.first_containing(a)) return &t.ifs[*i];
  for (const auto& i : t.ifs)
    if (i.default_route) return &i;
  return nullptr;
}

iface_state state_of(const router_interface* i) {
  if (!i || i->name.empty()) return {"", false};
  return {i->name, true};
}

bool is_router_address(const tables& t, const ip_address& a) { return t.router_addresses.contains(a); }

std::string iface_text(const router_interface* i) {
  if (!i) return "(no route)";
  return i->name.empty() ? std::string("the LAN interface") : i->name;
}

// A host address of the first LAN prefix, for a default vantage point.
std::optional<ip_address> default_vantage(const std::vector<router_interface>& ifs) {
  for (const auto& i : ifs) {
    if (i.default_route) continue;
    for (const auto& n : i.networks) {
      if (n.network.v6 || n.length > 30) continue;
      ip_address a = n.network;
      std::uint32_t host = n.length <= 24 ? 99 : 2;
      a.bytes[3] = static_cast<std::uint8_t>(a.bytes[3] + host);
      return a;
    }
  }
  return std::nullopt;
}

// The rule text as the fix's syntax writes an address: "198.18.1.53" or "[2001:db8::1]".
std::string addr_port(const ip_address& a, std::uint16_t port) {
  std::string s = a.v6 ? "[" + a.str() + "]" : a.str();
  return port ? s + ":" + std::to_string(port) : s;
}

// Pieces of the fixes in both syntaxes.
struct fixer {
  const ruleset& rs;
  const std::vector<router_interface>& ifs;
  const router_interface* lan;
  const std::vector<const chain*>& bases;  // the base chains, in the rule set's order

  bool nft() const { return rs.syntax == rule_syntax::nft; }

  std::string lan_prefix(const ip_address& near) const {
    for (const auto& i : ifs) {
      if (i.default_route) continue;
      for (const auto& n : i.networks)
        if (n.contains(near)) return n.str();
    }
    return near.str();
  }

  // "ip nat postrouting" for the base chain of a hook, in nft syntax.
  std::string nft_chain(const std::string& hook, bool nat, const ip_address& a) const {
    for (const chain* c : bases) {
      if (c->hook != hook || ((c->type == "nat") != nat)) continue;
      if (c->family == (a.v6 ? "ip" : "ip6")) continue;
      return c->family + " " + c->table + " " + c->name;
    }
    return std::string(a.v6 ? "ip6 " : "ip ") + (nat ? "nat " : "filter ") + hook;
  }

  std::string nft_family_word(const std::string& chain_label, const ip_address& a) const {
    return chain_label.rfind("inet ", 0) == 0 ? (a.v6 ? " ip6" : " ip") : "";
  }

  std::string l4(int proto, std::uint16_t port) const {
    if (nft()) return port ? fmt::format(" {} dport {}", detail::protocol_name(proto), port) : fmt::format(" meta l4proto {}", detail::protocol_name(proto));
    return port ? fmt::format(" -p {} --dport {}", detail::protocol_name(proto), port) : fmt::format(" -p {}", detail::protocol_name(proto));
  }

  std::string ipw(const ip_address& a) const { return a.v6 ? "ip6" : "ip"; }
  static std::string ipt(const ip_address& a) { return a.v6 ? "ip6tables" : "iptables"; }

  // Adds (or, when a rule decided, inserts first) a loopback SNAT for LAN sources.
  std::string loopback_snat(const ip_address& src, const ip_address& server, int proto, std::uint16_t port,
                            const ip_address& to, bool insert) const {
    if (nft()) {
      auto ch = nft_chain("postrouting", true, server);
      return fmt::format("nft {} rule {} {} saddr {} {} daddr {}{} snat{} to {}", insert ? "insert" : "add", ch,
                         ipw(server), lan_prefix(src), ipw(server), server.str(), l4(proto, port), nft_family_word(ch, to),
                         to.str());
    }
    return fmt::format("{} -t nat {} POSTROUTING -s {} -d {}{} -j SNAT --to-source {}", ipt(server), insert ? "-I" : "-A",
                       lan_prefix(src), server.str(), l4(proto, port), to.str());
  }

  std::string dnat(const ip_address& pub, int proto, std::uint16_t port, const std::string& internal,
                   bool insert) const {
    std::string iif = lan && !lan->name.empty() ? lan->name : "";
    if (nft()) {
      auto ch = nft_chain("prerouting", true, pub);
      return fmt::format("nft {} rule {} {}{} daddr {}{} dnat{} to {}", insert ? "insert" : "add", ch,
                         iif.empty() ? "" : "iifname \"" + iif + "\" ", ipw(pub), pub.str(), l4(proto, port),
                         nft_family_word(ch, pub), internal);
    }
    return fmt::format("{} -t nat {} PREROUTING {}-d {}{} -j DNAT --to-destination {}", ipt(pub), insert ? "-I" : "-A",
                       iif.empty() ? "" : "-i " + iif + " ", pub.str(), l4(proto, port), internal);
  }

  std::string forward_accept(const ip_address& server, int proto, std::uint16_t port, bool reply) const {
    std::string iif = lan && !lan->name.empty() ? lan->name : "";
    if (nft()) {
      auto ch = nft_chain("forward", false, server);
      if (reply) return fmt::format("nft insert rule {} ct state established,related accept", ch);
      std::string ifs_text = iif.empty() ? "" : fmt::format("iifname \"{}\" oifname \"{}\" ", iif, iif);
      return fmt::format("nft insert rule {} {}{} daddr {}{} ct status dnat accept", ch, ifs_text, ipw(server),
                         server.str(), l4(proto, port));
    }
    if (reply) return ipt(server) + " -I FORWARD 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT";
    std::string ifs_text = iif.empty() ? "" : fmt::format("-i {} -o {} ", iif, iif);
    return fmt::format("{} -I FORWARD 1 {}-d {}{} -m conntrack --ctstate DNAT -j ACCEPT", ipt(server), ifs_text,
                       server.str(), l4(proto, port));
  }

  // Removes a rule that drops the flow.
  std::string remove(const verdict& v) const {
    if (!v.by || !v.in) return {};
    if (nft()) {
      if (!v.by->handle) return {};
      return fmt::format("nft delete rule {} {} {} handle {}", v.in->family, v.in->table, v.in->name, v.by->handle);
    }
    std::string t = v.by->text;
    if (t.rfind("-A ", 0) == 0) t = "-D " + t.substr(3);
    std::string table = v.in->table == "filter" ? "" : "-t " + v.in->table + " ";
    return std::string(v.in->family == "ip6" ? "ip6tables " : "iptables ") + table + t;
  }
};

std::string explain_rule(const std::optional<rule_ref>& r) {
  if (!r) return "no rule";
  return r->str();
}

}  // namespace

finding_kind kind_of(outcome o) {
  switch (o) {
    case outcome::no_loopback: return finding_kind::nat_no_loopback;
    case outcome::snat_into_internal_view: return finding_kind::nat_snat_into_internal_view;
    case outcome::dnat_wan_only: return finding_kind::nat_dnat_wan_only;
    case outcome::forward_drop: return finding_kind::nat_forward_drop;
    case outcome::not_forwarded: return finding_kind::nat_not_forwarded;
    case outcome::works:
    case outcome::unknown: break;
  }
  return finding_kind::nat_unsimulated;
}

const char* to_string(outcome o) {
  switch (o) {
    case outcome::works: return "works";
    case outcome::no_loopback: return "no-loopback";
    case outcome::snat_into_internal_view: return "snat-into-internal-view";
    case outcome::dnat_wan_only: return "dnat-wan-only";
    case outcome::forward_drop: return "forward-drop";
    case outcome::not_forwarded: return "not-forwarded";
    case outcome::unknown: return "unknown";
  }
  return "unknown";
}

std::string rule_ref::str() const {
  std::string w = where.str();
  return w.empty() ? text : w + ": " + text;
}

std::string service_name(int protocol, std::uint16_t port) {
  if (port == 53) return protocol == proto_udp ? "dns/udp" : "dns/tcp";
  if (protocol == proto_tcp) {
    switch (port) {
      case 443: return "https";
      case 80: return "http";
      case 25: return "smtp";
      case 993: return "imaps";
      default: break;
    }
  }
  return detail::protocol_name(protocol) + "/" + std::to_string(port);
}

namespace {

// infer_interfaces() with detail::published_addresses(rs) computed by the caller (a pass over every
// DNAT rule: done once per analysis).
std::vector<router_interface> infer_interfaces_with(const ruleset& rs, const analysis_context& ctx,
                                                    const std::vector<ip_address>& published) {
  if (!ctx.interfaces.empty()) return ctx.interfaces;
  std::vector<ip_prefix> lan = ctx.lan;
  std::vector<ip_address> publics;  // in order of first appearance, each once
  address_set seen_publics;  // the services' addresses (`published` holds each address once)
  for (const auto& s : ctx.services) publics.push_back(s.public_address);  // as given, duplicates kept
  seen_publics.add(publics);
  seen_publics.finish();
  for (const auto& a : published)
    if (!seen_publics.contains(a)) publics.push_back(a);
  // LAN prefixes from the source-NAT rules: "-s 198.18.1.0/24 ... -j SNAT".
  if (lan.empty()) {
    std::set<ip_prefix> seen;
    for (const auto& c : rs.chains)
      for (const auto& r : c.rules)
        if ((r.act == action::snat || r.act == action::masquerade) && r.match.saddr && !r.match.saddr->negated)
          for (const auto& p : r.match.saddr->any_of)
            if (p.length > 0 && p.length < p.network.bits() && seen.insert(p).second) lan.push_back(p);
  }
  if (lan.empty() && ctx.vantage && !ctx.vantage->v6) lan.push_back(*ip_prefix::parse(ctx.vantage->str() + "/24"));
  detail::prefix_lookup lan_lookup;
  for (const auto& l : lan) lan_lookup.add(l, 0);
  auto in_lan = [&](const addr_match& m) {
    if (m.negated || m.any_of.empty()) return false;
    return std::all_of(m.any_of.begin(), m.any_of.end(), [&](const ip_prefix& p) { return lan_lookup.covers(p); });
  };
  auto covers_lan_negated = [&](const addr_match& m) {
    if (!m.negated) return false;
    return std::any_of(m.any_of.begin(), m.any_of.end(), [&](const ip_prefix& p) {
      return std::any_of(lan.begin(), lan.end(), [&](const ip_prefix& l) { return p.contains(l); });
    });
  };
  struct score {
    std::string name;
    double lan = 0, wan = 0;
  };
  std::vector<score> scores;  // in order of first appearance
  std::unordered_map<std::string, std::size_t> score_of;
  auto at = [&](const std::string& name) -> score& {
    auto [it, added] = score_of.emplace(name, scores.size());
    if (added) scores.push_back({name});
    return scores[it->second];
  };
  auto plain = [](const std::optional<iface_match>& m) {
    return m && !m->negated && !m->pattern.empty() && m->pattern.back() != '+' && m->pattern.back() != '*';
  };
  for (const auto& c : rs.chains) {
    for (const auto& r : c.rules) {
      const auto& m = r.match;
      if (plain(m.iif)) {
        score& s = at(m.iif->pattern);
        if (m.saddr && in_lan(*m.saddr)) s.lan += 1;
        if (plain(m.oif) && m.oif->pattern == m.iif->pattern) s.lan += 1;
        if (c.hook == "prerouting" && r.act == action::dnat) s.wan += 1;
        if (m.saddr && covers_lan_negated(*m.saddr)) s.wan += 1;
      }
      if (plain(m.oif)) {
        score& s = at(m.oif->pattern);
        if (m.daddr && covers_lan_negated(*m.daddr)) s.wan += 1;
        if ((r.act == action::snat || r.act == action::masquerade) && (!m.daddr || m.daddr->negated)) s.wan += 1;
        if (m.daddr && in_lan(*m.daddr)) s.lan += 1;
      }
    }
  }
  for (auto& s : scores) {
    auto has = [&](const char* w) { return s.name.find(w) != std::string::npos; };
    if (has("lan") || has("br") || has("int") || has("inside")) s.lan += 0.5;
    if (has("wan") || has("ppp") || has("ext") || has("outside") || has("uplink")) s.wan += 0.5;
  }
  const score* lan_if = nullptr;
  const score* wan_if = nullptr;
  for (const auto& s : scores) {
    if (s.lan > s.wan && (!lan_if || s.lan - s.wan > lan_if->lan - lan_if->wan)) lan_if = &s;
    if (s.wan > s.lan && (!wan_if || s.wan - s.lan > wan_if->wan - wan_if->lan)) wan_if = &s;
  }
  std::vector<router_interface> out;
  router_interface l;
  l.name = lan_if ? lan_if->name : "";
  l.networks = lan;
  out.push_back(std::move(l));
  router_interface w;
  w.name = wan_if ? wan_if->name : "";
  if (w.name.empty()) w.name = "(wan)";  // a name no rule uses: rules naming an interface do not match it
  for (const auto& p : publics) {
    w.networks.push_back(ip_prefix{p, p.bits()});
    w.addresses.push_back(p);
  }
  w.default_route = true;
  out.push_back(std::move(w));
  return out;
}

}  // namespace

std::vector<router_interface> infer_interfaces(const ruleset& rs, const analysis_context& ctx) {
  if (!ctx.interfaces.empty()) return ctx.interfaces;
  return infer_interfaces_with(rs, ctx, detail::published_addresses(rs));
}

namespace {

// One flow through the tables of its rule set (see predict()).
flow_prediction predict_in(const tables& t, const flow& f, const analysis_context& ctx) {
  const ruleset& rs = *t.rs;
  const auto& ifs = t.ifs;
  flow_prediction out;
  if (rs.errors) {
    out.result = outcome::unknown;
    out.reason = fmt::format("{} could not be read completely ({} errors): a missing rule could change the outcome",
                             rs.file, rs.errors);
    return out;
  }
  sim_env env;
  env.t = &t;
  for (const auto& i : ifs)
    if (!i.name.empty()) env.known_names.push_back(i.name);
  const router_interface* in_if = route(t, f.source);
  if (in_if && in_if->default_route) {
    // The vantage point is not on any LAN network: assume the first non-default interface.
    for (const auto& i : ifs)
      if (!i.default_route) in_if = &i;
  }
  // The unknown-named interface is "not any of the named ones".
  if (in_if && in_if->name.empty()) {
    env.known_names.clear();
    for (const auto& i : ifs)
      if (&i != in_if && !i.name.empty()) env.known_names.push_back(i.name);
  }
  const router_interface* wan_if = nullptr;
  for (const auto& i : ifs)
    if (i.default_route) wan_if = &i;
  fixer fx{rs, ifs, in_if, t.bases};
  out.in_iface = iface_text(in_if);
  std::string svc = service_name(f.protocol, f.port);
  std::string proto_port = fmt::format("{}/{}", detail::protocol_name(f.protocol), f.port);

  auto is_public = [&](const ip_address& a) { return is_router_address(t, a) || t.publics.contains(a); };

  // 1. nat PREROUTING, arriving on the LAN interface.
  packet p;
  p.saddr = f.source;
  p.daddr = f.destination;
  p.proto = f.protocol;
  p.sport = std::nullopt;
  p.dport = f.port;
  p.iif = state_of(in_if);
  p.oif = {"", true};
  p.ct = ct_new;
  p.dst_local = is_public(f.destination);
  // A verdict the simulator cannot decide: the prediction is unknown, and the rule says why.
  auto unknown_at = [&](const char* where, const verdict& v) {
    out.result = outcome::unknown;
    out.decided_by = ref_of(rs, v);
    out.reason = fmt::format("{}: {} ({})", where, v.why, explain_rule(out.decided_by));
    return out;
  };
  verdict pre = run_hook("prerouting", p, env);
  if (pre.what == verdict_kind::unknown) return unknown_at("PREROUTING", pre);
  if (pre.what == verdict_kind::drop) {
    out.result = outcome::forward_drop;
    out.decided_by = ref_of(rs, pre);
    out.reason = fmt::format("the {} packet to {} is dropped before routing by {}", proto_port, f.destination.str(),
                             explain_rule(out.decided_by));
    out.fix = fx.remove(pre);
    return out;
  }
  if (pre.what == verdict_kind::redirect) {
    out.result = outcome::unknown;
    out.decided_by = ref_of(rs, pre);
    out.reason = fmt::format("REDIRECT hands {} to the router itself ({})", proto_port, explain_rule(out.decided_by));
    return out;
  }
  if (pre.what != verdict_kind::dnat) {
    // No DNAT for LAN clients. Would the same packet be DNATed arriving from the WAN?
    packet wp = p;
    wp.saddr = *ip_address::parse(f.destination.v6 ? "2001:db8:ffff::7" : "198.51.100.7");
    wp.iif = wan_if ? state_of(wan_if) : iface_state{"", false};
    verdict wv = run_hook("prerouting", wp, env);
    auto lan_decider = ref_of(rs, pre);
    if (wv.what == verdict_kind::dnat && wv.by) {
      out.result = outcome::dnat_wan_only;
      out.decided_by = ref_of(rs, wv);
      out.rules.push_back(*out.decided_by);
      out.dnat_to = wv.by->to.addr;
      std::string internal = wv.by->to.addr ? addr_port(*wv.by->to.addr, wv.by->to.ports ? wv.by->to.ports->first : 0)
                                            : fmt::format(":{}", wv.by->to.ports ? wv.by->to.ports->first : f.port);
      out.reason = fmt::format(
          "{} DNATs {} {} only for packets from {}; from {} the packet reaches the router itself ({})",
          out.decided_by->str(), f.destination.str(), proto_port, wan_if ? iface_text(wan_if) : "the WAN",
          out.in_iface, lan_decider && lan_decider->text.rfind("policy", 0) != 0 ? "decided by " + lan_decider->str()
                                                                                 : "no LAN rule matches");
      out.fix = fx.dnat(f.destination, f.protocol, f.port, internal, pre.by != nullptr);
      return out;
    }
    if (wv.what == verdict_kind::unknown) return unknown_at("no DNAT for LAN clients, and for WAN clients", wv);
    out.result = outcome::not_forwarded;
    out.decided_by = lan_decider;
    out.reason = fmt::format("no DNAT rule maps {} {} to an internal server{}", f.destination.str(), proto_port,
                             lan_decider ? " (decided by " + lan_decider->str() + ")" : std::string());
    return out;
  }
  // 2. DNAT happened.
  out.rules.push_back(*ref_of(rs, pre));
  auto dnat_ref = *ref_of(rs, pre);
  const rule& dn = *pre.by;
  ip_address server = dn.to.addr ? *dn.to.addr : f.destination;
  // nf_nat keeps the original port when the target range holds it, else it takes one from the range.
  std::uint16_t sport_after = !dn.to.ports || dn.to.ports->contains(f.port) ? f.port : dn.to.ports->first;
  out.dnat_to = server;
  out.dnat_port = sport_after;
  if (is_router_address(t, server)) {
    out.result = outcome::works;
    out.seen_source = f.source;
    out.seen_source_text = f.source.str();
    out.reason = fmt::format("{} DNATs to the router's own address {}", dnat_ref.str(), server.str());
    return out;
  }
  const router_interface* out_if = route(t, server);
  out.out_iface = iface_text(out_if);
  packet fp = p;
  fp.daddr = server;
  fp.dport = sport_after;
  fp.oif = state_of(out_if);
  fp.ct = ct_new | ct_dnat;
  fp.dst_local = false;
  // 3. filter FORWARD.
  verdict fwd = run_hook("forward", fp, env);
  if (fwd.what == verdict_kind::unknown) return unknown_at("FORWARD", fwd);
  if (fwd.what == verdict_kind::drop) {
    out.result = outcome::forward_drop;
    out.decided_by = ref_of(rs, fwd);
    out.reason = fmt::format("{} DNATs {} to {}, but the FORWARD chain drops the looped-back packet from {} to {}: {}",
                             dnat_ref.str(), proto_port, server.str(), out.in_iface, out.out_iface,
                             explain_rule(out.decided_by));
    out.fix = fwd.by ? fx.remove(fwd) + "; or " + fx.forward_accept(server, f.protocol, sport_after, false)
                     : fx.forward_accept(server, f.protocol, sport_after, false);
    if (fwd.by && fx.remove(fwd).empty()) out.fix = fx.forward_accept(server, f.protocol, sport_after, false);
    return out;
  }
  if (auto r = ref_of(rs, fwd)) out.rules.push_back(*r);
  // 4. nat POSTROUTING on the outbound interface.
  packet pp = fp;
  verdict post = run_hook("postrouting", pp, env);
  if (post.what == verdict_kind::unknown) return unknown_at("POSTROUTING", post);
  if (post.what == verdict_kind::drop) {
    out.result = outcome::forward_drop;
    out.decided_by = ref_of(rs, post);
    out.reason = fmt::format("the looped-back packet to {} is dropped in POSTROUTING by {}", server.str(),
                             explain_rule(out.decided_by));
    out.fix = fx.remove(post);
    return out;
  }
  bool snatted = post.what == verdict_kind::snat || post.what == verdict_kind::masquerade;
  std::optional<ip_address> seen = f.source;
  std::string seen_text = f.source.str();
  std::optional<ip_address> seen_probe;  // an address to ask the internal-view predicate about
  if (post.what == verdict_kind::snat) {
    seen = post.by->to.addr;
    seen_text = seen ? seen->str() : "?";
    seen_probe = seen;
  } else if (post.what == verdict_kind::masquerade) {
    if (out_if && !out_if->addresses.empty()) {
      seen = out_if->addresses.front();
      seen_text = fmt::format("{} (the router's {} address)", seen->str(), iface_text(out_if));
      seen_probe = seen;
    } else {
      seen.reset();
      seen_text = fmt::format("the router's {} address", iface_text(out_if));
      if (out_if && !out_if->networks.empty() && !out_if->networks.front().network.v6 &&
          out_if->networks.front().length < 31) {
        ip_address a = out_if->networks.front().network;
        a.bytes[3] = static_cast<std::uint8_t>(a.bytes[3] + 1);
        seen_probe = a;
        seen_text += " (in " + out_if->networks.front().str() + ")";
      }
    }
  }
  out.seen_source = seen;
  out.seen_source_text = seen_text;
  auto post_ref = ref_of(rs, post);
  if (snatted && post_ref) out.rules.push_back(*post_ref);
  // 5. The reply: straight back on the LAN, or through the router?
  bool same_net = false;
  if (!snatted && out_if)
    for (const auto& n : out_if->networks)
      if (n.contains(f.source) && n.contains(server)) same_net = true;
  if (!snatted && same_net) {
    out.result = outcome::no_loopback;
    out.decided_by = post_ref;
    out.reason = fmt::format(
        "{} DNATs {} to {}, but no POSTROUTING rule rewrites the source {} ({}): {} replies straight to {}, "
        "bypassing the router",
        dnat_ref.str(), proto_port, server.str(), f.source.str(),
        post_ref ? "decided by " + post_ref->str() : "no NAT chain", server.str(), f.source.str());
    out.fix = fx.loopback_snat(f.source, server, f.protocol, sport_after, f.destination, post.by != nullptr);
    return out;
  }
  packet rp;
  rp.saddr = server;
  rp.daddr = f.source;
  rp.proto = f.protocol;
  rp.sport = sport_after;
  rp.dport = std::nullopt;
  rp.iif = state_of(out_if);
  rp.oif = state_of(in_if);
  rp.ct = ct_established | ct_dnat | (snatted ? ct_snat : 0u);
  verdict rfwd = run_hook("forward", rp, env);
  if (rfwd.what == verdict_kind::unknown) return unknown_at("FORWARD (reply)", rfwd);
  if (rfwd.what == verdict_kind::drop) {
    out.result = outcome::forward_drop;
    out.decided_by = ref_of(rs, rfwd);
    out.reason = fmt::format("the FORWARD chain drops the reply from {} to {}: {}", server.str(), f.source.str(),
                             explain_rule(out.decided_by));
    out.fix = fx.forward_accept(server, f.protocol, sport_after, true);
    return out;
  }
  // 6. DNS answers by the client's address: a loopback SNAT into the internal view picks the wrong view.
  if (f.port == 53 && snatted && ctx.internal_view && seen_probe && ctx.internal_view(*seen_probe)) {
    out.result = outcome::snat_into_internal_view;
    out.decided_by = post_ref;
    out.reason = fmt::format(
        "{} rewrites the source to {}, which the internal view's match-clients takes: DNS through {} answers from "
        "the internal view",
        explain_rule(post_ref), seen_text, f.destination.str());
    out.fix = fx.loopback_snat(f.source, server, f.protocol, sport_after, f.destination, true);
    return out;
  }
  out.result = outcome::works;
  out.reason = fmt::format("{} DNATs {} to {}; {} sees {}{}", dnat_ref.str(), proto_port, server.str(), server.str(),
                           seen_text, snatted ? " (" + explain_rule(post_ref) + ")" : ", and replies through the router");
  return out;
}

}  // namespace

flow_prediction predict(const ruleset& rs, const flow& f, const analysis_context& ctx) {
  auto published = detail::published_addresses(rs);
  tables t(rs, infer_interfaces_with(rs, ctx, published), published);
  return predict_in(t, f, ctx);
}

std::string summary(const flow_prediction& p, const flow& f) {
  std::string pp = fmt::format("{}/{}", detail::protocol_name(f.protocol), f.port);
  std::string where = p.decided_by ? " (" + p.decided_by->where.str() + ")" : "";
  switch (p.result) {
    case outcome::works:
      return fmt::format("predicted: works, {} sees {}", p.dnat_to ? p.dnat_to->str() : "the server", p.seen_source_text);
    case outcome::no_loopback: return fmt::format("predicted: no loopback SNAT for {}", pp);
    case outcome::snat_into_internal_view:
      return fmt::format("predicted: loopback SNAT for {} to {} falls inside the internal view", pp, p.seen_source_text);
    case outcome::dnat_wan_only: return fmt::format("predicted: DNAT for {} only matches packets from the WAN{}", pp, where);
    case outcome::forward_drop: return fmt::format("predicted: the router drops the looped-back {}{}", pp, where);
    case outcome::not_forwarded: return fmt::format("predicted: no DNAT for {} {}", f.destination.str(), pp);
    case outcome::unknown: return fmt::format("predicted: unknown for {}: {}", pp, p.reason);
  }
  return "predicted: unknown";
}

std::vector<service_prediction> predict_services(const ruleset& rs, const analysis_context& ctx) {
  std::vector<service_check> services = ctx.services;
  if (services.empty()) {
    for (const auto& p : published(rs)) {
      if (p.port == 0 || (p.protocol != proto_tcp && p.protocol != proto_udp)) continue;  // every port: nothing to name
      service_check s;
      s.public_address = p.public_address;
      s.protocol = p.protocol;
      s.port = p.port;
      s.internal_address = p.internal_address;
      services.push_back(s);
    }
  }
  auto published_addrs = detail::published_addresses(rs);  // one pass over the DNAT rules for both
  auto ifs = infer_interfaces_with(rs, ctx, published_addrs);
  analysis_context c2 = ctx;
  if (!c2.vantage) c2.vantage = default_vantage(ifs);
  tables t(rs, std::move(ifs), published_addrs);
  c2.interfaces = {};  // in t; predict_in() reads them there
  c2.services = {};
  std::vector<service_prediction> out;
  out.reserve(services.size());
  for (const auto& s : services) {
    service_prediction sp;
    sp.service = s;
    if (!c2.vantage) {
      sp.prediction.result = outcome::unknown;
      sp.prediction.reason = "the vantage address and the LAN are not known";
    } else {
      flow f{*c2.vantage, s.public_address, s.protocol, s.port};
      sp.prediction = predict_in(t, f, c2);
    }
    out.push_back(std::move(sp));
  }
  return out;
}

std::vector<finding> analyse(const ruleset& rs, const analysis_context& ctx) {
  std::vector<finding> out;
  std::optional<std::vector<router_interface>> ifs;       // for the fixes of nat-not-forwarded, once
  std::vector<const chain*> bases;
  for (const auto& c : rs.chains)
    if (!c.hook.empty()) bases.push_back(&c);
  std::map<std::tuple<finding_kind, std::string, std::string, std::string, std::string>, std::size_t> causes;
  for (const auto& sp : predict_services(rs, ctx)) {
    const auto& p = sp.prediction;
    const auto& s = sp.service;
    if (p.result == outcome::works) continue;
    // Unknown because the vantage point is not known says nothing about the rules; unknown because a
    // rule cannot be simulated must be said, naming the rule, never dropped.
    if (p.result == outcome::unknown && !p.decided_by) continue;
    finding fd;
    fd.kind = kind_of(p.result);
    fd.sev = default_severity(fd.kind);
    fd.name = s.name;
    fd.service = service_name(s.protocol, s.port);
    fd.path = "hairpin";
    fd.address = s.public_address.str();
    fd.evidence = p.reason;
    fd.fix = p.fix;
    if (p.result == outcome::unknown)
      fd.fix = fmt::format("the hairpin of {} {} cannot be predicted from the rules; the live probe decides (run "
                           "without --static from a LAN host), or rewrite the rule with targets and matches the "
                           "simulator models",
                           fd.service, fd.address);
    if (p.result == outcome::not_forwarded) {
      if (!ifs) ifs = infer_interfaces(rs, ctx);
      fixer fx{rs, *ifs, nullptr, bases};
      std::string internal = s.internal_address ? addr_port(*s.internal_address, 0) : std::string("INTERNAL-ADDRESS");
      fd.fix = fx.dnat(s.public_address, s.protocol, s.port, internal, false);
      if (s.internal_address && ctx.vantage)
        fd.fix += "; " + fx.loopback_snat(*ctx.vantage, *s.internal_address, s.protocol, s.port, s.public_address, false);
    }
    fd.fix = router_fix(rs, p, s, fd.fix);  // the router's own commands (uci for OpenWrt), else fd.fix
    // One finding per cause: the flows of many names to the same address and port fail the same
    // way (same kind, evidence and fix); they become one finding listing every name.
    if (!fd.name.empty()) {
      auto key = std::make_tuple(fd.kind, fd.address, fd.service, fd.evidence, fd.fix);
      auto [at, fresh] = causes.emplace(std::move(key), out.size());
      if (!fresh) {
        out[at->second].names.push_back(std::move(fd.name));
        continue;
      }
      fd.names.push_back(fd.name);
    }
    out.push_back(std::move(fd));
  }
  for (auto& f : out) {
    if (f.names.empty()) continue;
    std::sort(f.names.begin(), f.names.end());
    f.names.erase(std::unique(f.names.begin(), f.names.end()), f.names.end());
    f.name = f.names.front();
    f.count = f.names.size();
  }
  return out;
}

}  // namespace hc::nat
