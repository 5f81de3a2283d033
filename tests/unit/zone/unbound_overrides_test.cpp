#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/xml.hpp"
#include "zone/unbound_overrides.hpp"

using namespace hc;

namespace {

zone::unbound_overrides from_text(const std::string& text, diagnostics& diags) {
  auto root = xml::parse(text, "config.xml", diags);
  REQUIRE(root);
  return zone::read_unbound(*root, "config.xml", diags);
}

std::string wrap(const std::string& unboundplus, const std::string& system = "<domain>home.arpa</domain>") {
  return "<?xml version=\"1.0\"?>\n<opnsense>\n<system>" + system + "</system>\n<OPNsense>\n<unboundplus>\n" +
         unboundplus + "\n</unboundplus>\n</OPNsense>\n</opnsense>\n";
}

const zone::unbound_host* host_named(const zone::unbound_overrides& u, const std::string& owner) {
  for (const auto& h : u.hosts)
    if (h.owner == owner) return &h;
  return nullptr;
}

}  // namespace

TEST_CASE("unbound: a small home config.xml gives each enabled override and alias, disabled ones kept but not served") {
  diagnostics diags;
  auto u = zone::read_unbound_file(HC_TEST_DATA "/unbound/home.xml", diags);
  CHECK_FALSE(diags.has_errors());
  CHECK(u.system_domain == "home.arpa.");
  CHECK(u.local_zone_type == "transparent");
  CHECK(u.rebind_check);
  REQUIRE(u.hosts.size() == 4);  // blog, nas, old (disabled), the www alias of blog
  const auto* blog = host_named(u, "blog.debugo.fr.");
  REQUIRE(blog);
  CHECK(blog->rr == "A");
  REQUIRE(blog->address);
  CHECK(blog->address->str() == "192.168.1.10");
  const auto* www = host_named(u, "www.debugo.fr.");
  REQUIRE(www);
  CHECK(www->alias);
  CHECK(www->address->str() == "192.168.1.10");
  const auto* old = host_named(u, "old.debugo.fr.");
  REQUIRE(old);
  CHECK_FALSE(old->enabled);

  // The synthetic configuration: view unbound with a zone per enabled name, view public without.
  auto cfg = zone::synthetic_config(u);
  REQUIRE(cfg.views.size() == 2);
  CHECK(cfg.views[0].name == "unbound");
  CHECK(cfg.views[1].name == "public");
  CHECK(cfg.views[0].zones.size() == 3);
  CHECK(cfg.views[1].zones.empty());
  auto zones = zone::synthetic_zones(u);
  CHECK(zones.find("unbound", "blog.debugo.fr") != nullptr);
  CHECK(zones.find("unbound", "old.debugo.fr") == nullptr);
  const zone::zone_data* z = zones.best_zone("unbound", "www.debugo.fr.");
  REQUIRE(z);
  CHECK(z->lookup("www.debugo.fr.", zone::rr_type::a) == std::vector<std::string>{"192.168.1.10"});
  CHECK(z->lookup("www.debugo.fr.", zone::rr_type::aaaa).empty());

  // The vantage point inside (a private address) gets view unbound, a public client view public.
  const auto* inside = bind::select_view(cfg, *ip_address::parse("192.168.1.50"));
  REQUIRE(inside);
  CHECK(inside->name == "unbound");
  const auto* outside = bind::select_view(cfg, *ip_address::parse("203.0.113.7"));
  REQUIRE(outside);
  CHECK(outside->name == "public");

  // Transparent local-zones answer AAAA with no data: no pitfall here.
  std::vector<std::string> notes;
  CHECK(zone::unbound_findings(u, notes).empty());
  CHECK_FALSE(notes.empty());
}

TEST_CASE("unbound: the larger config.xml: MX, wildcard, aliases and the typetransparent AAAA leak") {
  diagnostics diags;
  auto u = zone::read_unbound_file(HC_TEST_DATA "/unbound/office.xml", diags);
  CHECK_FALSE(diags.has_errors());
  CHECK(u.local_zone_type == "typetransparent");
  const auto* mx = host_named(u, "example.com.");
  REQUIRE(mx);
  CHECK(mx->rr == "MX");
  CHECK(mx->mx_priority == 10);
  CHECK(mx->mx == "mail.example.com.");
  const auto* lab = host_named(u, "lab.example.org.");
  REQUIRE(lab);
  CHECK(zone::local_zone_type_for(u, *lab) == "redirect");
  const auto* vpn = host_named(u, "vpn.example.org.");
  REQUIRE(vpn);
  CHECK(zone::local_zone_type_for(u, *vpn) == "transparent");  // outside the system domain
  const auto* smtp = host_named(u, "smtp.example.com.");
  REQUIRE(smtp);
  CHECK_FALSE(smtp->enabled);  // a disabled alias

  auto zones = zone::synthetic_zones(u);
  const zone::zone_data* wild = zones.best_zone("unbound", "app.lab.example.org.");
  REQUIRE(wild);
  CHECK(wild->wildcard_for("app.lab.example.org.") == std::optional<std::string>("*.lab.example.org."));
  // In the typetransparent system domain only www has both families: the others (mail, imap, the
  // MX at the apex) have no zone data, since Unbound resolves their missing types upstream; --all
  // still names them (override_names).
  CHECK(zones.find("unbound", "www.example.com") != nullptr);
  CHECK(zones.find("unbound", "example.com") == nullptr);
  CHECK(zones.find("unbound", "mail.example.com") == nullptr);
  CHECK(zones.find("unbound", "vpn.example.org") != nullptr);
  auto all = zone::override_names(u);
  CHECK(std::find(all.begin(), all.end(), "mail.example.com.") != all.end());
  CHECK(std::find(all.begin(), all.end(), "example.com.") != all.end());
  CHECK(std::find(all.begin(), all.end(), "smtp.example.com.") == all.end());  // disabled alias

  // mail (A only) and its alias imap are in the typetransparent system domain: their AAAA is
  // resolved upstream. www has both families; vpn and the wildcard are not typetransparent.
  std::vector<std::string> notes;
  auto fs = zone::unbound_findings(u, notes);
  std::vector<std::string> names;
  for (const auto& f : fs) {
    CHECK(f.kind == finding_kind::leak);
    CHECK(f.sev == severity::warning);
    CHECK(f.type == "AAAA");
    CHECK(f.fix.find("Services > Unbound DNS > Overrides") != std::string::npos);
    CHECK(f.evidence.find("typetransparent") != std::string::npos);
    names.push_back(f.name);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"imap.example.com", "mail.example.com"});

  // DNS rebind: the legacy domain override is a private domain by OPNsense's own template, corp is in
  // Private Domains; only the forward of intern.example.net has its private answers removed.
  std::size_t rebind_notes = 0;
  for (const auto& n : notes)
    if (n.find("private-address") != std::string::npos) {
      ++rebind_notes;
      CHECK(n.find("intern.example.net") != std::string::npos);
    }
  CHECK(rebind_notes == 1);
}

TEST_CASE("unbound: without DNS rebind protection nothing is stripped; the Local Zone Type of the legacy section counts") {
  diagnostics diags;
  auto u = from_text("<?xml version=\"1.0\"?>\n<opnsense><system><domain>example.com</domain><webgui><nodnsrebindcheck>1"
                     "</nodnsrebindcheck></webgui></system><unbound><local_zone_type>typetransparent</local_zone_type>"
                     "</unbound><OPNsense><unboundplus><hosts><host><hostname>www</hostname><domain>example.com</domain>"
                     "<rr>AAAA</rr><server>fd00::10</server></host></hosts><dots><dot><enabled>1</enabled><type>forward"
                     "</type><domain>int.example.net</domain><server>10.0.0.53</server></dot></dots></unboundplus>"
                     "</OPNsense></opnsense>\n",
                     diags);
  CHECK_FALSE(diags.has_errors());
  CHECK_FALSE(u.rebind_check);
  CHECK(u.local_zone_type == "typetransparent");
  std::vector<std::string> notes;
  auto fs = zone::unbound_findings(u, notes);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].type == "A");  // an AAAA override alone: the public A passes
  for (const auto& n : notes) CHECK(n.find("private-address") == std::string::npos);
}

TEST_CASE("unbound: bad overrides are errors at file:line:col naming only the token, the rest is read") {
  diagnostics diags;
  auto u = from_text(wrap("<hosts>\n"
                          "<host><hostname>ok</hostname><domain>example.com</domain><rr>A</rr><server>10.0.0.1</server></host>\n"
                          "<host><hostname>bad name</hostname><domain>example.com</domain><server>10.0.0.2</server></host>\n"
                          "<host><hostname>v6</hostname><domain>example.com</domain><rr>A</rr><server>fd00::1</server></host>\n"
                          "<host><hostname>m</hostname><domain>example.com</domain><rr>MX</rr><mxprio>99999</mxprio><mx>mx.example.com</mx></host>\n"
                          "<host><hostname>t</hostname><domain>example.com</domain><rr>TXT</rr><server>x</server></host>\n"
                          "</hosts>"),
                     diags);
  CHECK(u.hosts.size() == 1);
  CHECK(diags.has_errors());
  std::size_t errors = 0;
  for (const auto& d : diags.all()) {
    if (!d.is_error) continue;
    ++errors;
    CHECK(d.where.file == "config.xml");
    CHECK(d.where.line >= 7);
    CHECK(d.where.column == 1);
  }
  CHECK(errors == 4);
  // An MX override (transparent: outside the system domain) is zone data like an address.
  diagnostics d3;
  auto mx = from_text(wrap("<hosts><host><hostname/><domain>example.com</domain><rr>MX</rr><mxprio>10</mxprio>"
                           "<mx>Mail.Example.com</mx></host></hosts>"),
                      d3);
  auto mz = zone::synthetic_zones(mx);
  const zone::zone_data* apex = mz.find("unbound", "example.com");
  REQUIRE(apex);
  CHECK(apex->lookup("example.com.", zone::rr_type::mx) == std::vector<std::string>{"10 mail.example.com."});
  // A file that is not an OPNsense config.xml is refused as a whole.
  CHECK_FALSE(zone::is_opnsense_config("<pfsense><version>23</version></pfsense>"));
  CHECK(zone::is_opnsense_config("<?xml version=\"1.0\"?>\n<opnsense></opnsense>"));
  diagnostics d2;
  CHECK_THROWS_AS(zone::read_unbound_file(HC_TEST_DATA "/unbound/missing.xml", d2), input_error);
}

TEST_CASE("unbound: no <unboundplus> section gives no override and the default private addresses") {
  diagnostics diags;
  auto u = from_text("<opnsense><system><domain>x.lan</domain></system></opnsense>", diags);
  CHECK(u.hosts.empty());
  CHECK(u.private_addresses.size() == zone::opnsense_default_private_addresses().size());
  auto cfg = zone::synthetic_config(u);
  CHECK(cfg.views.size() == 2);
  CHECK(cfg.views[0].zones.empty());
}
