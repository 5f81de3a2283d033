#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bind/config.hpp"
#include "check/plan.hpp"
#include "nat/nat.hpp"
#include "zone/zone.hpp"

using namespace hc;

namespace {

struct bundled {
  diagnostics diags;
  bind::config cfg;
  zone::zone_set zones;
  nat::ruleset rules;
  const bind::view_decl* intra = nullptr;
  const bind::view_decl* extra = nullptr;

  bundled() {
    cfg = bind::read_named_conf(std::string(HC_SOURCE_DIR) + "/zones/named.conf", diags);
    zones = zone::load_zones(cfg, diags);
    rules = nat::read_nat_rules(std::string(HC_SOURCE_DIR) + "/zones/router.rules", diags);
    intra = bind::find_view(cfg, "intra");
    extra = bind::find_view(cfg, "extra");
  }
};

std::vector<std::string> describe(const check::plan& p) {
  std::vector<std::string> out;
  for (const auto& d : p.dns)
    out.push_back(d.request.service + " " + d.request.path + " " + d.request.target.str() + " " + d.request.qname +
                  " " + std::to_string(d.request.qtype) + (d.soa_gate ? " gate" : ""));
  for (const auto& s : p.services)
    out.push_back(s.request.service + " " + s.request.path + " " + s.request.target.str() + " " + s.request.name);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("answer_from_zone follows the zone files of a view") {
  bundled b;
  REQUIRE_FALSE(b.diags.has_errors());
  auto blog = check::answer_from_zone(b.zones, "extra", "blog.debugo.fr", 1);
  CHECK(blog.records == std::vector<std::string>{"blog.debugo.fr. A 203.0.113.1"});
  auto www = check::answer_from_zone(b.zones, "intra", "WWW.debugo.fr.", 1);
  CHECK(www.records == std::vector<std::string>{"www.debugo.fr. CNAME blog.debugo.fr.", "blog.debugo.fr. A 203.0.113.1"});
  auto hidden = check::answer_from_zone(b.zones, "extra", "blogint.debugo.fr", 1);
  CHECK(hidden.rcode == 3);
  CHECK(hidden.records.empty());
  auto nodata = check::answer_from_zone(b.zones, "extra", "blog.debugo.fr", 28);
  CHECK(nodata.rcode == 0);
  CHECK(nodata.records.empty());
  CHECK_FALSE(check::answer_from_zone(b.zones, "extra", "example.org", 1).known);
  auto mail = check::addresses_of(b.zones, "intra", "imap.debugo.fr");
  REQUIRE(mail.size() == 1);
  CHECK(mail[0].str() == "198.18.1.20");
}

TEST_CASE("all_names lists the owners of both views") {
  bundled b;
  auto names = check::all_names(b.zones, *b.intra, *b.extra);
  CHECK(has(names, "blogint.debugo.fr."));
  CHECK(has(names, "blog.debugo.fr."));
  CHECK(has(names, "debugo.fr."));
}

TEST_CASE("make_plan probes a web name through the hairpin and directly, DNS through both") {
  bundled b;
  check::run_options o;
  check::plan_inputs in;
  in.options = &o;
  in.config = &b.cfg;
  in.zones = &b.zones;
  in.internal = b.intra;
  in.external = b.extra;
  in.nat = &b.rules;
  in.resolver = ip_endpoint{*ip_address::parse("198.18.1.53"), 53};
  in.lan = {*ip_prefix::parse("198.18.1.0/24")};
  in.names = {"blog.debugo.fr."};
  auto p = check::make_plan(in);
  auto d = describe(p);
  CHECK(has(d, "dns/udp resolver 198.18.1.53#53 blog.debugo.fr. 1"));
  CHECK(has(d, "dns/udp hairpin 203.0.113.1#53 debugo.fr. 6 gate"));
  CHECK(has(d, "dns/tcp hairpin 203.0.113.1#53 debugo.fr. 6 gate"));
  CHECK(has(d, "dns/udp hairpin 203.0.113.1#53 blog.debugo.fr. 1"));
  CHECK(has(d, "dns/tcp hairpin 203.0.113.1#53 blog.debugo.fr. 1"));
  // the view discriminator: a name only the internal view has
  CHECK(has(d, "dns/udp hairpin 203.0.113.1#53 blogint.debugo.fr. 1"));
  CHECK(has(d, "dns/udp resolver 198.18.1.53#53 debugo.fr. 6"));
  CHECK(has(d, "https hairpin 203.0.113.1#443 blog.debugo.fr"));
  CHECK(has(d, "https direct 198.18.1.10#443 blog.debugo.fr"));
  CHECK(has(d, "http hairpin 203.0.113.1#80 blog.debugo.fr"));
  CHECK_FALSE(has(d, "smtp hairpin 203.0.113.1#25 blog.debugo.fr"));

  // expectations: the hairpin answers from the external view, the intra answer is the other view's
  auto it = std::find_if(p.dns.begin(), p.dns.end(), [](const auto& x) {
    return x.request.qname == "blogint.debugo.fr." && x.request.path == "hairpin";
  });
  REQUIRE(it != p.dns.end());
  CHECK(it->expect.view == "extra");
  CHECK(it->expect.expected_rcode == 3);
  REQUIRE(it->expect.other_view_answer);
  CHECK(*it->expect.other_view_answer == std::vector<std::string>{"blogint.debugo.fr. A 198.18.1.10"});
  CHECK(it->expect.internal_address->str() == "198.18.1.53");

  // NAT flows for the prediction
  CHECK(std::any_of(p.nat_flows.begin(), p.nat_flows.end(),
                    [](const auto& f) { return f.service_name == "dns/udp" && f.service.port == 53; }));
  CHECK(std::any_of(p.nat_flows.begin(), p.nat_flows.end(),
                    [](const auto& f) { return f.service_name == "https" && f.service.internal_address->str() == "198.18.1.10"; }));
}

TEST_CASE("make_plan gives an MX target the mail services and a name server DNS only") {
  bundled b;
  check::run_options o;
  check::plan_inputs in;
  in.options = &o;
  in.config = &b.cfg;
  in.zones = &b.zones;
  in.internal = b.intra;
  in.external = b.extra;
  in.nat = &b.rules;
  in.names = {"mail.debugo.fr.", "ns.debugo.fr.", "imap.debugo.fr."};
  auto d = describe(check::make_plan(in));
  CHECK(has(d, "smtp hairpin 203.0.113.2#25 mail.debugo.fr"));
  CHECK(has(d, "smtp direct 198.18.1.20#25 mail.debugo.fr"));
  CHECK(has(d, "imaps hairpin 203.0.113.2#993 mail.debugo.fr"));
  CHECK(has(d, "imaps direct 198.18.1.20#993 mail.debugo.fr"));
  CHECK(has(d, "imaps hairpin 203.0.113.2#993 imap.debugo.fr"));
  CHECK_FALSE(has(d, "smtp hairpin 203.0.113.2#25 imap.debugo.fr"));
  CHECK(std::none_of(d.begin(), d.end(), [](const std::string& s) {
    return s.find("ns.debugo.fr") != std::string::npos && s.rfind("dns/", 0) != 0;
  }));
}

TEST_CASE("make_plan without NAT rules infers services from the records and honours --services") {
  bundled b;
  check::run_options o;
  check::plan_inputs in;
  in.options = &o;
  in.config = &b.cfg;
  in.zones = &b.zones;
  in.internal = b.intra;
  in.external = b.extra;
  in.names = {"blog.debugo.fr.", "mail.debugo.fr."};
  auto p = check::make_plan(in);
  auto d = describe(p);
  CHECK(has(d, "https hairpin 203.0.113.1#443 blog.debugo.fr"));
  CHECK_FALSE(has(d, "https direct 198.18.1.10#443 blog.debugo.fr"));  // no internal address known
  CHECK(std::any_of(p.notes.begin(), p.notes.end(), [](const std::string& n) { return n.find("direct path") != std::string::npos; }));
  CHECK(has(d, "smtp direct 198.18.1.20#25 mail.debugo.fr"));

  o.services = {"tcp/8443"};
  auto only = describe(check::make_plan(in));
  CHECK(has(only, "tcp/8443 hairpin 203.0.113.1#8443 blog.debugo.fr"));
  CHECK(std::none_of(only.begin(), only.end(), [](const std::string& s) { return s.rfind("dns/", 0) == 0; }));
}

TEST_CASE("make_plan with --services dns/udp plans UDP only: no DNS over TCP, no TCP service, no TCP flow") {
  bundled b;
  check::run_options o;
  o.services = {"dns/udp"};
  check::plan_inputs in;
  in.options = &o;
  in.config = &b.cfg;
  in.zones = &b.zones;
  in.internal = b.intra;
  in.external = b.extra;
  in.nat = &b.rules;
  in.resolver = ip_endpoint{*ip_address::parse("198.18.1.53"), 53};
  in.lan = {*ip_prefix::parse("198.18.1.0/24")};
  in.names = {"blog.debugo.fr.", "mail.debugo.fr.", "ns.debugo.fr."};
  auto p = check::make_plan(in);
  auto d = describe(p);
  INFO(doctest::String([&] {
    std::string all;
    for (const auto& s : d) all += s + "\n";
    return all;
  }().c_str()));
  CHECK(has(d, "dns/udp hairpin 203.0.113.1#53 blog.debugo.fr. 1"));
  CHECK(has(d, "dns/udp resolver 198.18.1.53#53 blog.debugo.fr. 1"));
  CHECK(std::all_of(d.begin(), d.end(), [](const std::string& s) { return s.rfind("dns/udp ", 0) == 0; }));
  CHECK(p.services.empty());
  CHECK(std::none_of(p.nat_flows.begin(), p.nat_flows.end(), [](const auto& f) { return f.service_name != "dns/udp"; }));

  SUBCASE("--static: the flows predicted are UDP only too") {
    in.flows_only = true;
    auto s = check::make_plan(in);
    CHECK(s.services.empty());
    CHECK_FALSE(s.nat_flows.empty());
    CHECK(std::none_of(s.nat_flows.begin(), s.nat_flows.end(), [](const auto& f) { return f.service_name != "dns/udp"; }));
  }
}

TEST_CASE("make_plan signs the DNS checks of a key-selected view with its key, or makes them not-checked without it") {
  bundled b;
  check::run_options o;
  check::plan_inputs in;
  in.options = &o;
  in.config = &b.cfg;
  in.zones = &b.zones;
  in.internal = b.intra;
  in.external = b.extra;
  in.nat = &b.rules;
  in.resolver = ip_endpoint{*ip_address::parse("198.18.1.53"), 53};
  in.names = {"blog.debugo.fr."};
  in.internal_signing.key_name = "intra-key";
  in.internal_signing.key = probes::tsig_key{"intra-key", "hmac-sha256", "aW50cmEta2V5LXNlY3JldA=="};
  auto p = check::make_plan(in);
  unsigned signed_internal = 0;
  for (const auto& d : p.dns) {
    const std::string what = d.request.path + " " + d.request.qname + " " + d.expect.view;
    CAPTURE(what);
    // The internal view (resolver, internal servers) is asked with the key; the hairpin without.
    CHECK(d.request.tsig.has_value() == (d.expect.view == "intra"));
    if (d.request.tsig) {
      ++signed_internal;
      CHECK(d.request.tsig->name == "intra-key");
    }
    CHECK_FALSE(d.done);
  }
  CHECK(signed_internal >= 2);  // blog's A from the resolver and the zone's SOA from its server

  // The key named in match-clients but its secret nowhere: those checks are not made, and say why.
  in.internal_signing.key.reset();
  in.internal_signing.missing = "no key statement for 'intra-key'; give it with --tsig-key FILE";
  auto q = check::make_plan(in);
  unsigned not_made = 0;
  for (const auto& d : q.dns) {
    CHECK_FALSE(d.request.tsig);
    if (d.expect.view != "intra") {
      CHECK_FALSE(d.done);
      continue;
    }
    REQUIRE(d.done);
    ++not_made;
    CHECK(d.done->failure == finding_kind::not_checked);
    CHECK(d.done->check.stage == "tsig");
    CHECK(d.done->check.detail.find("view intra is selected by TSIG key intra-key") == 0);
    CHECK(d.done->hint.find("--tsig-key") != std::string::npos);
  }
  CHECK(not_made == signed_internal);
}
