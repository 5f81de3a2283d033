// OpenWrt: UCI firewall configuration read into the chains fw4 generates from it, and fixes as uci
// commands. The model follows fw4's ruleset: dstnat (redirects per source zone, reflection DNATs per
// reflection zone), forward (established/related, per-zone chains with the user rules, the
// "accept port forwards" rule, the forwardings and the zone's own forward policy; then the default
// forward policy), srcnat (reflection SNATs, `config nat`, zone masquerading).

#include "nat/openwrt.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "nat/detail.hpp"
#include "nat/mikrotik.hpp"
#include "nat/pfsense.hpp"

namespace hc::nat {
namespace {

struct value {
  std::string text;
  source_location where;
};

struct section {
  std::string package;  // "firewall", "network", or empty when not given
  std::string type;     // zone, redirect, nat, rule, forwarding, defaults, interface, device, ...
  std::string name;     // the section's name, empty for an anonymous one
  std::size_t index = 0;  // its index among the sections of its type (uci's @type[index])
  source_location where;
  std::map<std::string, std::vector<value>> options;

  const value* get(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() || it->second.empty() ? nullptr : &it->second.back();
  }
  std::string str(const std::string& key, const std::string& dflt = {}) const {
    const value* v = get(key);
    return v ? v->text : dflt;
  }
  // Every value of a list, and of an option holding several words ("option network 'wan wan6'").
  std::vector<value> words(const std::string& key) const {
    std::vector<value> out;
    auto it = options.find(key);
    if (it == options.end()) return out;
    for (const auto& v : it->second) {
      std::size_t pos = 0;
      while (pos < v.text.size()) {
        auto start = v.text.find_first_not_of(" \t", pos);
        if (start == std::string::npos) break;
        auto end = v.text.find_first_of(" \t", start);
        if (end == std::string::npos) end = v.text.size();
        out.push_back({v.text.substr(start, end - start), v.where});
        pos = end;
      }
    }
    return out;
  }
  bool flag(const std::string& key, bool dflt) const {
    const value* v = get(key);
    if (!v) return dflt;
    return v->text == "1" || v->text == "on" || v->text == "true" || v->text == "yes" || v->text == "enabled";
  }
  // "@redirect[0]", or the section's name when it is one uci accepts, as uci commands address it.
  std::string path() const {
    bool plain = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
    return plain ? name : fmt::format("@{}[{}]", type, index);
  }
};

constexpr std::size_t max_sections = 10000;
constexpr std::size_t max_values = 1000;

// Splits one UCI line into words; quotes ('...' or "...") group, a backslash escapes in "...".
bool split_line(std::string_view line, std::vector<std::pair<std::string, std::uint32_t>>& out, std::uint32_t& bad_col) {
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') break;
    std::uint32_t col = static_cast<std::uint32_t>(i + 1);
    std::string w;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      if (line[i] == '\'' || line[i] == '"') {
        char q = line[i++];
        while (i < line.size() && line[i] != q) {
          if (q == '"' && line[i] == '\\' && i + 1 < line.size()) ++i;
          w += line[i++];
        }
        if (i >= line.size()) {
          bad_col = col;
          return false;
        }
        ++i;
      } else {
        w += line[i++];
      }
    }
    out.emplace_back(std::move(w), col);
  }
  return true;
}

std::vector<section> parse_uci(std::string_view text, const std::string& file, diagnostics& diags) {
  std::vector<section> out;
  std::map<std::string, std::size_t> counts;  // per package and type
  std::string package;
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::vector<std::pair<std::string, std::uint32_t>> w;
    std::uint32_t bad = 0;
    if (!split_line(line, w, bad)) {
      diags.error({file, line_no, bad}, "quote not closed on this line");
      continue;
    }
    if (w.empty()) continue;
    source_location at{file, line_no, w[0].second};
    const std::string& kw = w[0].first;
    if (kw == "package") {
      if (w.size() != 2) diags.error(at, "package takes one name");
      else package = w[1].first;
    } else if (kw == "config") {
      if (w.size() < 2 || w.size() > 3 || w[1].first.empty()) {
        diags.error(at, "config takes a type and an optional name", w.size() > 3 ? w[3].first : std::string());
        continue;
      }
      if (out.size() >= max_sections) {
        diags.error(at, "too many sections");
        return out;
      }
      section s;
      s.type = w[1].first;
      // Sections of /etc/config/network appended to the firewall's: told apart by their types.
      s.package = package.empty()
                      ? (s.type == "interface" || s.type == "device" || s.type == "globals" || s.type == "switch" ||
                                 s.type == "switch_vlan" || s.type == "route"
                             ? "network"
                             : "firewall")
                      : package;
      s.name = w.size() == 3 ? w[2].first : "";
      s.index = counts[s.package + "." + s.type]++;
      s.where = at;
      out.push_back(std::move(s));
    } else if (kw == "option" || kw == "list") {
      if (out.empty()) {
        diags.error(at, kw + " outside a config section");
        continue;
      }
      if (w.size() != 3 || w[1].first.empty()) {
        diags.error(at, kw + " takes a name and one value", w.size() > 3 ? w[3].first : std::string());
        continue;
      }
      auto& vals = out.back().options[w[1].first];
      if (kw == "option") vals.clear();
      if (vals.size() >= max_values) {
        diags.error(at, "too many values in one list", w[1].first);
        continue;
      }
      vals.push_back({w[2].first, {file, line_no, w[2].second}});
    } else {
      diags.error(at, "expected config, option, list or package (give /etc/config/firewall, or `uci export firewall`)",
                  kw);
    }
  }
  return out;
}

// The model builder.
class builder {
 public:
  builder(std::vector<section> secs, const std::string& file, diagnostics& diags)
      : secs_(std::move(secs)), file_(file), diags_(diags) {}

  ruleset run() {
    ruleset rs;
    rs.syntax = rule_syntax::openwrt;
    rs.file = file_;
    read_network();
    read_zones();
    std::string fwd_policy = "REJECT";
    for (const auto& s : secs_)
      if (s.package == "firewall" && s.type == "defaults") fwd_policy = s.str("forward", fwd_policy);
    source_location origin{file_, 1, 1};
    for (const auto& s : secs_)
      if (s.package == "firewall" && s.type == "defaults") origin = s.where;
    chain dstnat = base("dstnat", "nat", "prerouting", -100, false, origin);
    chain forward = base("forward", "filter", "forward", 0, fwd_policy != "ACCEPT", origin);
    chain srcnat = base("srcnat", "nat", "postrouting", 100, false, origin);
    // forward: established and related first, as fw4 does.
    {
      rule r;
      r.where = origin;
      r.match.ct.push_back({ct_established | ct_related, false});
      r.act = action::accept;
      r.text = "fw4: ct state established,related accept";
      forward.rules.push_back(std::move(r));
    }
    std::vector<chain> zone_chains;
    for (const auto& z : zones_) {
      chain c;
      c.family = "inet";
      c.table = "fw4";
      c.name = "forward_" + z.name;
      c.type = "filter";
      c.where = z.sec->where;
      zone_chains.push_back(std::move(c));
      for (const auto& dev : z.devices) {
        rule j = plain_rule(z.sec->where, fmt::format("fw4: iifname \"{}\" jump forward_{}", dev, z.name));
        j.match.iif = iface_match{dev, false};
        j.act = action::jump;
        j.target = "forward_" + z.name;
        forward.rules.push_back(std::move(j));
      }
    }
    for (const auto& s : secs_) {
      if (s.package != "firewall" || !s.flag("enabled", true)) continue;
      if (s.type == "redirect") redirect(s, dstnat, srcnat);
      else if (s.type == "rule") user_rule(s, zone_chains);
      else if (s.type == "nat") nat_rule(s, srcnat);
    }
    // Per zone: accept port forwards, forwardings, the zone's policy for traffic within the zone.
    for (std::size_t i = 0; i < zones_.size(); ++i) {
      const auto& z = zones_[i];
      chain& c = zone_chains[i];
      if (z.dnat) {
        rule r = plain_rule(z.sec->where, "fw4: ct status dnat accept (accept port forwards)");
        r.match.ct.push_back({ct_dnat, false});
        r.act = action::accept;
        c.rules.push_back(std::move(r));
      }
      for (const auto& s : secs_) {
        if (s.package != "firewall" || s.type != "forwarding" || !s.flag("enabled", true) || s.str("src") != z.name)
          continue;
        const zone* d = find_zone(s.str("dest"));
        if (!d) {
          if (!s.str("dest").empty()) diags_.warning(s.where, "forwarding to an undeclared zone", s.str("dest"));
          continue;
        }
        for (const auto& dev : d->devices) {
          rule r = plain_rule(s.where, fmt::format("{}: forwarding {} -> {}", s.path(), z.name, d->name));
          r.match.oif = iface_match{dev, false};
          r.act = action::accept;
          r.target = s.path();
          c.rules.push_back(std::move(r));
        }
      }
      std::string zpol = z.sec->str("forward", fwd_policy);
      for (const auto& dev : z.devices) {
        // Within the zone's own networks (when /etc/config/network gives them), one rule per family:
        // this also tells the simulator which interface is the LAN's.
        auto policy = [&](std::vector<ip_prefix> own) {
          rule r = plain_rule(z.sec->where, fmt::format("{}: zone {} option forward '{}'", z.sec->path(), z.name, zpol));
          r.match.oif = iface_match{dev, false};
          if (!own.empty()) r.match.daddr = addr_match{std::move(own), false};
          r.act = zpol == "ACCEPT" ? action::accept : action::drop;
          r.target = z.sec->path();
          c.rules.push_back(std::move(r));
        };
        auto own4 = of_family(z.subnets, 4), own6 = of_family(z.subnets, 6);
        if (own4.empty()) {
          policy({});
        } else {
          policy(own4);
          if (!own6.empty()) policy(own6);
        }
      }
    }
    // srcnat: zone masquerading last (fw4 emits the user nat rules first): masq for IPv4, masq6 for IPv6.
    for (const auto& z : zones_) {
      for (int f : {4, 6}) {
        const char* opt = f == 6 ? "masq6" : "masq";
        if (!z.sec->flag(opt, false) || (z.family != 0 && z.family != f)) continue;
        std::optional<addr_match> srcs, dsts;
        if (!z.sec->words("masq_src").empty() && !addr_list(z.sec->words("masq_src"), srcs)) continue;
        if (!z.sec->words("masq_dest").empty() && !addr_list(z.sec->words("masq_dest"), dsts)) continue;
        auto src_f = family_part(srcs, f), dst_f = family_part(dsts, f);
        if ((srcs && !srcs->negated && !src_f) || (dsts && !dsts->negated && !dst_f)) continue;  // the other family only
        for (const auto& dev : z.devices) {
          rule r = plain_rule(z.sec->where, fmt::format("{}: zone {} option {} '1'", z.sec->path(), z.name, opt));
          r.match.oif = iface_match{dev, false};
          r.match.family = f;
          r.match.saddr = src_f;
          r.match.daddr = dst_f;
          r.act = action::masquerade;
          r.target = z.sec->path();
          srcnat.rules.push_back(std::move(r));
        }
      }
    }
    rs.chains.push_back(std::move(dstnat));
    rs.chains.push_back(std::move(forward));
    for (auto& c : zone_chains) rs.chains.push_back(std::move(c));
    rs.chains.push_back(std::move(srcnat));
    rs.reindex();  // the indexes the simulator uses (src/nat/nat.hpp)
    return rs;
  }

 private:
  struct zone {
    std::string name;
    const section* sec = nullptr;
    std::vector<std::string> devices;   // interface names as the rules match them
    std::vector<ip_prefix> subnets;     // from /etc/config/network, when given
    std::vector<ip_address> addresses;  // the router's addresses in the zone
    bool dnat = false;                  // some DNAT (redirect or reflection) takes its traffic
    int family = 0;                     // the zone's `family`: 4, 6, or 0 for both
  };
  struct netif {
    std::string device;
    std::vector<ip_prefix> subnets;
    std::vector<ip_address> addresses;
  };

  chain base(const char* name, const char* type, const char* hook, int prio, bool drop, source_location where) {
    chain c;
    c.family = "inet";
    c.table = "fw4";
    c.name = name;
    c.type = type;
    c.hook = hook;
    c.priority = prio;
    c.policy_drop = drop;
    c.where = std::move(where);
    return c;
  }
  static rule plain_rule(const source_location& where, std::string text) {
    rule r;
    r.where = where;
    r.text = std::move(text);
    return r;
  }

  // The network of an address/length (host bits cleared).
  static ip_prefix masked(ip_prefix p) {
    for (unsigned bit = p.length; bit < p.network.bits(); ++bit)
      p.network.bytes[bit / 8] = static_cast<std::uint8_t>(p.network.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    return p;
  }

  // The prefixes of one family (4 or 6).
  static std::vector<ip_prefix> of_family(const std::vector<ip_prefix>& ps, int fam) {
    std::vector<ip_prefix> out;
    for (const auto& p : ps)
      if (p.network.v6 == (fam == 6)) out.push_back(p);
    return out;
  }
  static std::vector<ip_address> of_family(const std::vector<ip_address>& as, int fam) {
    std::vector<ip_address> out;
    for (const auto& a : as)
      if (a.v6 == (fam == 6)) out.push_back(a);
    return out;
  }
  // An address match of one family, or nullopt when it would be empty (or was not given).
  static std::optional<addr_match> family_part(const std::optional<addr_match>& m, int fam) {
    if (!m) return std::nullopt;
    addr_match out = *m;
    out.lookup.reset();
    out.any_of = of_family(m->any_of, fam);
    if (out.any_of.empty()) return std::nullopt;
    return out;
  }

  // fw4's family of a section: its `family` option (ipv4, ipv6, any), narrowed by the families of
  // its addresses and zones. 0: both. nullopt: a contradiction fw4 warns about and skips the section for.
  std::optional<int> section_family(const section& s, std::initializer_list<const std::optional<addr_match>*> addrs,
                                    std::initializer_list<const zone*> zones) {
    std::string f = s.str("family", "any");
    int fam = 0;
    if (f == "ipv4" || f == "4") fam = 4;
    else if (f == "ipv6" || f == "6") fam = 6;
    else if (f != "any" && f != "" && f != "*") {
      diags_.error(s.get("family")->where, "family is ipv4, ipv6 or any", f);
      return std::nullopt;
    }
    auto narrow = [&](int g, const char* what) {
      if (g == 0 || g == fam) return true;
      if (fam == 0) {
        fam = g;
        return true;
      }
      diags_.warning(s.where, fmt::format("is restricted to IPv{} but {} is IPv{} only: fw4 skips it", fam, what, g));
      return false;
    };
    for (const auto* a : addrs) {
      if (!*a || (*a)->any_of.empty()) continue;
      bool v4 = false, v6 = false;
      for (const auto& p : (*a)->any_of) (p.network.v6 ? v6 : v4) = true;
      if (!narrow(v4 && v6 ? 0 : v6 ? 6 : 4, "an address")) return std::nullopt;
    }
    for (const zone* z : zones)
      if (z && !narrow(z->family, fmt::format("zone '{}'", escape_text(z->name, 32)).c_str())) return std::nullopt;
    return fam;
  }

  void read_network() {
    for (const auto& s : secs_) {
      if (s.package != "network" || s.type != "interface" || s.name.empty()) continue;
      netif n;
      n.device = s.str("device", s.str("ifname"));
      if (auto sp = n.device.find(' '); sp != std::string::npos) n.device = n.device.substr(0, sp);
      if (n.device.empty() && s.str("proto") == "pppoe") n.device = "pppoe-" + s.name;
      auto addrs = s.words("ipaddr");
      std::string mask = s.str("netmask");
      // IPv6: `ip6addr` (ADDR/LEN, a list); delegated prefixes (ip6assign) are only known at run time.
      for (const auto& a : s.words("ip6addr")) {
        auto slash = a.text.find('/');
        auto addr = ip_address::parse(a.text.substr(0, slash));
        auto pfx = ip_prefix::parse(slash == std::string::npos ? a.text + "/128" : a.text);
        if (!addr || !addr->v6 || !pfx) {
          diags_.error(a.where, "not an IPv6 address", a.text);
          continue;
        }
        n.addresses.push_back(*addr);
        if (pfx->length < 128) n.subnets.push_back(masked(*pfx));
      }
      for (const auto& a : addrs) {
        std::string text = a.text;
        if (text.find('/') == std::string::npos && !mask.empty()) {
          auto m = ip_address::parse(mask);
          if (!m || m->v6) {
            diags_.error(s.get("netmask")->where, "not a netmask", mask);
            continue;
          }
          unsigned len = 0;
          for (int b = 0; b < 4; ++b)
            for (int k = 7; k >= 0; --k) len += (m->bytes[static_cast<std::size_t>(b)] >> k) & 1u;
          text += "/" + std::to_string(len);
        }
        auto slash = text.find('/');
        auto addr = ip_address::parse(text.substr(0, slash));
        auto pfx = ip_prefix::parse(text);
        if (!addr || !pfx) {
          diags_.error(a.where, "not an address", a.text);
          continue;
        }
        n.addresses.push_back(*addr);
        if (slash != std::string::npos && pfx->length < pfx->network.bits()) n.subnets.push_back(masked(*pfx));
      }
      nets_[s.name] = std::move(n);
    }
  }

  void read_zones() {
    for (const auto& s : secs_) {
      if (s.package != "firewall" || s.type != "zone") continue;
      zone z;
      z.name = s.str("name");
      z.sec = &s;
      std::string zf = s.str("family", "any");
      z.family = zf == "ipv4" ? 4 : zf == "ipv6" ? 6 : 0;
      if (z.name.empty()) {
        diags_.error(s.where, "zone without a name");
        continue;
      }
      for (const auto& n : s.words("network")) {
        auto it = nets_.find(n.text);
        std::string dev = it != nets_.end() && !it->second.device.empty() ? it->second.device : n.text;
        if (std::find(z.devices.begin(), z.devices.end(), dev) == z.devices.end()) z.devices.push_back(dev);
        if (it != nets_.end()) {
          z.subnets.insert(z.subnets.end(), it->second.subnets.begin(), it->second.subnets.end());
          z.addresses.insert(z.addresses.end(), it->second.addresses.begin(), it->second.addresses.end());
        }
      }
      for (const auto& d : s.words("device"))
        if (std::find(z.devices.begin(), z.devices.end(), d.text) == z.devices.end()) z.devices.push_back(d.text);
      if (z.devices.empty()) diags_.warning(s.where, "zone without networks or devices: its rules match nothing", z.name);
      zones_.push_back(std::move(z));
    }
  }

  zone* find_zone(const std::string& name) {
    for (auto& z : zones_)
      if (z.name == name) return &z;
    return nullptr;
  }

  // "tcp udp" (the default), "tcpudp", "tcp", "udp", "all", "icmp", a number.
  bool protocols(const section& s, std::vector<int>& out, const char* dflt) {
    auto ws = s.words("proto");
    if (ws.empty()) ws.push_back({dflt, s.where});
    for (const auto& w : ws) {
      if (w.text == "tcpudp") {
        out.push_back(proto_tcp);
        out.push_back(proto_udp);
      } else if (w.text == "all" || w.text == "any" || w.text == "*") {
        out.clear();
        return true;
      } else if (auto p = detail::protocol_number(w.text)) {
        out.push_back(*p);
      } else {
        diags_.error(w.where, "unknown protocol", w.text);
        return false;
      }
    }
    return true;
  }

  bool addr_list(const std::vector<value>& vals, std::optional<addr_match>& out) {
    addr_match m;
    for (const auto& v : vals) {
      std::string t = v.text;
      if (!t.empty() && t[0] == '!') {
        m.negated = true;
        t = t.substr(1);
      }
      auto p = ip_prefix::parse(t);
      if (!p) {
        diags_.error(v.where, "not an address or prefix", v.text);
        return false;
      }
      m.any_of.push_back(*p);
    }
    out = std::move(m);
    return true;
  }

  bool ports(const section& s, const char* key, std::optional<port_match>& out) {
    auto ws = s.words(key);
    if (ws.empty()) return true;
    port_match m;
    for (const auto& w : ws) {
      std::string t = w.text;
      if (!t.empty() && t[0] == '!') m.negated = true, t = t.substr(1);
      auto pr = detail::parse_port_range(t, t.find(':') != std::string::npos ? ':' : '-');
      if (!pr) {
        diags_.error(w.where, "not a port or port range", w.text);
        return false;
      }
      m.any_of.push_back(*pr);
    }
    out = std::move(m);
    return true;
  }

  // Options that restrict a rule in ways the simulator does not model: its match becomes unknown,
  // never "matches every packet".
  static void unmodelled(const section& s, match_set& m) {
    for (const char* k : {"src_mac", "icmp_type", "mark", "extra", "ipset", "limit", "limit_burst", "helper",
                          "start_date", "stop_date", "start_time", "stop_time", "weekdays", "monthdays", "device",
                          "direction", "set_mark", "set_xmark", "set_helper", "dscp"})
      if (s.get(k)) m.unknown.push_back(std::string(k) + " '" + escape_text(s.str(k), 48) + "'");
  }

  std::string describe(const section& s, std::initializer_list<const char*> keys) {
    // Values are the file's text: cut and escaped like a diagnostic's token.
    std::string out = s.path();
    if (!s.str("name").empty()) out += " '" + escape_text(s.str("name"), 48) + "'";
    std::string opts;
    for (const char* k : keys)
      if (s.get(k)) opts += fmt::format("{}{} '{}'", opts.empty() ? "" : ", ", k, escape_text(s.str(k), 48));
    return opts.empty() ? out : out + ": " + opts;
  }

  void redirect(const section& s, chain& dstnat, chain& srcnat) {
    std::string target = s.str("target", "DNAT");
    if (target == "SNAT") return nat_rule(s, srcnat);
    if (target != "DNAT") {
      diags_.error(s.get("target") ? s.get("target")->where : s.where, "unknown redirect target", target);
      return;
    }
    static const std::initializer_list<const char*> keys = {"src", "src_ip", "src_dip", "proto", "src_dport",
                                                             "dest", "dest_ip", "dest_port", "reflection",
                                                             "reflection_src", "reflection_zone"};
    std::string text = describe(s, keys);
    zone* src = find_zone(s.str("src"));
    if (!src) {
      diags_.error(s.get("src") ? s.get("src")->where : s.where,
                   s.str("src").empty() ? "redirect without src zone" : "redirect from an undeclared zone", s.str("src"));
      return;
    }
    match_set m;
    if (!protocols(s, m.protocols, "tcp udp")) return;
    if (!ports(s, "src_dport", m.dport)) return;
    if (!ports(s, "src_port", m.sport)) return;
    unmodelled(s, m);
    if (!addr_list(s.words("src_ip"), m.saddr)) return;
    if (s.words("src_ip").empty()) m.saddr.reset();
    std::optional<addr_match> dip;
    if (!s.words("src_dip").empty() && !addr_list(s.words("src_dip"), dip)) return;
    nat_target to;
    if (!s.str("dest_ip").empty()) {
      to.addr = ip_address::parse(s.str("dest_ip"));
      if (!to.addr) {
        diags_.error(s.get("dest_ip")->where, "not an address", s.str("dest_ip"));
        return;
      }
    }
    std::optional<port_match> dport_to;
    if (!ports(s, "dest_port", dport_to)) return;
    if (dport_to && !dport_to->any_of.empty()) to.ports = dport_to->any_of.front();
    if (!to.addr && !to.ports) {
      diags_.error(s.where, "DNAT redirect without dest_ip or dest_port");
      return;
    }
    std::optional<addr_match> rip;
    if (to.addr) rip = addr_match{{ip_prefix{*to.addr, to.addr->bits()}}, false};
    auto fam = section_family(s, {&m.saddr, &dip, &rip}, {src});
    if (!fam) return;
    // fw4 emits the redirect per address family: IPv4 and IPv6 (dest_ip an IPv6 address, fw4 DNATs
    // IPv6 too) or both for a port-only redirect without addresses.
    for (int f : {4, 6}) {
      if (*fam != 0 && *fam != f) continue;
      if (to.addr && to.addr->v6 != (f == 6)) continue;
      redirect_family(s, text, f, m, dip, to, *src, dstnat, srcnat);
    }
  }

  void redirect_family(const section& s, std::string text, int f, const match_set& m0,
                       const std::optional<addr_match>& dip0, const nat_target& to, zone& src_zone, chain& dstnat,
                       chain& srcnat) {
    zone* src = &src_zone;
    match_set m = m0;
    m.family = f;
    m.saddr = family_part(m0.saddr, f);
    std::optional<addr_match> dip = family_part(dip0, f);
    if (dip0 && !dip) return;  // src_dip of the other family only
    std::optional<addr_match> wan_addr = dip;
    if (!wan_addr) {
      addr_match a;
      for (const auto& ad : of_family(src->addresses, f)) a.any_of.push_back(ip_prefix{ad, ad.bits()});
      if (!a.any_of.empty()) wan_addr = a;
    }
    // fw4 builds reflection rules for a family only when the source zone masquerades it: `masq` for
    // IPv4, `masq6` for IPv6 (off by default: the "missing IPv6 loopback rules" reports).
    const char* masq_option = f == 6 ? "masq6" : "masq";
    bool reflect = s.flag("reflection", true) && to.addr && src->sec->flag(masq_option, false);
    if (s.flag("reflection", true) && to.addr && !reflect)
      text += fmt::format(" (fw4 adds no {}reflection: zone {} has no {})", f == 6 ? "IPv6 " : "", src->sec->path(),
                          masq_option);
    // From the source zone. fw4 matches any destination arriving there; the zone's own address
    // (from /etc/config/network) stands for it, so that the published services are known.
    for (const auto& dev : src->devices) {
      rule r = plain_rule(s.where, text);
      r.match = m;
      r.match.iif = iface_match{dev, false};
      if (wan_addr) r.match.daddr = wan_addr;
      r.act = action::dnat;
      r.to = to;
      r.target = s.path();
      dstnat.rules.push_back(std::move(r));
    }
    src->dnat = true;
    if (!reflect) return;
    // Reflection: fw4 adds, for each reflection zone, a DNAT for its sources to the WAN address and a
    // loopback SNAT towards the server.
    std::vector<zone*> refl;
    for (const auto& z : s.words("reflection_zone")) {
      zone* rz = find_zone(z.text);
      if (!rz) diags_.error(z.where, "reflection_zone names an undeclared zone", z.text);
      else refl.push_back(rz);
    }
    if (s.words("reflection_zone").empty()) {
      if (zone* d = find_zone(s.str("dest"))) refl.push_back(d);
      else
        for (auto& z : zones_)
          if (&z != src && std::any_of(z.subnets.begin(), z.subnets.end(), [&](const ip_prefix& p) { return p.contains(*to.addr); }))
            refl.push_back(&z);
      if (refl.empty() && s.str("dest").empty())
        for (auto& z : zones_)
          if (&z != src && !z.sec->flag("masq", false)) refl.push_back(&z);
    }
    // A reflection zone of the other family only: fw4 warns and skips it.
    refl.erase(std::remove_if(refl.begin(), refl.end(), [&](const zone* z) { return z->family != 0 && z->family != f; }),
               refl.end());
    std::string rsrc = s.str("reflection_src", "internal");
    if (rsrc != "internal" && rsrc != "external") {
      diags_.error(s.get("reflection_src")->where, "reflection_src is internal or external", rsrc);
      return;
    }
    for (zone* z : refl) {
      z->dnat = true;
      auto zsubnets = of_family(z->subnets, f);
      auto zaddrs = of_family(z->addresses, f);
      for (const auto& dev : z->devices) {
        rule r = plain_rule(s.where, text + " (reflection for zone " + z->name + ")");
        r.match = m;
        r.match.iif = iface_match{dev, false};
        if (!zsubnets.empty() && !m.saddr) r.match.saddr = addr_match{zsubnets, false};
        if (wan_addr) r.match.daddr = wan_addr;
        else r.match.dst_local = true;  // the WAN address, whatever it is: one of the router's own
        r.act = action::dnat;
        r.to = to;
        r.target = s.path();
        dstnat.rules.push_back(r);
        // The loopback SNAT, on the way to the server.
        rule n = plain_rule(s.where, text + " (reflection SNAT for zone " + z->name + ")");
        n.match.protocols = m.protocols;
        n.match.family = f;
        n.match.oif = iface_match{dev, false};
        n.match.saddr = r.match.saddr;
        n.match.daddr = addr_match{{ip_prefix{*to.addr, to.addr->bits()}}, false};
        if (to.ports) n.match.dport = port_match{{*to.ports}, false};
        else n.match.dport = m.dport;
        n.target = s.path();
        if (rsrc == "internal") {
          if (!zaddrs.empty()) {
            // fw4 takes the zone's address in the server's subnet, else the first one.
            n.act = action::snat;
            n.to.addr = zaddrs.front();
            for (const auto& a : zaddrs)
              for (const auto& p : zsubnets)
                if (p.contains(a) && p.contains(*to.addr)) n.to.addr = a;
          } else {
            n.act = action::masquerade;  // the router's address on the zone's interface
          }
        } else if (wan_addr && wan_addr->any_of.size() == 1) {
          n.act = action::snat;
          n.to.addr = wan_addr->any_of.front().network;
        } else {
          n.act = action::unknown;  // fw4 takes the WAN address at reload; without it, not simulated
          n.target = "snat to the WAN address (give /etc/config/network after the firewall file)";
        }
        srcnat.rules.push_back(std::move(n));
      }
    }
  }

  void user_rule(const section& s, std::vector<chain>& zone_chains) {
    if (s.str("dest").empty() || s.str("src").empty()) return;  // input/output rules: not on the forward path
    std::string target = s.str("target", "DROP");
    action act = target == "ACCEPT" ? action::accept
                 : target == "DROP" || target == "REJECT" ? action::drop
                                                           : action::unknown;
    std::string text = describe(s, {"src", "src_ip", "dest", "dest_ip", "proto", "dest_port", "family", "target"});
    match_set m;
    if (!protocols(s, m.protocols, "tcp udp")) return;
    if (!ports(s, "dest_port", m.dport)) return;
    if (!ports(s, "src_port", m.sport)) return;
    if (!s.words("src_ip").empty() && !addr_list(s.words("src_ip"), m.saddr)) return;
    if (!s.words("dest_ip").empty() && !addr_list(s.words("dest_ip"), m.daddr)) return;
    unmodelled(s, m);
    // The rule's family (fw4 emits it for IPv4, IPv6 or both): it decides IPv6 flows too.
    auto fam = section_family(s, {&m.saddr, &m.daddr}, {});
    if (!fam) return;
    if (*fam) m.family = *fam;
    std::vector<std::size_t> srcs;
    if (s.str("src") == "*") {
      for (std::size_t i = 0; i < zones_.size(); ++i) srcs.push_back(i);
    } else {
      for (std::size_t i = 0; i < zones_.size(); ++i)
        if (zones_[i].name == s.str("src")) srcs.push_back(i);
      if (srcs.empty()) {
        diags_.error(s.get("src")->where, "rule from an undeclared zone", s.str("src"));
        return;
      }
    }
    std::vector<std::string> dests;
    if (s.str("dest") != "*") {
      zone* d = find_zone(s.str("dest"));
      if (!d) {
        diags_.error(s.get("dest")->where, "rule to an undeclared zone", s.str("dest"));
        return;
      }
      dests = d->devices;
    }
    for (std::size_t i : srcs) {
      auto add = [&](const std::optional<std::string>& dev) {
        rule r = plain_rule(s.where, text);
        r.match = m;
        if (dev) r.match.oif = iface_match{*dev, false};
        r.act = act;
        r.target = act == action::unknown ? "target " + target : s.path();
        zone_chains[i].rules.push_back(std::move(r));
      };
      if (s.str("dest") == "*") add(std::nullopt);
      else
        for (const auto& d : dests) add(d);
    }
  }

  void nat_rule(const section& s, chain& srcnat) {
    std::string target = s.str("target", "SNAT");
    std::string text = describe(s, {"src", "src_ip", "dest_ip", "proto", "dest_port", "snat_ip", "family", "target"});
    match_set m;
    if (!protocols(s, m.protocols, "all")) return;
    if (!ports(s, "dest_port", m.dport)) return;
    if (!s.words("src_ip").empty() && !addr_list(s.words("src_ip"), m.saddr)) return;
    if (!s.words("dest_ip").empty() && !addr_list(s.words("dest_ip"), m.daddr)) return;
    if (!ports(s, "src_port", m.sport)) return;
    unmodelled(s, m);
    std::optional<addr_match> snat_ip;
    if (auto a = ip_address::parse(s.str("snat_ip"))) snat_ip = addr_match{{ip_prefix{*a, a->bits()}}, false};
    // `family` ipv4 (fw4's default for a nat section without addresses), ipv6 or any.
    auto fam = section_family(s, {&m.saddr, &m.daddr, &snat_ip}, {});
    if (!fam) return;
    m.family = *fam ? *fam : s.get("family") ? 0 : 4;
    if (m.family == 0) m.family.reset();
    rule r = plain_rule(s.where, text);
    r.target = s.path();
    if (target == "MASQUERADE") r.act = action::masquerade;
    else if (target == "ACCEPT") r.act = action::accept;
    else if (target == "SNAT") {
      r.act = action::snat;
      r.to.addr = ip_address::parse(s.str("snat_ip"));
      if (!r.to.addr) {
        diags_.error(s.get("snat_ip") ? s.get("snat_ip")->where : s.where, "SNAT without a valid snat_ip", s.str("snat_ip"));
        return;
      }
    } else {
      diags_.error(s.get("target") ? s.get("target")->where : s.where, "unknown nat target", target);
      return;
    }
    std::vector<std::string> devs;
    if (s.str("src") == "*" || s.str("src").empty()) devs.push_back("");
    else if (zone* z = find_zone(s.str("src"))) devs = z->devices;
    else {
      diags_.error(s.get("src")->where, "nat rule for an undeclared zone", s.str("src"));
      return;
    }
    for (const auto& d : devs) {
      rule x = r;
      x.match = m;
      if (!d.empty()) x.match.oif = iface_match{d, false};
      srcnat.rules.push_back(std::move(x));
    }
  }

  std::vector<section> secs_;
  std::string file_;
  diagnostics& diags_;
  std::map<std::string, netif> nets_;
  std::vector<zone> zones_;
};

// The uci commands that apply a change and reload.
std::string apply(const std::string& commands) {
  return commands + "; uci commit firewall; service firewall reload";
}

}  // namespace

bool looks_like_uci(std::string_view text) {
  const auto line = detail::first_content_line(text);
  return line.starts_with("config ") || line.starts_with("config\t") || line.starts_with("package ");
}

ruleset parse_openwrt(std::string_view text, const std::string& file, diagnostics& diags) {
  auto secs = parse_uci(text, file, diags);
  builder b(std::move(secs), file, diags);
  return b.run();
}

std::string router_fix(const ruleset& rs, const flow_prediction& p, const service_check& s, const std::string& fallback) {
  if (rs.syntax == rule_syntax::routeros) return routeros_fix(rs, p, s, fallback);  // src/nat/mikrotik.cpp
  if (rs.syntax == rule_syntax::pfsense) return pfsense_fix(rs, p, s, fallback);    // src/nat/pfsense.cpp
  if (rs.syntax != rule_syntax::openwrt) return fallback;
  // The rule of the model behind a reference, to reach its UCI section.
  auto rule_at = [&](const std::optional<rule_ref>& ref) -> const rule* {
    if (!ref) return nullptr;
    for (const auto& c : rs.chains)
      for (const auto& r : c.rules)
        if (r.where.line == ref->where.line && r.where.column == ref->where.column && r.text == ref->text) return &r;
    return nullptr;
  };
  auto section_of = [](const rule* r) { return r && r->act != action::unknown ? r->target : std::string(); };
  std::string proto = detail::protocol_name(s.protocol);
  std::string server = p.dnat_to ? p.dnat_to->str() : (s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS");
  std::uint16_t port = p.dnat_port ? p.dnat_port : s.port;
  bool family6 = s.public_address.v6;  // fw4 takes a nat section without addresses as IPv4
  switch (p.result) {
    case outcome::dnat_wan_only: {
      const rule* r = rule_at(p.decided_by);
      std::string sec = section_of(r);
      if (sec.empty() || r->text.find("@redirect") == std::string::npos) return fallback;
      // fw4 builds no reflection for a source zone that does not masquerade the family (masq6 for IPv6).
      static constexpr std::string_view marker = " (fw4 adds no ";
      if (auto at = r->text.find(marker); at != std::string::npos) {
        auto zone_at = r->text.find(": zone ", at);
        auto has_no = r->text.find(" has no ", at);
        auto close = r->text.find(')', at);
        if (zone_at != std::string::npos && has_no != std::string::npos && close != std::string::npos && zone_at < has_no &&
            has_no < close) {
          std::string zone = r->text.substr(zone_at + 7, has_no - zone_at - 7);
          std::string option = r->text.substr(has_no + 8, close - has_no - 8);
          std::string fix = apply(fmt::format("uci set firewall.{}.{}='1'", zone, option));
          if (option == "masq6")
            fix += " (fw4 then adds the IPv6 reflection rules; masq6 also masquerades the zone's outgoing IPv6, else "
                   "add a redirect from the lan zone with family 'ipv6' and a `config nat` MASQUERADE for it)";
          return fix;
        }
      }
      // Reflection off; or on, but limited by src_ip; or on for other zones than the LAN's.
      bool off = r->text.find("reflection '") != std::string::npos && r->text.find("reflection '1'") == std::string::npos;
      if (off) return apply(fmt::format("uci set firewall.{}.reflection='1'", sec));
      if (r->text.find("src_ip '") != std::string::npos)
        return apply(fmt::format("uci delete firewall.{}.src_ip (src_ip also limits the reflection rules; or add a "
                                 "redirect for the lan zone)",
                                 sec));
      return apply(fmt::format("uci add_list firewall.{}.reflection_zone='lan'", sec));
    }
    case outcome::no_loopback:
      return apply(fmt::format(
          "uci add firewall nat; uci set firewall.@nat[-1].name='hairpin-{}-{}'; uci set firewall.@nat[-1].src='lan'; "
          "uci set firewall.@nat[-1].dest_ip='{}'; uci set firewall.@nat[-1].proto='{}'; uci set "
          "firewall.@nat[-1].dest_port='{}'; uci set firewall.@nat[-1].target='MASQUERADE'{}",
          proto, port, server, proto, port, family6 ? "; uci set firewall.@nat[-1].family='ipv6'" : ""));
    case outcome::snat_into_internal_view: {
      const rule* r = rule_at(p.decided_by);
      std::string sec = section_of(r);
      if (r && r->text.find("reflection SNAT") != std::string::npos) {
        if (r->text.find("reflection_src 'external'") == std::string::npos)
          return apply(fmt::format("uci set firewall.{}.reflection_src='external'", sec));
        return fmt::format("the WAN address {} is in the internal view's match-clients: take it out of match-clients in "
                           "named.conf (reflection_src 'internal' would use the LAN address, also inside)",
                           p.seen_source ? p.seen_source->str() : "");
      }
      return apply(fmt::format(
          "uci add firewall nat; uci set firewall.@nat[-1].src='lan'; uci set firewall.@nat[-1].dest_ip='{}'; uci set "
          "firewall.@nat[-1].proto='{}'; uci set firewall.@nat[-1].dest_port='{}'; uci set "
          "firewall.@nat[-1].target='SNAT'; uci set firewall.@nat[-1].snat_ip='{}'; uci reorder firewall.@nat[-1]=0",
          server, proto, port, s.public_address.str()));
    }
    case outcome::forward_drop: {
      const rule* r = rule_at(p.decided_by);
      std::string sec = section_of(r);
      if (!sec.empty() && sec.rfind("@rule", 0) == 0)
        return apply(fmt::format("uci set firewall.{}.enabled='0'", sec));
      return apply(fmt::format(
          "uci add firewall rule; uci set firewall.@rule[-1].name='hairpin-{}-{}'; uci set firewall.@rule[-1].src='lan'; "
          "uci set firewall.@rule[-1].dest='lan'; uci set firewall.@rule[-1].dest_ip='{}'; uci set "
          "firewall.@rule[-1].proto='{}'; uci set firewall.@rule[-1].dest_port='{}'; uci set "
          "firewall.@rule[-1].target='ACCEPT'; uci reorder firewall.@rule[-1]=0",
          proto, port, server, proto, port));
    }
    case outcome::not_forwarded:
      return apply(fmt::format(
          "uci add firewall redirect; uci set firewall.@redirect[-1].name='{}-{}'; uci set "
          "firewall.@redirect[-1].src='wan'; uci set firewall.@redirect[-1].proto='{}'; uci set "
          "firewall.@redirect[-1].src_dport='{}'; uci set firewall.@redirect[-1].dest_ip='{}'; uci set "
          "firewall.@redirect[-1].dest_port='{}'; uci set firewall.@redirect[-1].target='DNAT'",
          proto, s.port, proto, s.port, s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS", s.port));
    case outcome::works:
    case outcome::unknown: break;
  }
  return fallback;
}

}  // namespace hc::nat
