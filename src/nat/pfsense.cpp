// pfSense / OPNsense: a config.xml backup read into the pf rules the appliance generates from it,
// and fixes as the setting to change. The model follows what the appliances load (pfSense
// filter.inc, OPNsense's NatRule): rdr for each port forward on its interface; with NAT reflection,
// rdr on every interface without a gateway (the LANs), and the reflection NAT towards the server
// (pure NAT with "automatic outbound NAT for reflection"; NAT + proxy, whose helper connects from
// the firewall itself); 1:1 NAT both ways; outbound NAT by its mode. Firewall rules are not
// simulated: a pass is taken as passed, and every enabled block or reject rule (<filter><rule>, and
// OPNsense's newer OPNsense/Firewall/Filter/rules) becomes a rule the simulator does not model on
// its interface (with its source when that is decided, block_source), so a flow it may stop is
// nat-unsimulated at its file:line:col, never OK. Likewise
// what is not read: OPNsense's newer source NAT, 1:1 and NPt tables (nat-unsimulated on their
// interface), a port forward to a virtual IP (<virtualip>) or on a disabled interface
// (docs/routers/pfsense.md).

#include "nat/pfsense.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "core/xml.hpp"
#include "nat/detail.hpp"

namespace hc::nat {
namespace {

// pfSense: NAT + proxy reflects TCP only, no range over 500 ports, at most 1000 ports in all.
constexpr std::uint32_t proxy_max_range = 500;
constexpr std::uint32_t proxy_max_total = 1000;
// Bounds on what is read of untrusted input: firewall rules per table, virtual IPs.
constexpr std::size_t max_filter_rules = 10000;
constexpr std::size_t max_vips = 4096;

enum class vendor { pfsense, opnsense };

// Reflection of one port forward or 1:1 entry.
enum class refl { off, proxy, purenat };

// One <interfaces> entry.
struct iface {
  std::string key;     // wan, lan, opt1: the name rules use
  std::string device;  // <if>: igb0
  std::optional<ip_address> v4, v6;
  std::optional<ip_prefix> net4, net6;
  bool gateway = false;  // has an upstream gateway (or a dynamic address): not a reflection interface
  bool enabled = true;   // <enable> present (and not "0"): a disabled interface carries no traffic
  source_location where;

  const std::optional<ip_address>& addr(int family) const { return family == 6 ? v6 : v4; }
  const std::optional<ip_prefix>& net(int family) const { return family == 6 ? net6 : net4; }
};

// An address test read from <source>/<destination>: a match, the firewall's own address (a
// dynamic WAN address), or something the simulator cannot resolve (an alias, a host name).
struct addr_spec {
  std::optional<addr_match> m;
  bool local = false;
  std::string unknown;
};

// What the reader records in each rule's `target` for the fixes: fields separated by '|'.
//   element | reflection state | web GUI port | description
std::string tag(const std::string& element, const std::string& state, std::uint16_t gui_port, const std::string& descr) {
  return fmt::format("{}|{}|{}|{}", element, state, gui_port, descr);
}

std::vector<std::string> split_tag(const std::string& t) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (out.size() < 4) {
    auto bar = t.find('|', pos);
    if (bar == std::string::npos || out.size() == 3) {
      out.push_back(t.substr(pos));
      break;
    }
    out.push_back(t.substr(pos, bar - pos));
    pos = bar + 1;
  }
  while (out.size() < 4) out.emplace_back();
  return out;
}

bool is_true_flag(const xml::node* n) {
  // <disabled/>, <disabled>1</disabled>, <enable>yes</enable>: present and not "0"/"no".
  if (!n) return false;
  auto t = n->trimmed_text();
  return t != "0" && t != "no" && t != "false";
}

class builder {
 public:
  builder(const xml::node& root, const std::string& file, diagnostics& diags)
      : root_(root), file_(file), diags_(diags),
        vendor_(root.name == "opnsense" ? vendor::opnsense : vendor::pfsense) {}

  ruleset run() {
    ruleset rs;
    rs.syntax = rule_syntax::pfsense;
    rs.file = file_;
    read_interfaces();
    read_system();
    source_location origin = root_.where(file_);
    chain rdr = base("rdr", "nat", "prerouting", -100, origin);
    chain filter = base("filter", "filter", "forward", 0, origin);
    chain nat = base("nat", "nat", "postrouting", 100, origin);
    // Hints for the simulator (which interface is a LAN), and the pass rules pfSense's default LAN
    // rule gives: traffic within each gateway-less interface's network.
    for (const auto& i : ifaces_) {
      if (i.gateway || !i.net4) continue;
      rule r = plain(i.where, fmt::format("interfaces/{} ({}): {} net to {} net (firewall rules are not read: taken "
                                          "as passing)",
                                          i.key, escape_text(i.device, 32), i.key, i.key));
      r.match.iif = iface_match{i.key, false};
      r.match.oif = iface_match{i.key, false};
      r.match.saddr = addr_match{{*i.net4}, false};
      r.match.daddr = addr_match{{*i.net4}, false};
      r.act = action::accept;
      filter.rules.push_back(std::move(r));
    }
    read_virtual_ips();
    // Block and reject rules come first: the simulator stops at them (not simulated), never past.
    std::vector<rule> blocks;
    if (const xml::node* f = root_.child("filter")) {
      std::size_t n = 0;
      for (const xml::node* r : f->children("rule")) legacy_filter_rule(*r, ++n, blocks);
    }
    mvc_tables(blocks, rdr, nat);
    filter.rules.insert(filter.rules.begin(), blocks.begin(), blocks.end());
    const xml::node* nat_node = root_.child("nat");
    if (nat_node) {
      std::size_t n = 0;
      for (const xml::node* r : nat_node->children("rule")) port_forward(*r, ++n, rdr, nat);
      n = 0;
      for (const xml::node* o : nat_node->children("onetoone")) one_to_one(*o, ++n, rdr, nat);
    }
    outbound(nat_node, nat);
    rs.chains.push_back(std::move(rdr));
    rs.chains.push_back(std::move(filter));
    rs.chains.push_back(std::move(nat));
    rs.reindex();
    return rs;
  }

 private:
  chain base(const char* name, const char* type, const char* hook, int prio, const source_location& where) const {
    chain c;
    c.family = "inet";
    c.table = vendor_ == vendor::opnsense ? "opnsense" : "pfsense";
    c.name = name;
    c.type = type;
    c.hook = hook;
    c.priority = prio;
    c.where = where;
    return c;
  }
  static rule plain(const source_location& where, std::string text) {
    rule r;
    r.where = where;
    r.text = std::move(text);
    return r;
  }
  source_location at(const xml::node& n) const { return n.where(file_); }
  // Where a child element is, else the parent.
  source_location at(const xml::node& parent, std::string_view child) const {
    const xml::node* c = parent.child(child);
    return c ? at(*c) : at(parent);
  }

  const iface* find_iface(std::string_view key) const {
    for (const auto& i : ifaces_)
      if (i.key == key) return &i;
    return nullptr;
  }

  void read_interfaces() {
    const xml::node* ifs = root_.child("interfaces");
    if (!ifs) {
      diags_.warning(at(root_), "no <interfaces>: the port forwards cannot be placed");
      return;
    }
    for (const auto& e : ifs->elements) {
      iface i;
      i.key = e.name;
      i.device = std::string(e.child_text("if"));
      // The loopback (OPNsense lists lo0): never a reflection interface nor a local network.
      if (i.key == "lo0" || i.key == "loopback" || i.device == "lo0") continue;
      i.where = at(e);
      i.gateway = !e.child_text("gateway").empty();
      i.enabled = is_true_flag(e.child("enable"));
      std::string_view a4 = e.child_text("ipaddr");
      if (!a4.empty()) {
        if (auto ip = ip_address::parse(a4); ip && !ip->v6) {
          i.v4 = ip;
          i.net4 = subnet(*ip, e, "subnet", 32);
        } else if (a4 == "dhcp" || a4 == "pppoe" || a4 == "pptp" || a4 == "l2tp" || a4 == "ppp") {
          i.gateway = true;  // a dynamic address comes with its gateway
        } else {
          diags_.error(at(e, "ipaddr"), "not an IPv4 address or a dynamic type (dhcp, pppoe, ...)", std::string(a4));
        }
      }
      std::string_view a6 = e.child_text("ipaddrv6");
      if (!a6.empty()) {
        if (auto ip = ip_address::parse(a6); ip && ip->v6) {
          i.v6 = ip;
          i.net6 = subnet(*ip, e, "subnetv6", 128);
        } else if (a6 == "dhcp6" || a6 == "slaac" || a6 == "6rd" || a6 == "6to4" || a6 == "pppoe") {
          i.gateway = true;  // configured from upstream
        } else if (a6 != "track6") {  // track6: a LAN prefix delegated from another interface
          diags_.error(at(e, "ipaddrv6"), "not an IPv6 address or a dynamic type (dhcp6, slaac, track6, ...)", std::string(a6));
        }
      }
      if (!e.child_text("gatewayv6").empty()) i.gateway = true;
      ifaces_.push_back(std::move(i));
    }
  }

  std::optional<ip_prefix> subnet(const ip_address& a, const xml::node& e, std::string_view key, unsigned dflt) {
    unsigned len = dflt;
    std::string_view t = e.child_text(key);
    if (!t.empty()) {
      unsigned v = 0;
      bool ok = t.size() <= 3 && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (ok)
        for (char c : t) v = v * 10 + static_cast<unsigned>(c - '0');
      if (!ok || v > a.bits()) {
        diags_.error(at(e, key), "not a prefix length", std::string(t));
        return std::nullopt;
      }
      len = v;
    }
    return ip_prefix{masked(a, len), len};
  }

  void read_system() {
    const xml::node* sys = root_.child("system");
    static const xml::node empty;
    if (!sys) sys = &empty;
    // The system-wide reflection mode for port forwards.
    if (vendor_ == vendor::pfsense) {
      if (sys->has("disablenatreflection")) system_mode_ = refl::off;
      else if (sys->has("enablenatreflectionpurenat")) system_mode_ = refl::purenat;
      else system_mode_ = refl::proxy;  // pfSense: neither element is NAT + proxy
      helper_ = is_true_flag(sys->child("enablenatreflectionhelper"));
      binat_ = is_true_flag(sys->child("enablebinatreflection"));
    } else {
      // OPNsense: reflection is pure NAT; <disablenatreflection> (legacy) turns it off, and the
      // newer model (OPNsense/Firewall/Filter/settings/nat) wins when present.
      const xml::node* d = sys->child("disablenatreflection");
      system_mode_ = d && d->trimmed_text() != "no" ? refl::off : refl::purenat;
      helper_ = is_true_flag(sys->child("enablenatreflectionhelper"));
      binat_ = is_true_flag(sys->child("enablebinatreflection"));
      if (const xml::node* m = root_.find("OPNsense/Firewall/Filter/settings/nat")) {
        std::string_view v = m->child_text("natreflection");
        if (v == "disable") system_mode_ = refl::off;
        else if (v == "enable" || v == "purenat") system_mode_ = refl::purenat;
        if (m->has("enablenatreflectionhelper")) helper_ = m->child_text("enablenatreflectionhelper") == "1";
        if (m->has("enablebinatreflection")) binat_ = m->child_text("enablebinatreflection") == "1";
      }
    }
    // The web GUI: <system><webgui><protocol> https (default) or http, <port> (default 443 / 80).
    gui_port_ = 443;
    if (const xml::node* w = sys->child("webgui")) {
      if (w->child_text("protocol") == "http") gui_port_ = 80;
      if (std::string_view p = w->child_text("port"); !p.empty()) {
        if (auto n = detail::parse_port(p); n && *n != 0) gui_port_ = *n;
        else diags_.error(at(*w, "port"), "not a port", std::string(p));
      }
    }
  }

  // <source>/<destination>: <any/>, <address>, <network> (wanip, lanip, optNip, lan, (self), a
  // CIDR), <not/>.
  addr_spec address(const xml::node* spec, int family) {
    if (!spec || spec->has("any")) return {};
    std::string_view a = spec->child_text("address");
    std::string_view n = spec->child_text("network");
    return address_of(!a.empty() ? a : n, n, spec->has("not"), family);
  }

  // `text` an address, a CIDR, (self) or an alias; `n` the same text when it may name an
  // interface's network or address (lan, lanip).
  addr_spec address_of(std::string_view text, std::string_view n, bool neg, int family) {
    addr_spec out;
    if (text.empty()) return out;
    if (auto p = ip_prefix::parse(text)) {
      out.m = addr_match{{ip_prefix{masked(p->network, p->length), p->length}}, neg};
      return out;
    }
    if (text == "(self)") {
      if (neg) out.unknown = "not (self)";
      else out.local = true;
      return out;
    }
    if (!n.empty()) {
      bool ip = n.size() > 2 && n.substr(n.size() - 2) == "ip";
      const iface* i = find_iface(ip ? n.substr(0, n.size() - 2) : n);
      if (i && ip) {
        if (const auto& ad = i->addr(family)) out.m = addr_match{{ip_prefix{*ad, ad->bits()}}, neg};
        else if (!neg) out.local = true;  // a dynamic address: one of the firewall's own
        else out.unknown = fmt::format("not {}", escape_text(n, 32));
        return out;
      }
      if (i) {
        if (const auto& net = i->net(family)) out.m = addr_match{{*net}, neg};
        else out.unknown = fmt::format("the network of {} (no static address)", escape_text(n, 32));
        return out;
      }
    }
    out.unknown = fmt::format("alias or name '{}'", escape_text(text, 32));
    return out;
  }

  bool protocols(const xml::node& r, std::vector<int>& out, std::vector<std::string>& unknown) {
    std::string_view p = r.child_text("protocol");
    if (p.empty() || p == "any") return true;
    if (p == "tcp/udp") {
      out = {proto_tcp, proto_udp};
      return true;
    }
    if (auto n = detail::protocol_number(p)) {
      out = {*n};
      return true;
    }
    unknown.push_back(fmt::format("protocol '{}'", escape_text(p, 32)));
    return true;
  }

  std::optional<port_range> ports(const xml::node& spec_parent, std::string_view key, std::string_view child,
                                  std::vector<std::string>& unknown) {
    const xml::node* spec = key.empty() ? &spec_parent : spec_parent.child(key);
    if (!spec) return std::nullopt;
    std::string_view t = spec->child_text(child);
    if (t.empty()) return std::nullopt;
    auto pr = detail::parse_port_range(t, t.find(':') != std::string_view::npos ? ':' : '-');
    if (!pr) unknown.push_back(fmt::format("port alias '{}'", escape_text(t, 32)));
    return pr;
  }

  std::string describe(const xml::node& r, const std::string& element) const {
    std::string d = element;
    if (auto descr = r.child_text("descr"); !descr.empty()) d += " '" + escape_text(descr, 48) + "'";
    return d;
  }

  // The interfaces pf adds reflection rdr on: every interface without a gateway but `own`.
  std::vector<const iface*> reflection_ifaces(const std::string& own) const {
    std::vector<const iface*> out;
    for (const auto& i : ifaces_)
      if (!i.gateway && i.key != own) out.push_back(&i);
    return out;
  }

  // <virtualip><vip>: the addresses (<subnet>) the firewall also holds, with where they are.
  void read_virtual_ips() {
    const xml::node* v = root_.child("virtualip");
    if (!v) return;
    std::size_t n = 0;
    for (const xml::node* vip : v->children("vip")) {
      ++n;
      if (vips_.size() >= max_vips) break;
      if (auto a = ip_address::parse(vip->child_text("subnet")))
        vips_.push_back({*a, fmt::format("virtualip/vip[{}] ({}, {})", n, escape_text(vip->child_text("mode"), 16),
                                         at(*vip).str())});
    }
  }

  // The interfaces a firewall rule applies to (comma separated), as matches; an empty list: every
  // interface (floating, or a direction other than in).
  std::vector<std::optional<iface_match>> rule_ifaces(std::string_view ifs, bool inbound) const {
    std::vector<std::optional<iface_match>> out;
    if (ifs.empty() || !inbound) {
      out.emplace_back();
      return out;
    }
    std::size_t pos = 0;
    while (pos <= ifs.size() && out.size() < 64) {
      auto comma = ifs.find(',', pos);
      std::string_view key = ifs.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      pos = comma == std::string_view::npos ? ifs.size() + 1 : comma + 1;
      out.emplace_back(iface_match{std::string(key), false});
    }
    return out;
  }

  // The source test of an inbound block rule when it is decided for every family the rule covers
  // (<ipprotocol> inet, the default, inet6 or inet46; spec_of(family) reads it): a flow from
  // elsewhere is not stopped by the rule. None, the rule taken to stop every source as for an
  // outbound rule, for any, (self) (the reflection proxy connects from the firewall), an alias or a
  // network without a static address.
  template <class SpecOf>
  static std::optional<addr_match> block_source(std::string_view ipproto, SpecOf spec_of) {
    std::vector<int> families{4};
    if (ipproto == "inet6") families = {6};
    else if (ipproto == "inet46") families = {4, 6};
    std::optional<addr_match> out;
    for (int f : families) {
      addr_spec a = spec_of(f);
      if (!a.m || a.local || !a.unknown.empty()) return std::nullopt;
      if (!out) out = *a.m;
      else if (out->negated != a.m->negated) return std::nullopt;
      else out->any_of.insert(out->any_of.end(), a.m->any_of.begin(), a.m->any_of.end());
    }
    return out;
  }

  // A block or reject rule as a rule the simulator does not model: every flow it may match is
  // nat-unsimulated at `where`. `src`: its source test (block_source), inbound rules only.
  void block_rule(const source_location& where, const std::string& element, std::string_view type,
                  std::string_view ifs, bool inbound, std::string_view proto, std::string_view dst_text,
                  std::string_view dst_port, const std::optional<addr_match>& src, std::vector<rule>& out) {
    match_set base;
    if (inbound && src) base.saddr = *src;
    if (proto == "tcp/udp" || proto == "TCP/UDP") base.protocols = {proto_tcp, proto_udp};
    else if (!proto.empty() && proto != "any")
      if (auto n = detail::protocol_number(proto)) base.protocols = {*n};
    if (!dst_port.empty())
      if (auto pr = detail::parse_port_range(dst_port, dst_port.find(':') != std::string_view::npos ? ':' : '-'))
        base.dport = port_match{{*pr}, false};
    if (auto p = ip_prefix::parse(dst_text)) base.daddr = addr_match{{ip_prefix{masked(p->network, p->length), p->length}}, false};
    for (const auto& m : rule_ifaces(ifs, inbound)) {
      rule r = plain(where, fmt::format("{}: {} on {} (firewall rules are not simulated)", element, escape_text(type, 16),
                                        ifs.empty() ? std::string("any interface") : escape_text(ifs, 32)));
      r.match = base;
      r.match.iif = m;
      r.act = action::unknown;
      r.target = fmt::format("{} rule {} at {}", escape_text(type, 16), element, where.str());
      out.push_back(std::move(r));
    }
  }

  // <filter><rule>: <type> pass (the default), block or reject; <disabled/>; <interface> (a list on
  // floating rules); <direction> in, out or any on floating rules.
  void legacy_filter_rule(const xml::node& r, std::size_t index, std::vector<rule>& out) {
    if (index > max_filter_rules || is_true_flag(r.child("disabled"))) return;
    std::string_view type = r.child_text("type");
    if (type != "block" && type != "reject") return;
    std::string_view dir = r.child_text("direction");
    const xml::node* d = r.child("destination");
    std::string_view dst = d && !d->has("not") ? d->child_text("address") : std::string_view{};
    std::string_view port = d && !d->has("not") ? d->child_text("port") : std::string_view{};
    const xml::node* s = r.child("source");
    auto src = block_source(r.child_text("ipprotocol"), [&](int family) { return address(s, family); });
    block_rule(at(r), fmt::format("filter/rule[{}]", index), type, r.child_text("interface"),
               dir.empty() || dir == "in", r.child_text("protocol"), dst, port, src, out);
  }

  // OPNsense's newer model (OPNsense/Firewall/Filter): firewall rules (<rules><rule>, <enabled>,
  // <action>, <interface>, <direction>, <destination_net>, <destination_port>), and the NAT tables
  // this reader does not simulate (<snatrules>, <onetoone>, <npt>): one unmodelled rule each, on its
  // interface. (Its port forwards, the DNat model, live in <nat><rule> and are read there.)
  void mvc_tables(std::vector<rule>& blocks, chain& rdr, chain& nat) {
    const xml::node* f = root_.find("OPNsense/Firewall/Filter");
    if (!f) return;
    auto enabled = [](const xml::node& r) {
      const xml::node* e = r.child("enabled");
      return !e || e->trimmed_text() != "0";
    };
    if (const xml::node* rules = f->child("rules")) {
      std::size_t n = 0;
      for (const xml::node* r : rules->children("rule")) {
        if (++n > max_filter_rules) break;
        if (!enabled(*r)) continue;
        std::string_view act = r->child_text("action");
        if (act != "block" && act != "reject") continue;
        std::string_view dir = r->child_text("direction");
        const bool dst_not = r->child_text("destination_not") == "1";
        std::string_view src_net = r->child_text("source_net");  // empty or "any": no source test
        const bool src_not = r->child_text("source_not") == "1";
        auto src = block_source(r->child_text("ipprotocol"),
                                [&](int family) { return address_of(src_net, src_net, src_not, family); });
        block_rule(at(*r), fmt::format("OPNsense/Firewall/Filter/rules/rule[{}]", n), act, r->child_text("interface"),
                   (dir.empty() || dir == "in") && r->child_text("interfacenot") != "1", r->child_text("protocol"),
                   dst_not ? std::string_view{} : r->child_text("destination_net"),
                   dst_not ? std::string_view{} : r->child_text("destination_port"), src, blocks);
      }
    }
    struct table {
      const char* name;
      const char* what;
      bool inbound;  // applies to traffic coming in on its interface (else going out)
    };
    for (const table t : {table{"snatrules", "source NAT", false}, table{"onetoone", "1:1 NAT", true},
                          table{"npt", "NPt", true}}) {
      const xml::node* c = f->child(t.name);
      if (!c) continue;
      std::size_t n = 0;
      for (const xml::node* r : c->children("rule")) {
        if (++n > max_filter_rules) break;
        if (!enabled(*r) || is_true_flag(r->child("disabled"))) continue;
        const std::string element = fmt::format("OPNsense/Firewall/Filter/{}/rule[{}]", t.name, n);
        std::string_view ifs = r->child_text("interface");
        for (const auto& m : rule_ifaces(ifs, true)) {
          rule u = plain(at(*r), fmt::format("{}: {} on {} (this table is not read)", element, t.what,
                                             ifs.empty() ? std::string("any interface") : escape_text(ifs, 32)));
          if (t.inbound) u.match.iif = m;
          else u.match.oif = m;
          u.act = action::unknown;
          u.target = fmt::format("{} rule {} at {}", t.what, element, at(*r).str());
          (t.inbound ? rdr : nat).rules.push_back(std::move(u));
        }
      }
    }
  }

  void port_forward(const xml::node& r, std::size_t index, chain& rdr, chain& nat) {
    const std::string element = fmt::format("nat/rule[{}]", index);
    if (is_true_flag(r.child("disabled"))) return;
    std::string descr = describe(r, element);
    std::string_view ifs = r.child_text("interface");
    if (ifs.empty()) ifs = "wan";
    std::string_view ipp = r.child_text("ipprotocol");
    std::vector<int> families;
    if (ipp == "inet6") families = {6};
    else if (ipp == "inet46") families = {4, 6};
    else families = {4};
    match_set base;
    protocols(r, base.protocols, base.unknown);
    auto dport = ports(r, "destination", "port", base.unknown);
    if (dport) base.dport = port_match{{*dport}, false};
    if (auto sport = ports(r, "source", "port", base.unknown)) base.sport = port_match{{*sport}, false};
    // The target and its port.
    nat_target to;
    std::string_view target = r.child_text("target");
    bool target_known = false;
    if (auto ip = ip_address::parse(target)) {
      to.addr = ip;
      target_known = true;
    } else if (target.empty()) {
      diags_.error(at(r), "port forward without a <target>");
      return;
    }
    std::string_view lp = r.child_text("local-port");
    if (!lp.empty()) {
      auto p = detail::parse_port(lp);
      if (!p) {
        base.unknown.push_back(fmt::format("local-port alias '{}'", escape_text(lp, 32)));
      } else {
        std::uint32_t width = dport ? static_cast<std::uint32_t>(dport->last - dport->first) : 0;
        to.ports = port_range{*p, static_cast<std::uint16_t>(std::min<std::uint32_t>(65535, *p + width))};
      }
    }
    bool nordr = is_true_flag(r.child("nordr"));
    // The reflection mode: the rule's own <natreflection>, else the system's.
    std::string_view own = r.child_text("natreflection");
    refl mode = system_mode_;
    bool per_rule = false;
    if (own == "disable") mode = refl::off, per_rule = true;
    else if (own == "purenat") mode = refl::purenat, per_rule = true;
    else if (own == "enable") mode = vendor_ == vendor::opnsense ? refl::purenat : refl::proxy, per_rule = true;
    else if (!own.empty()) diags_.warning(at(r, "natreflection"), "unknown natreflection value: the system setting is used", std::string(own));
    std::string where_set = per_rule ? "rule" : "system";
    std::uint32_t width = dport ? static_cast<std::uint32_t>(dport->last - dport->first) + 1 : 65536;
    std::string state;
    std::vector<int> reflected = base.protocols;
    if (mode == refl::off) {
      state = "off-" + where_set;
    } else if (mode == refl::proxy) {
      state = "proxy-" + where_set;
      bool tcp = base.protocols.empty() ||
                 std::find(base.protocols.begin(), base.protocols.end(), proto_tcp) != base.protocols.end();
      if (width > proxy_max_range) {
        state = "proxy-range-" + where_set;
        reflected.clear();
        tcp = false;
      } else if (proxy_ports_ + width > proxy_max_total) {
        state = "proxy-total-" + where_set;
        tcp = false;
      } else if (!tcp) {
        state = "proxy-udp-" + where_set;
      } else if (base.protocols.size() != 1) {
        state = "proxy-udp-" + where_set;  // tcp/udp: the TCP half is reflected
      }
      if (tcp) {
        proxy_ports_ += width;
        reflected = {proto_tcp};
      } else {
        reflected.clear();
      }
    } else {
      state = helper_ ? "purenat-helper" : "purenat";
    }
    std::string text_base = fmt::format("{}: {} {} to {} port {} -> {}{}, reflection {}", descr,
                                        escape_text(ifs, 32), r.child_text("protocol").empty() ? "any" : escape_text(r.child_text("protocol"), 16),
                                        destination_text(r), dport ? port_text(*dport) : "any",
                                        escape_text(target, 48), lp.empty() ? "" : ":" + escape_text(lp, 16),
                                        mode == refl::off ? "off" : mode == refl::proxy ? "NAT + proxy" : "pure NAT");
    text_base += per_rule ? " (this rule)" : " (system)";
    // One rule per interface and family.
    std::size_t pos = 0;
    while (pos <= ifs.size()) {
      auto comma = ifs.find(',', pos);
      std::string_view key = ifs.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      pos = comma == std::string_view::npos ? ifs.size() + 1 : comma + 1;
      const iface* in = find_iface(key);
      if (!in) {
        diags_.warning(at(r, "interface"), "port forward on an interface not in <interfaces>: not loaded", std::string(key));
        continue;
      }
      for (int fam : families) {
        if (to.addr && (to.addr->v6 != (fam == 6))) continue;
        addr_spec src = address(r.child("source"), fam);
        addr_spec dst = address(r.child("destination"), fam);
        match_set m = base;
        m.family = fam;
        if (src.local || !src.unknown.empty()) m.unknown.push_back("source " + (src.local ? "(self)" : src.unknown));
        m.saddr = src.m;
        if (!dst.unknown.empty()) m.unknown.push_back("destination " + dst.unknown);
        m.daddr = dst.m;
        if (dst.local) m.dst_local = true;
        if (dst.m && dst.m->any_of.size() == 1 && dst.m->any_of.front().length == dst.m->any_of.front().network.bits())
          for (const auto& v : vips_)
            if (v.address == dst.m->any_of.front().network)
              m.unknown.push_back(fmt::format("destination {}, a virtual IP: {}", v.address.str(), v.where));
        if (!in->enabled)
          m.unknown.push_back(fmt::format("interface {} is disabled (interfaces/{} at {})", in->key, in->key, in->where.str()));
        rule d = plain(at(r), text_base);
        d.match = m;
        d.match.iif = iface_match{in->key, false};
        d.act = nordr ? action::accept : target_known ? action::dnat : action::unknown;
        d.to = to;
        d.target = nordr || target_known ? tag(element, state, gui_port_, descr)
                                         : fmt::format("target alias '{}'", escape_text(target, 32));
        rdr.rules.push_back(d);
        if (nordr || !target_known || mode == refl::off || (reflected.empty() && mode == refl::proxy)) continue;
        for (const iface* x : reflection_ifaces(in->key)) {
          rule rr = d;
          rr.text = text_base + " (reflection on " + x->key + ")";
          rr.match.iif = iface_match{x->key, false};
          rr.match.protocols = reflected;
          if (!rr.match.saddr && x->net(fam)) rr.match.saddr = addr_match{{*x->net(fam)}, false};
          rdr.rules.push_back(rr);
          if (mode == refl::purenat && !helper_) continue;
          // NAT + proxy: the helper connects from the firewall; pure NAT with the helper option:
          // nat on X from X's network to the target -> (X).
          rule n = plain(at(r), text_base + (mode == refl::proxy ? " (NAT + proxy helper on " + x->key + ")"
                                                                  : " (reflection NAT on " + x->key + ")"));
          n.match.protocols = reflected;
          n.match.family = fam;
          if (mode == refl::purenat) n.match.oif = iface_match{x->key, false};
          n.match.saddr = rr.match.saddr;
          n.match.daddr = addr_match{{ip_prefix{*to.addr, to.addr->bits()}}, false};
          n.match.dport = to.ports ? std::optional<port_match>(port_match{{*to.ports}, false}) : m.dport;
          n.target = tag(element, state, gui_port_, descr);
          if (x->addr(fam)) {
            n.act = action::snat;
            n.to.addr = x->addr(fam);
          } else {
            n.act = action::masquerade;  // the firewall's address towards the target, unknown here
          }
          nat.rules.push_back(std::move(n));
        }
      }
    }
  }

  static std::string port_text(const port_range& p) {
    return p.first == p.last ? std::to_string(p.first) : fmt::format("{}-{}", p.first, p.last);
  }
  static std::string destination_text(const xml::node& r) {
    const xml::node* d = r.child("destination");
    if (!d || d->has("any")) return "any";
    std::string_view t = !d->child_text("address").empty() ? d->child_text("address") : d->child_text("network");
    return (d->has("not") ? "! " : "") + escape_text(t, 48);
  }

  void one_to_one(const xml::node& o, std::size_t index, chain& rdr, chain& nat) {
    const std::string element = fmt::format("nat/onetoone[{}]", index);
    if (is_true_flag(o.child("disabled"))) return;
    std::string descr = describe(o, element);
    std::string_view key = o.child_text("interface");
    if (key.empty()) key = "wan";
    const iface* in = find_iface(key);
    if (!in) {
      diags_.warning(at(o, "interface"), "1:1 NAT on an interface not in <interfaces>: not loaded", std::string(key));
      return;
    }
    std::string_view ext_text = o.child_text("external");
    auto ext = ip_address::parse(ext_text);
    std::string_view int_text = o.child("source") ? o.child("source")->child_text("address") : std::string_view{};
    auto internal = ip_prefix::parse(int_text);
    if (!ext) {
      diags_.error(at(o, "external"), "1:1 NAT without an external address", std::string(ext_text));
      return;
    }
    int fam = ext->v6 ? 6 : 4;
    std::string_view own = o.child_text("natreflection");
    bool reflect = own == "enable" || (own != "disable" && binat_);
    std::string state = reflect ? (helper_ ? "binat-helper" : "binat") : (own == "disable" ? "binat-off-rule" : "binat-off-system");
    std::string text = fmt::format("{}: {} {} <-> {}, reflection {}", descr, in->key, ext->str(), escape_text(int_text, 48),
                                   reflect ? "on" : "off");
    rule d = plain(at(o), text);
    d.match.iif = iface_match{in->key, false};
    d.match.family = fam;
    d.match.daddr = addr_match{{ip_prefix{*ext, ext->bits()}}, false};
    d.target = tag(element, state, gui_port_, descr);
    if (internal && internal->length == internal->network.bits()) {
      d.act = action::dnat;
      d.to.addr = internal->network;
    } else {
      d.act = action::unknown;  // a subnet mapped address by address, or an alias: not simulated
      d.target = fmt::format("1:1 NAT of '{}'", escape_text(int_text, 32));
    }
    rdr.rules.push_back(d);
    if (d.act == action::dnat) {
      rule s = plain(at(o), text + " (outbound)");
      s.match.oif = iface_match{in->key, false};
      s.match.family = fam;
      s.match.saddr = addr_match{{*internal}, false};
      s.act = action::snat;
      s.to.addr = ext;
      s.target = d.target;
      binat_out_.push_back(std::move(s));
    }
    if (!reflect || d.act != action::dnat) return;
    for (const iface* x : reflection_ifaces(in->key)) {
      rule rr = d;
      rr.text = text + " (reflection on " + x->key + ")";
      rr.match.iif = iface_match{x->key, false};
      if (x->net(fam)) rr.match.saddr = addr_match{{*x->net(fam)}, false};
      rdr.rules.push_back(rr);
      if (!helper_) continue;
      rule n = plain(at(o), text + " (reflection NAT on " + x->key + ")");
      n.match.family = fam;
      n.match.oif = iface_match{x->key, false};
      n.match.saddr = rr.match.saddr;
      n.match.daddr = addr_match{{*internal}, false};
      n.target = d.target;
      if (x->addr(fam)) {
        n.act = action::snat;
        n.to.addr = x->addr(fam);
      } else {
        n.act = action::masquerade;
      }
      nat.rules.push_back(std::move(n));
    }
  }

  // <nat><outbound><mode>: automatic (the default), hybrid (manual rules, then automatic), advanced
  // (manual only), disabled.
  void outbound(const xml::node* nat_node, chain& nat) {
    const xml::node* ob = nat_node ? nat_node->child("outbound") : nullptr;
    std::string_view mode = ob ? ob->child_text("mode") : std::string_view{};
    if (mode.empty()) mode = "automatic";
    if (mode != "automatic" && mode != "hybrid" && mode != "advanced" && mode != "disabled") {
      diags_.error(at(*ob, "mode"), "unknown outbound NAT mode (automatic, hybrid, advanced, disabled)", std::string(mode));
      return;
    }
    for (auto& s : binat_out_) nat.rules.push_back(std::move(s));  // 1:1 NAT comes first in pf
    if (mode == "disabled") return;
    if (mode != "automatic" && ob) {
      std::size_t n = 0;
      for (const xml::node* r : ob->children("rule")) manual_outbound(*r, ++n, nat);
    }
    if (mode == "advanced") return;
    // Automatic: every gateway interface NATs the networks of the others to its address.
    addr_match locals;
    for (const auto& i : ifaces_)
      if (!i.gateway && i.net4) locals.any_of.push_back(*i.net4);
    for (const auto& g : ifaces_) {
      if (!g.gateway) continue;
      rule r = plain(g.where, fmt::format("automatic outbound NAT on {}: the local networks to {}'s address", g.key, g.key));
      r.match.oif = iface_match{g.key, false};
      r.match.family = 4;
      if (!locals.any_of.empty()) r.match.saddr = locals;
      r.target = "outbound automatic";
      if (g.v4) {
        r.act = action::snat;
        r.to.addr = g.v4;
      } else {
        r.act = action::masquerade;
      }
      nat.rules.push_back(std::move(r));
    }
  }

  void manual_outbound(const xml::node& r, std::size_t index, chain& nat) {
    const std::string element = fmt::format("nat/outbound/rule[{}]", index);
    if (is_true_flag(r.child("disabled"))) return;
    std::string descr = describe(r, element);
    std::string_view key = r.child_text("interface");
    const iface* out = find_iface(key);
    if (!out) {
      diags_.warning(at(r, "interface"), "outbound NAT rule on an interface not in <interfaces>: not loaded", std::string(key));
      return;
    }
    std::string_view ipp = r.child_text("ipprotocol");
    int fam = ipp == "inet6" ? 6 : 4;
    rule n = plain(at(r), fmt::format("{}: on {} from {} to {} -> {}", descr, out->key,
                                      escape_text(r.child("source") ? r.child("source")->child_text("network") : "any", 48),
                                      destination_text(r),
                                      r.child_text("target").empty() ? "interface address" : escape_text(r.child_text("target"), 48)));
    n.match.oif = iface_match{out->key, false};
    n.match.family = fam;
    protocols(r, n.match.protocols, n.match.unknown);
    addr_spec src = address(r.child("source"), fam);
    addr_spec dst = address(r.child("destination"), fam);
    if (src.local || !src.unknown.empty()) n.match.unknown.push_back("source " + (src.local ? "(self)" : src.unknown));
    if (!dst.unknown.empty()) n.match.unknown.push_back("destination " + dst.unknown);
    n.match.saddr = src.m;
    n.match.daddr = dst.m;
    if (dst.local) n.match.dst_local = true;
    if (auto p = ports(r, "", "dstport", n.match.unknown)) n.match.dport = port_match{{*p}, false};
    if (auto p = ports(r, "", "sourceport", n.match.unknown)) n.match.sport = port_match{{*p}, false};
    n.target = tag(element, "outbound", gui_port_, descr);
    std::string_view target = r.child_text("target");
    if (is_true_flag(r.child("nonat"))) {
      n.act = action::accept;
    } else if (target.empty()) {
      if (out->addr(fam)) {
        n.act = action::snat;
        n.to.addr = out->addr(fam);
      } else {
        n.act = action::masquerade;
      }
    } else if (auto ip = ip_address::parse(target)) {
      n.act = action::snat;
      n.to.addr = ip;
    } else if (target == "other-subnet") {
      n.act = action::unknown;
      n.target = "outbound NAT to another subnet";
    } else {
      n.act = action::unknown;
      n.target = fmt::format("outbound NAT to '{}'", escape_text(target, 32));
    }
    nat.rules.push_back(std::move(n));
  }

  const xml::node& root_;
  const std::string& file_;
  diagnostics& diags_;
  vendor vendor_;
  std::vector<iface> ifaces_;
  refl system_mode_ = refl::off;
  bool helper_ = false;
  bool binat_ = false;
  std::uint16_t gui_port_ = 443;
  std::uint32_t proxy_ports_ = 0;
  std::vector<rule> binat_out_;
  struct vip {
    ip_address address;
    std::string where;  // "virtualip/vip[N] (mode, file:line:col)"
  };
  std::vector<vip> vips_;
};

// The rule of the model behind a reference.
const rule* rule_at(const ruleset& rs, const std::optional<rule_ref>& ref) {
  if (!ref) return nullptr;
  for (const auto& c : rs.chains)
    for (const auto& r : c.rules)
      if (r.where.line == ref->where.line && r.where.column == ref->where.column && r.text == ref->text) return &r;
  return nullptr;
}

}  // namespace

bool looks_like_pfsense(std::string_view text) {
  auto root = xml::root_name(text);
  return root == "pfsense" || root == "opnsense";
}

ruleset parse_pfsense(std::string_view text, const std::string& file, diagnostics& diags) {
  auto root = xml::parse(text, file, diags);
  if (!root) {
    ruleset rs;
    rs.syntax = rule_syntax::pfsense;
    rs.file = file;
    return rs;
  }
  if (root->name != "pfsense" && root->name != "opnsense") {
    diags.error(root->where(file), "not a pfSense or OPNsense configuration (the root element is not <pfsense> or <opnsense>)",
                root->name);
    ruleset rs;
    rs.syntax = rule_syntax::pfsense;
    rs.file = file;
    return rs;
  }
  return builder(*root, file, diags).run();
}

std::string pfsense_fix(const ruleset& rs, const flow_prediction& p, const service_check& s, const std::string& fallback) {
  if (rs.syntax != rule_syntax::pfsense) return fallback;
  bool opn = !rs.chains.empty() && rs.chains.front().table == "opnsense";
  const char* product = opn ? "OPNsense" : "pfSense";
  const std::string reflection_setting =
      opn ? "Firewall > Settings > Advanced: check 'Reflection for port forwards' and 'Automatic outbound NAT for "
            "Reflection' (config.xml: remove <system><disablenatreflection> and add "
            "<system><enablenatreflectionhelper>yes</enablenatreflectionhelper>)"
          : "System > Advanced > Firewall & NAT: set 'NAT Reflection mode for port forwards' to 'Enable (Pure NAT)' "
            "and check 'Enable automatic outbound NAT for Reflection' (config.xml: remove "
            "<system><disablenatreflection>, add <system><enablenatreflectionpurenat>yes</enablenatreflectionpurenat> "
            "and <system><enablenatreflectionhelper>yes</enablenatreflectionhelper>)";
  const std::string helper_setting =
      opn ? "Firewall > Settings > Advanced: check 'Automatic outbound NAT for Reflection' (config.xml: "
            "<system><enablenatreflectionhelper>yes</enablenatreflectionhelper>)"
          : "System > Advanced > Firewall & NAT: check 'Enable automatic outbound NAT for Reflection' (config.xml: "
            "<system><enablenatreflectionhelper>yes</enablenatreflectionhelper>)";
  const std::string per_rule_value = opn ? "enable" : "purenat";
  const std::string per_rule_label = opn ? "Enable" : "Enable (Pure NAT)";
  std::string proto = detail::protocol_name(s.protocol);
  std::string server = p.dnat_to ? p.dnat_to->str() : (s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS");
  std::uint16_t port = p.dnat_port ? p.dnat_port : s.port;
  switch (p.result) {
    case outcome::dnat_wan_only: {
      const rule* r = rule_at(rs, p.decided_by);
      if (!r) return fallback;
      auto t = split_tag(r->target);
      const std::string& element = t[0];
      const std::string& state = t[1];
      const std::string& descr = t[3];
      std::string fix;
      auto edit_rule = [&](const char* why) {
        return fmt::format("{}Firewall > NAT > Port Forward, edit {}: set 'NAT reflection' to '{}' (config.xml: "
                           "<natreflection>{}</natreflection> in that <rule>)",
                           why, descr, per_rule_label, per_rule_value);
      };
      if (state == "off-rule") {
        fix = edit_rule("reflection is disabled on this rule: ");
      } else if (state == "off-system") {
        fix = "NAT reflection is off for port forwards: " + reflection_setting + "; or, for this rule only, " +
              edit_rule("");
      } else if (state.rfind("proxy-udp", 0) == 0) {
        fix = fmt::format("NAT + proxy reflection is TCP only: {}/{} of {} is not reflected. ", proto, s.port, descr) +
              (state == "proxy-udp-rule" ? edit_rule("") : reflection_setting);
      } else if (state.rfind("proxy-range", 0) == 0 || state.rfind("proxy-total", 0) == 0) {
        fix = fmt::format("NAT + proxy does not reflect {} ({}): it is not reflected. ", descr,
                          state.rfind("proxy-range", 0) == 0 ? "a range over 500 ports"
                                                             : "past 1000 reflected ports in all") +
              (state.rfind("-rule") != std::string::npos ? edit_rule("") : reflection_setting);
      } else if (state.rfind("binat-off", 0) == 0) {
        fix = opn ? fmt::format("Firewall > NAT > One-to-One, edit {}: set 'NAT reflection' to 'Enable', or Firewall > "
                                "Settings > Advanced: check 'Reflection for 1:1' (config.xml: "
                                "<system><enablebinatreflection>yes</enablebinatreflection>)",
                                descr)
                  : fmt::format("Firewall > NAT > 1:1, edit {}: set 'NAT reflection' to 'Enable', or System > Advanced > "
                                "Firewall & NAT: check 'Enable NAT Reflection for 1:1 NAT' (config.xml: "
                                "<system><enablebinatreflection>yes</enablebinatreflection>)",
                                descr);
      } else if (!element.empty() && state != "outbound") {
        fix = fmt::format("{} is reflected, but no interface without a gateway takes LAN clients: set the LAN "
                          "interface's IPv4 Upstream Gateway to 'None' (Interfaces > LAN; config.xml: an empty "
                          "<gateway> in <interfaces><lan>), reflection rules are made only for interfaces without one",
                          descr);
      } else {
        return fallback;
      }
      // The web GUI's port on the WAN address: without reflection LAN clients get the firewall itself.
      if (s.protocol == proto_tcp && !t[2].empty() && t[2] == std::to_string(s.port))
        fix = fmt::format("LAN clients connecting to {}:{} reach the {} web GUI itself (it listens on TCP port {}: "
                          "{} > <system><webgui><port>), not {}. ",
                          s.public_address.str(), s.port, product, s.port,
                          opn ? "System > Settings > Administration" : "System > Advanced > Admin Access", server) +
              fix + "; or move the web GUI to another port";
      return fix;
    }
    case outcome::no_loopback:
      return fmt::format("reflected, but the server {} answers LAN clients directly: {}; or Firewall > NAT > Outbound "
                         "in Hybrid mode, a rule on LAN from the LAN net to {} {} port {} translating to the interface "
                         "address (config.xml: <nat><outbound><mode>hybrid</mode> and a <rule>)",
                         server, helper_setting, server, proto, port);
    case outcome::snat_into_internal_view:
      return fmt::format("the reflection gives LAN clients the firewall's LAN address {} as their source, which the internal view's "
                         "match-clients takes: Firewall > NAT > Outbound in Hybrid mode, a rule on LAN from the LAN net "
                         "to {} {} port {} translating to the WAN address {} (config.xml: <nat><outbound>), or take {} "
                         "out of match-clients in named.conf",
                         p.seen_source ? p.seen_source->str() : "", server, proto, port, s.public_address.str(),
                         p.seen_source ? p.seen_source->str() : "the firewall's LAN address");
    case outcome::not_forwarded:
      return fmt::format("Firewall > NAT > Port Forward: add a rule on WAN, protocol {}, destination 'WAN address' port "
                         "{}, redirect target IP {}, port {}, NAT reflection '{}' (config.xml: a <nat><rule>)",
                         proto == "tcp" ? "TCP" : "UDP", s.port,
                         s.internal_address ? s.internal_address->str() : "INTERNAL-ADDRESS", s.port, per_rule_label);
    case outcome::forward_drop:
    case outcome::works:
    case outcome::unknown: break;
  }
  return fallback;
}

}  // namespace hc::nat
