// MikroTik RouterOS: an export (.rsc) read into the chains RouterOS runs, and fixes as RouterOS
// commands. The model: ip nat dstnat (prerouting -100), ip filter forward (policy accept, as RouterOS
// has no chain policy), ip nat srcnat (postrouting 100), user chains reached by action=jump; the
// router's own addresses (/ip address) as a chain of no hook in the "routeros address" table, whose
// rules name each interface (oif) and its network (daddr), so that the simulator's interface
// inference and the fixes know the LAN.

#include "nat/mikrotik.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "nat/detail.hpp"

namespace hc::nat {
namespace {

constexpr std::size_t max_logical_chars = 64 * 1024;  // one command with its continuations
constexpr std::size_t max_commands = 100000;
constexpr std::size_t max_list_entries = 100000;
constexpr std::size_t max_text = 300;  // a rule's text as kept for evidence
constexpr std::size_t max_members = 256;        // interfaces of one interface list
constexpr std::size_t max_own_addresses = 4096;  // /ip address entries
constexpr std::size_t max_copied = 4000000;     // prefixes and rule copies the lists expand to, in all

// One word of a command with where it starts.
struct word {
  std::string text;
  source_location where;
  bool assigned = true;  // an argument's value: false when the argument has no '=' at all
};

// A `add`/`set`/... command of a menu, with its key=value arguments.
struct command {
  std::string menu;  // "ip firewall nat", with single spaces
  std::string verb;  // add, set, remove, ...
  source_location where;
  std::vector<std::pair<word, word>> args;  // key, value (value empty when the argument has no '=')
  std::string text;                         // the command as written, bounded
};

bool is_verb(std::string_view w) {
  return w == "add" || w == "set" || w == "remove" || w == "print" || w == "unset" || w == "enable" ||
         w == "disable" || w == "move" || w == "edit" || w == "export" || w == "find" || w == "comment" || w == "reset";
}

// Splits a logical line into words; quotes group ("..." with backslash escapes), brackets [...] are
// one word. False (with the column) when a quote or bracket is not closed.
bool split_words(const std::string& line, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& at,
                 const std::string& file, std::vector<word>& out, source_location& bad) {
  std::size_t i = 0;
  auto loc = [&](std::size_t k) { return source_location{file, at[k].first, at[k].second}; };
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    word w;
    w.where = loc(i);
    int depth = 0;
    while (i < line.size() && (depth > 0 || (line[i] != ' ' && line[i] != '\t' && line[i] != '\r'))) {
      if (line[i] == '"') {
        std::size_t start = i++;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) ++i;
          w.text += line[i++];
        }
        if (i >= line.size()) {
          bad = loc(start);
          return false;
        }
        ++i;
        continue;
      }
      if (line[i] == '[') ++depth;
      if (line[i] == ']' && depth > 0) --depth;
      w.text += line[i++];
    }
    if (depth > 0) {
      bad = w.where;
      return false;
    }
    out.push_back(std::move(w));
  }
  return true;
}

// Reads the commands: `\` at the end of a line continues it, `#` starts a comment line, a line
// starting with '/' changes the menu (and may carry a command after the menu's words).
std::vector<command> read_commands(std::string_view text, const std::string& file, diagnostics& diags) {
  std::vector<command> out;
  std::string menu;
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  std::string logical;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> at;  // line and column of each char of `logical`
  bool too_long = false;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool continued = !line.empty() && line.back() == '\\';
    if (continued) line.remove_suffix(1);
    if (logical.empty()) {
      auto first = line.find_first_not_of(" \t");
      if (first == std::string_view::npos) continue;
      if (line[first] == '#' && !continued) continue;
    }
    for (std::size_t k = 0; k < line.size(); ++k) {
      if (logical.size() >= max_logical_chars) {
        too_long = true;
        break;
      }
      logical += line[k];
      at.emplace_back(line_no, static_cast<std::uint32_t>(k + 1));
    }
    if (continued && pos <= text.size()) continue;
    if (too_long) {
      diags.error({file, at.front().first, at.front().second}, "command too long");
      logical.clear();
      at.clear();
      too_long = false;
      continue;
    }
    std::vector<word> w;
    source_location bad;
    bool ok = split_words(logical, at, file, w, bad);
    std::string whole;  // the command as written, continuation indents folded to one space, bounded
    for (char c : logical.substr(logical.find_first_not_of(" \t")))
      if (whole.size() < max_text && (c != ' ' || whole.empty() || whole.back() != ' '))
        whole += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;  // no control bytes in evidence
    logical.clear();
    at.clear();
    if (!ok) {
      diags.error(bad, "quote or bracket not closed");
      continue;
    }
    if (w.empty() || w[0].text.starts_with("#")) continue;
    std::size_t k = 0;
    if (w[0].text.starts_with("/")) {
      std::string m;
      for (; k < w.size() && !is_verb(w[k].text) && w[k].text.find('=') == std::string::npos; ++k) {
        for (char c : w[k].text) m += c == '/' ? ' ' : c;
        m += ' ';
      }
      // "/ip firewall nat" and "/ip/firewall/nat" alike: single spaces, none at the ends.
      std::string norm;
      for (char c : m)
        if (c != ' ' || (!norm.empty() && norm.back() != ' ')) norm += c;
      while (!norm.empty() && norm.back() == ' ') norm.pop_back();
      menu = norm;
      if (k == w.size()) continue;
    }
    if (!is_verb(w[k].text)) {
      diags.error(w[k].where, "expected a menu (/ip firewall nat) or a command (add, set)", w[k].text.substr(0, 40));
      continue;
    }
    if (out.size() >= max_commands) {
      diags.error(w[k].where, "too many commands");
      return out;
    }
    command c;
    c.menu = menu;
    c.verb = w[k].text;
    c.where = w[k].where;
    c.text = whole;
    for (++k; k < w.size(); ++k) {
      auto eq = w[k].text.find('=');
      word key{w[k].text.substr(0, eq), w[k].where};
      word val{eq == std::string::npos ? std::string() : w[k].text.substr(eq + 1), w[k].where, eq != std::string::npos};
      if (eq != std::string::npos) val.where.column += static_cast<std::uint32_t>(eq + 1);
      c.args.emplace_back(std::move(key), std::move(val));
    }
    out.push_back(std::move(c));
  }
  return out;
}

const word* arg(const command& c, std::string_view key) {
  for (const auto& [k, v] : c.args)
    if (k.text == key) return &v;
  return nullptr;
}

// The keys of a firewall rule that change nothing the simulator looks at.
bool harmless_key(std::string_view k) {
  return k == "comment" || k == "log" || k == "log-prefix" || k == "disabled" || k == "place-before" ||
         k == "chain" || k == "action" || k == "to-addresses" || k == "to-address" || k == "to-ports" || k == "jump-target" || k == "hw-offload";
}

class builder {
 public:
  builder(std::vector<command> cmds, const std::string& file, diagnostics& diags)
      : cmds_(std::move(cmds)), file_(file), diags_(diags) {}

  ruleset run() {
    ruleset rs;
    rs.syntax = rule_syntax::routeros;
    rs.file = file_;
    source_location origin{file_, 1, 1};
    read_interfaces();
    read_address_lists();
    // IPv4 (/ip firewall) and IPv6 (/ipv6 firewall, RouterOS 7: dstnat, srcnat, masquerade, netmap)
    // each have their own chains, print numbers and address lists.
    bool any_v6 = std::any_of(cmds_.begin(), cmds_.end(), [](const command& c) {
      return c.menu == "ipv6 firewall nat" || c.menu == "ipv6 firewall filter";
    });
    for (bool v6 : {false, true}) {
      if (v6 && !any_v6) break;
      std::map<std::string, chain> nat_chains, filter_chains;
      std::vector<std::string> nat_order, filter_order;
      std::size_t nat_number = 0, filter_number = 0;
      const std::string nat_menu = v6 ? "ipv6 firewall nat" : "ip firewall nat";
      const std::string filter_menu = v6 ? "ipv6 firewall filter" : "ip firewall filter";
      for (const auto& c : cmds_) {
        bool nat = c.menu == nat_menu;
        bool filter = c.menu == filter_menu;
        if (!nat && !filter) continue;
        if (c.verb != "add") {
          diags_.error(c.where, "only `add` commands are read in /" + c.menu + " (give the output of `export`)", c.verb);
          continue;
        }
        std::size_t number = nat ? nat_number++ : filter_number++;  // print numbers count disabled rules too
        const word* ch = arg(c, "chain");
        if (!ch || ch->text.empty()) {
          diags_.error(c.where, "rule without chain=");
          continue;
        }
        if (const word* d = arg(c, "disabled"); d && d->text == "yes") continue;
        auto& chains = nat ? nat_chains : filter_chains;
        auto& order = nat ? nat_order : filter_order;
        if (!chains.count(ch->text)) {
          order.push_back(ch->text);
          chains[ch->text] = make_chain(ch->text, nat ? "nat" : "filter", c.where, v6);
        }
        for (auto& r : to_rules(c, nat, v6)) {
          r.handle = number + 1;
          chains[ch->text].rules.push_back(std::move(r));
        }
      }
      // The base chains exist even when empty, so that the simulator walks every hook.
      for (const char* n : {"dstnat", "srcnat"})
        if (!nat_chains.count(n)) {
          nat_chains[n] = make_chain(n, "nat", origin, v6);
          nat_order.push_back(n);
        }
      if (!filter_chains.count("forward")) {
        filter_chains["forward"] = make_chain("forward", "filter", origin, v6);
        filter_order.push_back("forward");
      }
      for (const auto& n : nat_order) rs.chains.push_back(std::move(nat_chains[n]));
      for (const auto& n : filter_order) rs.chains.push_back(std::move(filter_chains[n]));
    }
    for (auto& c : addresses_chains()) rs.chains.push_back(std::move(c));
    rs.reindex();  // the indexes the simulator uses (src/nat/nat.hpp)
    return rs;
  }

 private:
  struct own_address {
    ip_address address;
    ip_prefix network;
    std::string interface;
    source_location where;
    std::string text;
  };

  static chain make_chain(const std::string& name, const std::string& table, const source_location& where, bool v6) {
    chain c;
    c.family = v6 ? "ip6" : "ip";
    c.table = table;
    c.name = name;
    c.type = table;
    c.where = where;
    if (table == "nat" && name == "dstnat") {
      c.hook = "prerouting";
      c.priority = -100;
    } else if (table == "nat" && name == "srcnat") {
      c.hook = "postrouting";
      c.priority = 100;
    } else if (table == "filter" && name == "forward") {
      c.hook = "forward";
    } else if (table == "filter" && (name == "input" || name == "output")) {
      c.hook = name;  // not on the forwarded path; kept so that jumps from them resolve
    }
    return c;
  }

  void read_interfaces() {
    for (const auto& c : cmds_) {
      if (c.verb != "add") continue;
      if (c.menu == "ip ipsec policy") ipsec_ = true;
      if (c.menu == "interface list member") {
        const word* l = arg(c, "list");
        const word* i = arg(c, "interface");
        if (const word* d = arg(c, "disabled"); d && d->text == "yes") continue;
        if (!l || !i || l->text.empty() || i->text.empty()) {
          diags_.error(c.where, "interface list member without list= or interface=");
          continue;
        }
        auto& m = lists_[l->text];
        if (m.size() < max_members) m.push_back(i->text);
        else diags_.error(c.where, "too many members in one interface list", l->text.substr(0, 40));
      } else if (c.menu == "interface list") {
        const word* n = arg(c, "name");
        if (n && (arg(c, "include") || arg(c, "exclude"))) unmodelled_lists_.push_back(n->text);
      } else if (c.menu == "ip address" || c.menu == "ipv6 address") {
        bool v6 = c.menu == "ipv6 address";
        if (const word* d = arg(c, "disabled"); d && d->text == "yes") continue;
        // An address from a pool (DHCPv6 prefix delegation) or completed by EUI-64 is only known on the router.
        if (v6 && (arg(c, "from-pool") || (arg(c, "eui-64") && arg(c, "eui-64")->text == "yes"))) continue;
        const word* a = arg(c, "address");
        const word* i = arg(c, "interface");
        if (!a || !i) {
          diags_.error(c.where, "/" + c.menu + " without address= or interface=");
          continue;
        }
        std::string t = a->text;
        auto slash = t.find('/');
        auto addr = ip_address::parse(t.substr(0, slash));
        auto pfx = ip_prefix::parse(slash == std::string::npos ? t + (v6 ? "/128" : "/32") : t);
        if (!addr || !pfx || addr->v6 != v6) {
          diags_.error(a->where, v6 ? "not an IPv6 address" : "not an IPv4 address", a->text.substr(0, 60));
          continue;
        }
        ip_prefix p = *pfx;
        for (unsigned bit = p.length; bit < p.network.bits(); ++bit)
          p.network.bytes[bit / 8] = static_cast<std::uint8_t>(p.network.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
        if (own_.size() < max_own_addresses) own_.push_back({*addr, p, i->text, c.where, c.text});
        else diags_.error(c.where, "too many address entries");
      }
    }
  }

  void read_address_lists() {
    for (const auto& c : cmds_) {
      bool v6 = c.menu == "ipv6 firewall address-list";
      if ((c.menu != "ip firewall address-list" && !v6) || c.verb != "add") continue;
      if (const word* d = arg(c, "disabled"); d && d->text == "yes") continue;
      const word* l = arg(c, "list");
      const word* a = arg(c, "address");
      if (!l || !a || l->text.empty()) {
        diags_.error(c.where, "address-list entry without list= or address=");
        continue;
      }
      auto& e = (v6 ? addr_lists6_ : addr_lists_)[l->text];
      if (e.prefixes.size() >= max_list_entries) continue;
      if (auto p = parse_prefix(a->text, v6)) e.prefixes.push_back(*p);
      else e.unmodelled = a->text.substr(0, 60);  // a DNS name or a range: resolved by the router, not here
    }
  }

  // "a.b.c.d" or "a.b.c.d/n", IPv6 likewise (host bits cleared, as RouterOS does).
  static std::optional<ip_prefix> parse_prefix(const std::string& t, bool v6) {
    auto slash = t.find('/');
    auto pfx = ip_prefix::parse(slash == std::string::npos ? t + (v6 ? "/128" : "/32") : t);
    if (!pfx || pfx->network.v6 != v6) return std::nullopt;
    ip_prefix p = *pfx;
    for (unsigned bit = p.length; bit < p.network.bits(); ++bit)
      p.network.bytes[bit / 8] = static_cast<std::uint8_t>(p.network.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    return p;
  }

  std::vector<chain> addresses_chains() const {
    std::vector<chain> out;
    if (own_.empty()) return out;
    chain c;
    c.family = "routeros";
    c.table = "address";
    c.name = "ip address";
    c.type = "none";
    c.where = own_.front().where;
    for (const auto& a : own_) {
      rule r;
      r.where = a.where;
      r.text = a.text;
      r.match.oif = iface_match{a.interface, false};
      r.match.daddr = addr_match{{a.network}, false};
      r.to.addr = a.address;
      c.rules.push_back(std::move(r));
    }
    out.push_back(std::move(c));
    return out;
  }

  // "!x" → (x, true).
  static std::pair<std::string, bool> negation(const std::string& v) {
    if (!v.empty() && v[0] == '!') return {v.substr(1), true};
    return {v, false};
  }

  // The addresses of a match value: an address, a prefix or a range a-b (ranges are not modelled).
  bool address(const word& v, std::optional<addr_match>& out, match_set& m) {
    auto [t, neg] = negation(v.text);
    bool v6 = m.family == 6;
    if (t.find('-') != std::string::npos) {
      m.unknown.push_back("address range " + t.substr(0, 60));
      return true;
    }
    auto p = parse_prefix(t, v6);
    if (!p) {
      diags_.error(v.where, v6 ? "not an IPv6 address or prefix" : "not an IPv4 address or prefix", v.text.substr(0, 60));
      return false;
    }
    out = addr_match{{*p}, neg};
    return true;
  }

  bool address_list(const word& v, std::optional<addr_match>& out, match_set& m) {
    auto [t, neg] = negation(v.text);
    const auto& lists = m.family == 6 ? addr_lists6_ : addr_lists_;
    auto it = lists.find(t);
    if (it == lists.end()) {
      // Filled at run time (action=add-src-to-address-list, DHCP, ...): not known here.
      m.unknown.push_back("address list " + t.substr(0, 60) + " (no entries in the export)");
      return true;
    }
    if (!it->second.unmodelled.empty()) {
      m.unknown.push_back("address list " + t.substr(0, 60) + " holds " + it->second.unmodelled);
      return true;
    }
    if (out) {  // both an address and a list: the intersection is not modelled
      m.unknown.push_back("an address and an address list on the same side");
      return true;
    }
    copied_ += it->second.prefixes.size();
    if (copied_ > max_copied) {
      diags_.error(v.where, "the address lists are referenced too often to be expanded", t.substr(0, 40));
      return false;
    }
    out = addr_match{it->second.prefixes, neg};
    return true;
  }

  // Interface names a match stands for: one interface, or the members of a list.
  bool interfaces(const word& v, bool list, std::vector<std::string>& names, bool& neg, match_set& m) {
    auto [t, n] = negation(v.text);
    neg = n;
    if (!list) {
      if (t == "all" || t.starts_with("all-")) m.unknown.push_back("interface " + t.substr(0, 60));
      else names.push_back(t);
      return true;
    }
    auto it = lists_.find(t);
    bool dynamic = std::find(unmodelled_lists_.begin(), unmodelled_lists_.end(), t) != unmodelled_lists_.end();
    if (it == lists_.end() || it->second.empty() || dynamic || t == "all" || t == "dynamic" || t == "none") {
      m.unknown.push_back("interface list " + t.substr(0, 60) + " (members not in the export)");
      return true;
    }
    if (neg && it->second.size() > 1) {
      m.unknown.push_back("!interface list " + t.substr(0, 60) + " with several members");
      return true;
    }
    copied_ += it->second.size();
    if (copied_ > max_copied) {
      diags_.error(v.where, "the interface lists are referenced too often to be expanded", t.substr(0, 40));
      return false;
    }
    names = it->second;
    return true;
  }

  std::optional<port_match> ports(const word& v) {
    auto [t, neg] = negation(v.text);
    port_match pm;
    pm.negated = neg;
    std::size_t p = 0;
    while (p <= t.size()) {
      auto comma = t.find(',', p);
      std::string part = t.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
      auto r = detail::parse_port_range(part, '-');
      if (!r || pm.any_of.size() >= 1000) {
        diags_.error(v.where, "not a port, port range or list of them", part.substr(0, 40));
        return std::nullopt;
      }
      pm.any_of.push_back(*r);
      if (comma == std::string::npos) break;
      p = comma + 1;
    }
    return pm;
  }

  std::vector<rule> to_rules(const command& c, bool nat, bool v6) {
    rule r;
    r.where = c.where;
    r.text = c.text;
    match_set& m = r.match;
    m.family = v6 ? 6 : 4;
    std::vector<std::string> iifs, oifs;
    bool iif_neg = false, oif_neg = false;
    for (const auto& [k, v] : c.args) {
      const std::string& key = k.text;
      if (harmless_key(key)) continue;
      if (v.assigned && v.text.empty()) continue;  // key="" (export verbose): the match is not set
      if (key == "src-address") {
        if (!address(v, m.saddr, m)) return {};
      } else if (key == "dst-address") {
        if (!address(v, m.daddr, m)) return {};
      } else if (key == "src-address-list") {
        if (!address_list(v, m.saddr, m)) return {};
      } else if (key == "dst-address-list") {
        if (!address_list(v, m.daddr, m)) return {};
      } else if (key == "protocol") {
        auto [t, neg] = negation(v.text);
        auto n = detail::protocol_number(t);
        if (!n) {
          diags_.error(v.where, "unknown protocol", v.text.substr(0, 40));
          return {};
        }
        m.protocols = {*n};
        m.protocol_negated = neg;
      } else if (key == "dst-port" || key == "src-port") {
        auto pm = ports(v);
        if (!pm) return {};
        (key == "dst-port" ? m.dport : m.sport) = *pm;
      } else if (key == "in-interface" || key == "in-interface-list") {
        if (!interfaces(v, key == "in-interface-list", iifs, iif_neg, m)) return {};
      } else if (key == "out-interface" || key == "out-interface-list") {
        if (!interfaces(v, key == "out-interface-list", oifs, oif_neg, m)) return {};
      } else if (key == "ipsec-policy" && !ipsec_) {
        // Without IPsec policies in the export no packet is IPsec's: "none" holds, "ipsec" never does.
        if (v.text.ends_with(",ipsec")) return {};
        if (!v.text.ends_with(",none")) m.unknown.push_back("ipsec-policy=" + v.text.substr(0, 40));
      } else if (key == "dst-address-type") {
        auto [t, neg] = negation(v.text);
        if (t == "local") m.dst_local = !neg;
        else m.unknown.push_back("dst-address-type=" + v.text.substr(0, 40));
      } else if (key == "connection-state") {
        auto [t, neg] = negation(v.text);
        ct_match ct{0, neg};
        std::size_t p = 0;
        while (p <= t.size()) {
          auto comma = t.find(',', p);
          std::string s = t.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
          if (s == "new") ct.any_of |= ct_new;
          else if (s == "established") ct.any_of |= ct_established;
          else if (s == "related") ct.any_of |= ct_related;
          else if (s == "invalid") ct.any_of |= ct_invalid;
          else if (s == "untracked") ct.any_of |= ct_untracked;
          else {
            diags_.error(v.where, "unknown connection-state", s.substr(0, 40));
            return {};
          }
          if (comma == std::string::npos) break;
          p = comma + 1;
        }
        m.ct.push_back(ct);
      } else if (key == "connection-nat-state") {
        auto [t, neg] = negation(v.text);
        ct_match ct{0, neg};
        if (t.find("dstnat") != std::string::npos) ct.any_of |= ct_dnat;
        if (t.find("srcnat") != std::string::npos) ct.any_of |= ct_snat;
        if (!ct.any_of) m.unknown.push_back("connection-nat-state=" + v.text.substr(0, 40));
        else m.ct.push_back(ct);
      } else {
        // Anything else (mark, layer7, time, ipsec-policy, src-address-type, ...) is a test the
        // simulator does not model: the rule may or may not match.
        m.unknown.push_back(key.substr(0, 40) + (v.text.empty() ? "" : "=" + v.text.substr(0, 40)));
      }
    }
    if (!action_of(c, nat, v6, r)) return {};
    // dst-address-type=local with the router's addresses known: the addresses stand for it, so that
    // the published services are known (the packet must also be for the router).
    if (m.dst_local && *m.dst_local && !m.daddr && !own_.empty() && r.act == action::dnat) {
      addr_match a;
      copied_ += own_.size();
      for (const auto& o : own_)
        if (copied_ <= max_copied && o.address.v6 == v6 &&
            (iifs.empty() || iif_neg || std::find(iifs.begin(), iifs.end(), o.interface) != iifs.end()))
          a.any_of.push_back(ip_prefix{o.address, o.address.bits()});
      if (!a.any_of.empty()) m.daddr = a;
    }
    // Several interfaces (a list): one rule per interface, in order; a negated one is one rule.
    if (iifs.size() > 1 || oifs.size() > 1) {
      if (iifs.size() > 1 && oifs.size() > 1) {
        m.unknown.push_back("interface lists on both sides");
        iifs.clear();
        oifs.clear();
      }
    }
    std::vector<rule> out;
    if (iifs.empty() && oifs.empty()) {
      out.push_back(r);
    } else {
      const auto& names = iifs.size() > 1 || oifs.empty() ? iifs : oifs;
      bool in = iifs.size() > 1 || oifs.empty();
      for (const auto& n : names) {
        rule x = r;
        if (in) {
          x.match.iif = iface_match{n, iif_neg};
          if (oifs.size() == 1) x.match.oif = iface_match{oifs.front(), oif_neg};
        } else {
          x.match.oif = iface_match{n, oif_neg};
          if (iifs.size() == 1) x.match.iif = iface_match{iifs.front(), iif_neg};
        }
        out.push_back(std::move(x));
      }
    }
    // A DNAT on a WAN interface for any destination (in-interface=ether1, no dst-address): a copy
    // for the interface's own addresses comes first, so that the published services are known; the
    // rule itself follows unchanged, for the other destinations (the same packets, the same action).
    std::vector<rule> with_copies;
    for (auto& x : out) {
      if (x.act == action::dnat && !x.match.daddr && !x.match.dst_local && x.match.iif && !x.match.iif->negated) {
        addr_match a;
        for (const auto& o : own_)
          if (o.interface == x.match.iif->pattern && o.address.v6 == v6)
            a.any_of.push_back(ip_prefix{o.address, o.address.bits()});
        copied_ += a.any_of.size();
        if (!a.any_of.empty() && copied_ <= max_copied) {
          rule y = x;
          y.match.daddr = std::move(a);
          with_copies.push_back(std::move(y));
        }
      }
      with_copies.push_back(std::move(x));
    }
    return with_copies;
  }

  bool action_of(const command& c, bool nat, bool v6, rule& r) {
    const word* a = arg(c, "action");
    std::string act = a ? a->text : "accept";  // RouterOS's default action
    auto target_addr = [&](bool required) {
      // IPv6 NAT takes to-address=PREFIX (one /128 for one host); to-addresses= is IPv4's.
      const word* t = v6 ? arg(c, "to-address") : arg(c, "to-addresses");
      if (v6 && (!t || t->text.empty())) t = arg(c, "to-addresses");
      const char* key = v6 ? "to-address=" : "to-addresses=";
      if (!t || t->text.empty()) {
        if (required) diags_.error(c.where, "action=" + act + " without " + key);
        return !required;
      }
      std::string text = t->text;
      if (v6) {
        auto slash = text.find('/');
        if (slash != std::string::npos) {
          auto pfx = ip_prefix::parse(text);
          if (!pfx || !pfx->network.v6) {
            diags_.error(t->where, "not an IPv6 address or prefix", t->text.substr(0, 60));
            return false;
          }
          if (pfx->length != 128) {
            // A prefix: RouterOS maps into it; which address a connection gets is not modelled.
            r.act = action::unknown;
            r.target = act + " to the prefix " + pfx->str();
            return true;
          }
          text = text.substr(0, slash);
        }
      }
      auto dash = text.find('-');
      auto first = ip_address::parse(text.substr(0, dash));
      std::optional<ip_address> last;
      if (dash != std::string::npos) last = ip_address::parse(text.substr(dash + 1));
      if (!first || first->v6 != v6 || (dash != std::string::npos && (!last || last->v6 != v6))) {
        diags_.error(t->where, v6 ? "not an IPv6 address or range" : "not an IPv4 address or range", t->text.substr(0, 60));
        return false;
      }
      r.to.addr = first;
      if (last) r.to.addr_last = last;
      return true;
    };
    auto target_ports = [&]() {
      const word* t = arg(c, "to-ports");
      if (!t || t->text.empty()) return true;
      auto pr = detail::parse_port_range(t->text, '-');
      if (!pr) {
        diags_.error(t->where, "not a port or port range", t->text.substr(0, 40));
        return false;
      }
      r.to.ports = pr;
      return true;
    };
    if (act == "accept") r.act = action::accept;
    else if (act == "drop" || act == "tarpit") r.act = action::drop;
    else if (act == "reject") r.act = action::reject;
    else if (act == "return") r.act = action::ret;
    else if (act == "passthrough" || act == "log" || act == "add-src-to-address-list" || act == "add-dst-to-address-list" ||
             act == "fasttrack-connection")
      r.act = action::none;  // counts or marks, then the next rule decides
    else if (act == "jump") {
      const word* t = arg(c, "jump-target");
      if (!t || t->text.empty()) {
        diags_.error(c.where, "action=jump without jump-target=");
        return false;
      }
      r.act = action::jump;
      r.target = t->text;
    } else if (nat && act == "dst-nat") {
      r.act = action::dnat;
      if (!target_addr(false) || !target_ports()) return false;
      if (r.act == action::unknown) return true;
      if (!r.to.addr && !r.to.ports) {
        diags_.error(c.where, "action=dst-nat without to-addresses= or to-ports=");
        return false;
      }
    } else if (nat && act == "src-nat") {
      r.act = action::snat;
      if (!target_addr(true) || !target_ports()) return false;
      if (r.act == action::unknown) return true;
    } else if (nat && act == "masquerade") {
      r.act = action::masquerade;
      if (!target_ports()) return false;
    } else if (nat && act == "redirect") {
      r.act = action::redirect;
      if (!target_ports()) return false;
    } else {
      r.act = action::unknown;  // netmap, same, endpoint-independent-nat, ...: not simulated
      r.target = act.substr(0, 40);
    }
    return true;
  }

  struct addr_list {
    std::vector<ip_prefix> prefixes;
    std::string unmodelled;  // an entry that is not an address or prefix
  };
  std::vector<command> cmds_;
  std::string file_;
  diagnostics& diags_;
  std::map<std::string, std::vector<std::string>> lists_;  // interface lists
  std::vector<std::string> unmodelled_lists_;
  std::map<std::string, addr_list> addr_lists_;   // /ip firewall address-list
  std::map<std::string, addr_list> addr_lists6_;  // /ipv6 firewall address-list
  std::vector<own_address> own_;
  bool ipsec_ = false;  // the export adds IPsec policies
  std::size_t copied_ = 0;  // list entries expanded into rules so far (bounded by max_copied)
};

}  // namespace

bool looks_like_routeros(std::string_view text) {
  std::size_t pos = 0;
  int seen = 0;
  while (pos < text.size() && seen < 50) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line.remove_prefix(first);
    ++seen;
    if (line.starts_with("#")) {
      if (line.find("by RouterOS") != std::string_view::npos) return true;
      continue;
    }
    if (line.starts_with("/ip firewall") || line.starts_with("/ip/firewall") || line.starts_with("/ipv6 firewall") ||
        line.starts_with("/ipv6/firewall"))
      return true;
  }
  return false;
}

ruleset parse_routeros(std::string_view text, const std::string& file, diagnostics& diags) {
  auto cmds = read_commands(text, file, diags);
  builder b(std::move(cmds), file, diags);
  return b.run();
}

std::string routeros_fix(const ruleset& rs, const flow_prediction& p, const service_check& s, const std::string& fallback) {
  if (rs.syntax != rule_syntax::routeros) return fallback;
  // IPv6 services are fixed in /ipv6 firewall, whose NAT takes to-address= (IPv4: to-addresses=).
  const bool v6 = s.public_address.v6;
  const std::string fam = v6 ? "ip6" : "ip";
  const std::string menu = v6 ? "/ipv6 firewall" : "/ip firewall";
  const std::string to_key = v6 ? "to-address" : "to-addresses";
  // The rule of the model behind a reference.
  auto rule_at = [&](const std::optional<rule_ref>& ref) -> const rule* {
    if (!ref) return nullptr;
    for (const auto& c : rs.chains)
      for (const auto& r : c.rules)
        if (r.where.line == ref->where.line && r.where.column == ref->where.column && r.text == ref->text) return &r;
    return nullptr;
  };
  // " place-before=N" before the rule that decided, when it is a rule of `table`.
  auto before = [&](const rule* r, const char* table) -> std::string {
    if (!r || !r->handle) return {};
    for (const auto& c : rs.chains)
      if (c.table == table && c.family == fam)
        for (const auto& x : c.rules)
          if (&x == r) return fmt::format(" place-before={}", r->handle - 1);
    return {};
  };
  // The first rule of a chain: a new rule goes before it, where no later rule can take its packets first.
  auto first_of = [&](const char* table, const char* name) -> const rule* {
    const chain* c = rs.find(fam, table, name);
    return c && !c->rules.empty() ? &c->rules.front() : nullptr;
  };
  // The LAN, from /ip address: the router's network and interface that hold the server.
  const chain* own = rs.find("routeros", "address", "ip address");
  std::string server = p.dnat_to ? p.dnat_to->str() : (s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS");
  std::optional<ip_address> server_addr = p.dnat_to ? p.dnat_to : s.internal_address;
  std::string lan_net, lan_if;
  if (own && server_addr)
    for (const auto& r : own->rules)
      if (r.match.daddr && r.match.daddr->in_any(*server_addr) && r.match.oif) {
        lan_net = r.match.daddr->any_of.front().str();
        lan_if = r.match.oif->pattern;
        break;
      }
  if (lan_if.empty() && !p.out_iface.empty() && p.out_iface.find(' ') == std::string::npos &&
      p.out_iface.find('(') == std::string::npos)
    lan_if = p.out_iface;
  auto quoted = [](const std::string& v) {
    bool plain = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    });
    if (plain) return v;
    std::string out = "\"";
    for (char c : v.substr(0, 64)) {
      if (c == '"' || c == '\\' || c == '$') out += '\\';
      if (c >= ' ' && c != 127) out += c;
    }
    return out + "\"";
  };
  std::string proto = detail::protocol_name(s.protocol);
  std::uint16_t port = p.dnat_port ? p.dnat_port : s.port;
  std::string src = lan_net.empty() ? std::string() : " src-address=" + lan_net;
  std::string out_if = lan_if.empty() ? std::string() : " out-interface=" + quoted(lan_if);
  switch (p.result) {
    case outcome::no_loopback: {
      const rule* shadow = rule_at(p.decided_by);
      std::string place = before(shadow, "nat");
      if (place.empty()) place = before(first_of("nat", "srcnat"), "nat");
      return fmt::format("{} nat add chain=srcnat{} dst-address={} protocol={} dst-port={}{} action=masquerade "
                         "comment=\"hairpin {}/{}\"{}",
                         menu, src, server, proto, port, out_if, proto, port, place);
    }
    case outcome::snat_into_internal_view: {
      std::string place = before(rule_at(p.decided_by), "nat");
      return fmt::format("{} nat add chain=srcnat{} dst-address={} protocol={} dst-port={}{} action=src-nat "
                         "{}={} comment=\"hairpin {}/{}\"{}",
                         menu, src, server, proto, port, out_if, to_key, s.public_address.str(), proto, port, place);
    }
    case outcome::dnat_wan_only: {
      const rule* r = rule_at(p.decided_by);
      if (!r || r->act != action::dnat) return fallback;
      std::string chain_name = "dstnat";
      for (const auto& c : rs.chains)
        for (const auto& x : c.rules)
          if (&x == r) chain_name = c.name;
      if (r->text.find(" in-interface=") == std::string::npos && r->text.find(" in-interface-list=") == std::string::npos) {
        // The interface test is elsewhere (a jump into this chain): a DNAT for the public address
        // before every dstnat rule takes the LAN's packets too.
        return fmt::format("{} nat add chain=dstnat dst-address={} protocol={} dst-port={} action=dst-nat "
                           "{}={} to-ports={} comment=\"hairpin {}/{}\"{}",
                           menu, s.public_address.str(), proto, s.port, to_key, server, port, proto, s.port,
                           before(first_of("nat", "dstnat"), "nat"));
      }
      // Find the rule by what it does and matches, the way `print` shows it.
      std::string find = "chain=" + quoted(chain_name) + " action=dst-nat";
      // `print` shows an IPv6 to-address and dst-address as a /128 prefix.
      if (r->to.addr) find += " " + to_key + "=" + r->to.addr->str() + (v6 ? "/128" : "");
      if (r->match.dport && r->match.dport->any_of.size() == 1 && !r->match.dport->negated) {
        const auto& pr = r->match.dport->any_of.front();
        find += pr.first == pr.last ? fmt::format(" dst-port={}", pr.first) : fmt::format(" dst-port={}-{}", pr.first, pr.last);
      }
      bool by_list = r->text.find("in-interface-list=") != std::string::npos;
      std::string unset = by_list ? "!in-interface-list" : "!in-interface";
      if (!by_list && r->match.iif) find += " in-interface=" + quoted(r->match.iif->pattern);
      // As written: the reader adds the WAN port's own addresses to a copy of the rule (see to_rules()).
      bool has_dst = r->text.find(" dst-address=") != std::string::npos ||
                     r->text.find(" dst-address-list=") != std::string::npos ||
                     r->text.find(" dst-address-type=") != std::string::npos;
      std::string dst = has_dst ? std::string() : " dst-address=" + s.public_address.str();
      std::string set = fmt::format("{} nat set [find {}] {}{}", menu, find, unset, dst);
      if (dst.empty()) return set;
      return fmt::format("{} (or, when the WAN address changes, {} dst-address-type=local instead of dst-address=)", set,
                         menu + " nat set [find " + find + "] " + unset);
    }
    case outcome::forward_drop: {
      const rule* r = rule_at(p.decided_by);
      std::string place = before(r, "filter");
      if (place.empty()) place = before(first_of("filter", "forward"), "filter");
      if (p.reason.find("drops the reply") != std::string::npos)
        return fmt::format("{} filter add chain=forward action=accept connection-state=established,related "
                           "comment=\"hairpin replies\"{}",
                           menu, place);
      return fmt::format("{} filter add chain=forward action=accept connection-nat-state=dstnat dst-address={} "
                         "protocol={} dst-port={} comment=\"hairpin {}/{}\"{}",
                         menu, server, proto, port, proto, port, place);
    }
    case outcome::not_forwarded:
      return fmt::format("{} nat add chain=dstnat dst-address={} protocol={} dst-port={} action=dst-nat "
                         "{}={} to-ports={}; {}",
                         menu, s.public_address.str(), proto, s.port, to_key,
                         s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS", s.port,
                         fmt::format("{} nat add chain=srcnat{} dst-address={} protocol={} dst-port={}{} "
                                     "action=masquerade",
                                     menu, src, s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS", proto,
                                     s.port, out_if));
    case outcome::works:
    case outcome::unknown: break;
  }
  return fallback;
}

}  // namespace hc::nat
