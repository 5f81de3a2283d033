// Configurations in the style of real installations (tests/data/bind/*/): all parse without errors.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bind/config.hpp"
#include "test_files.hpp"

using bind_test::scratch_dir;
namespace fs = std::filesystem;

namespace {

// Copies tests/data/bind/<layout> to `dir`, replacing @ETC@ by the copy's path.
void install(const std::string& layout, const scratch_dir& dir) {
  fs::path src = fs::path(HC_TEST_DATA) / "bind" / layout;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    for (std::size_t at; (at = text.find("@ETC@")) != std::string::npos;) text.replace(at, 5, dir.str());
    dir.write(fs::relative(e.path(), src).string(), text);
  }
}

hc::bind::config load(const std::string& layout, const scratch_dir& dir, const std::string& top = "named.conf") {
  install(layout, dir);
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(dir.str() + "/" + top, d);
  for (const auto& x : d.all()) FAIL_CHECK(x.str());
  return cfg;
}

std::vector<std::string> zone_names(const hc::bind::view_decl& v) {
  std::vector<std::string> out;
  for (const auto& z : v.zones) out.push_back(z.name + " " + z.type);
  return out;
}

hc::ip_address ip(const char* s) { return *hc::ip_address::parse(s); }

}  // namespace

TEST_CASE("layout: Debian 12 stock /etc/bind") {
  scratch_dir dir;
  auto cfg = load("debian-default", dir);
  CHECK(cfg.files_read.size() == 5);
  CHECK(cfg.options.directory == "/var/cache/bind");
  REQUIRE(cfg.views.size() == 1);
  CHECK(cfg.views[0].implicit);
  CHECK(zone_names(cfg.views[0]) == std::vector<std::string>{". hint", "localhost primary", "127.in-addr.arpa primary",
                                                             "0.in-addr.arpa primary", "255.in-addr.arpa primary"});
  CHECK(cfg.views[0].zones[1].file == "/etc/bind/db.local");
  CHECK(hc::bind::shadowed_views(cfg).empty());
}

TEST_CASE("layout: Debian split horizon with includes inside views") {
  scratch_dir dir;
  auto cfg = load("debian-views", dir);
  CHECK(cfg.files_read.size() == 6);
  CHECK(cfg.options.recursion == std::optional<std::string>("no"));
  CHECK(cfg.options.listen_on == std::vector<std::string>{"127.0.0.1", "192.168.10.2"});
  REQUIRE(cfg.views.size() == 2);
  const auto& in = cfg.views[0];
  CHECK(zone_names(in) == std::vector<std::string>{". hint", "localhost primary", "127.in-addr.arpa primary",
                                                   "example.test primary", "10.168.192.in-addr.arpa primary",
                                                   "rpz.local primary", "partner.test secondary", "corp.test forward"});
  CHECK(in.zones[5].file == "/var/cache/bind/rpz/db.rpz.local");
  CHECK(in.zones[6].file == "/var/cache/bind/slaves/partner.test");
  CHECK(hc::bind::match_list_texts(cfg.views[1].match_clients) == std::vector<std::string>{"!internals", "any"});
  auto [i, e] = hc::bind::infer_views(cfg, ip("192.168.20.7"));
  CHECK(i == &cfg.views[0]);
  CHECK(e == &cfg.views[1]);
  CHECK(hc::bind::select_view(cfg, ip("fd00:10::99")) == &cfg.views[0]);
  CHECK(hc::bind::select_view(cfg, ip("2001:db8:53::53")) == &cfg.views[1]);
  CHECK(hc::bind::shadowed_views(cfg).empty());
}

TEST_CASE("layout: BIND 9.9 era file with a CHAOS view and obsolete options") {
  scratch_dir dir;
  auto cfg = load("bind99", dir);
  REQUIRE(cfg.views.size() == 3);
  CHECK(cfg.views[0].rrclass == "CH");
  CHECK(zone_names(cfg.views[1]) == std::vector<std::string>{". hint", "corp.example primary",
                                                             "16.172.in-addr.arpa primary", "partner.example secondary"});
  CHECK(cfg.views[1].zones[0].file == "/var/named/named.ca");
  auto [i, e] = hc::bind::infer_views(cfg, ip("172.16.5.5"));
  CHECK(i == &cfg.views[1]);
  CHECK(e == &cfg.views[2]);
  // The CHAOS view takes everybody, but only for CHAOS queries: nothing is shadowed.
  CHECK(hc::bind::shadowed_views(cfg).empty());
}

TEST_CASE("layout: Red Hat /etc/named.conf") {
  scratch_dir dir;
  auto cfg = load("rhel", dir);
  CHECK(cfg.files_read.size() == 4);
  CHECK(cfg.options.directory == "/var/named");
  REQUIRE(cfg.views.size() == 1);
  CHECK(cfg.views[0].zones.size() == 6);
  CHECK(cfg.views[0].zones[3].name == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
  CHECK(cfg.views[0].zones[0].file == "/var/named/named.ca");
}

TEST_CASE("layout: BIND 9.18/9.20 with tls, http, dnssec-policy, primaries, plugin") {
  scratch_dir dir;
  auto cfg = load("modern", dir);
  CHECK(cfg.files_read.size() == 3);  // the glob include reads both key files
  CHECK(cfg.options.listen_on == std::vector<std::string>{"any", "any", "any"});
  REQUIRE(cfg.views.size() == 2);
  CHECK(zone_names(cfg.views[0]) == std::vector<std::string>{"rpz primary", "example.org primary", "example.com primary",
                                                             ". mirror", "sec.example secondary"});
  CHECK(zone_names(cfg.views[1]) == std::vector<std::string>{"example.org primary", "example.com in-view",
                                                             "static.example static-stub", ". redirect"});
  CHECK(cfg.views[1].zones[1].in_view == "home");
  auto [i, e] = hc::bind::infer_views(cfg, ip("2001:db8:cafe::10"));
  CHECK(i == &cfg.views[0]);
  CHECK(e == &cfg.views[1]);
}

TEST_CASE("layout: the same files with views in the wrong order are reported") {
  scratch_dir dir;
  install("debian-views", dir);
  // Put the catch-all view first.
  std::ifstream in(dir.str() + "/named.conf.local");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto ext = text.find("view \"external\"");
  std::string reordered = text.substr(0, text.find("view \"internal\"")) + text.substr(ext) + "\n" +
                          text.substr(text.find("view \"internal\""), ext - text.find("view \"internal\""));
  reordered.replace(reordered.find("{ !internals; any; }"), 20, "{ any; }");
  dir.write("named.conf.local", reordered);
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(dir.str() + "/named.conf", d);
  CHECK_FALSE(d.has_errors());
  auto f = hc::bind::shadowed_views(cfg);
  REQUIRE(f.size() == 1);
  CHECK(f[0].view == "internal");
  CHECK(f[0].evidence.find("view \"external\" (" + dir.str() + "/named.conf.local:") == 0);
  CHECK(f[0].evidence.find("match-clients { any; }") != std::string::npos);
}
