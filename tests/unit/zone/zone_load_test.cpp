#include <doctest/doctest.h>

#include "print_vector.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/dns_text.hpp"
#include "zone/source.hpp"
#include "zone/zone.hpp"

using namespace hc::zone;
using V = std::vector<std::string>;

namespace {

const std::string data_dir = std::string(HC_TEST_DATA) + "/zones/load";

std::unique_ptr<zone_data> load(const std::string& name, std::string_view origin, hc::diagnostics& d,
                                reader_kind kind = reader_kind::fast) {
  return load_zone_file(data_dir + "/" + name, origin, d, kind);
}

bool has_diag(const hc::diagnostics& d, const std::string& where, const std::string& text) {
  return std::any_of(d.all().begin(), d.all().end(),
                     [&](const hc::diagnostic& x) { return x.where.str() == where && x.str().find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("zone loading: directives and syntax forms, with both readers") {
  for (auto kind : {reader_kind::fast, reader_kind::ldns}) {
    CAPTURE(static_cast<int>(kind));
    hc::diagnostics d;
    auto z = load("directives.zone", "example.net", d, kind);
    REQUIRE(z);
    for (const auto& x : d.all()) CAPTURE(x.str());
    CHECK(d.all().empty());
    CHECK(z->origin() == "example.net.");
    CHECK(z->serial() == 2024010101u);
    CHECK(z->record_count() == 33);

    SUBCASE("parentheses, comments and TTL units in the SOA") {
      CHECK(z->lookup("example.net.", rr_type::soa) ==
            V{"ns1.example.net. hostmaster.example.net. 2024010101 3600 900 777600 300"});
    }
    SUBCASE("$TTL with units, explicit TTL, TTL before the class") {
      CHECK(z->find_rrset("ns1.example.net.", rr_type::a)->ttl == 5400);
      CHECK(z->find_rrset("ns2.example.net.", rr_type::a)->ttl == 300);
      CHECK(z->find_rrset("srv._tcp.example.net.", rr_type::srv)->ttl == 7200);
    }
    SUBCASE("relative names, @, owner carried over from the previous line, case folded") {
      CHECK(z->lookup("example.net", rr_type::ns) == V{"ns1.example.net.", "ns2.example.net."});
      CHECK(z->lookup("Mixed.Case.Example.NET", rr_type::a) == V{"192.0.2.3"});
      CHECK(z->lookup("mx.example.net.", rr_type::mx) == V{"10 mail.example.net.", "20 mail.example.org."});
      CHECK(z->lookup("srv._tcp.example.net.", rr_type::srv) == V{"0 5 443 web.example.net."});
    }
    SUBCASE("TXT: split strings, unquoted words, strings over several lines, escapes") {
      CHECK(z->lookup("txt.example.net.", rr_type::txt) == V{"\"v=spf1 \" \"mx -all\""});
      CHECK(z->lookup("txt2.example.net.", rr_type::txt) == V{"\"unquoted\" \"words\""});
      CHECK(z->lookup("multi.example.net.", rr_type::txt) == V{"\"line one\" \"line two\""});
      CHECK(z->lookup("quoted.example.net.", rr_type::txt) == V{"\"say \\\"hi\\\"\" \"tab\tend\""});
    }
    SUBCASE("\\# generic data and TYPEnnn") {
      CHECK(z->lookup("generic.example.net.", 65534) == V{"\\# 3 010203"});
      CHECK(z->lookup("gen2.example.net.", rr_type::a) == V{"192.0.2.5"});
      CHECK(type_from_name("TYPE65534") == 65534);
      CHECK(type_from_name("aaaa") == 28);
      CHECK(type_from_name("NOPE") == 0);
    }
    SUBCASE("AAAA canonical, escaped labels, wildcards") {
      CHECK(z->lookup("v6.example.net.", rr_type::aaaa) == V{"2001:db8::1"});
      CHECK(z->lookup("escaped\\.dot.example.net.", rr_type::a) == V{"192.0.2.7"});
      CHECK(z->lookup("*.wild.example.net.", rr_type::a) == V{"192.0.2.10"});
      CHECK(z->wildcard_for("anything.wild.example.net") == "*.wild.example.net.");
      CHECK(z->wildcard_for("a.b.wild.example.net") == "*.wild.example.net.");
      CHECK_FALSE(z->wildcard_for("nothing.example.net"));
      CHECK_FALSE(z->wildcard_for("ns1.example.net"));
    }
    SUBCASE("$ORIGIN, relative $ORIGIN, and $INCLUDE with and without an origin") {
      CHECK(z->lookup("host.sub.example.net.", rr_type::a) == V{"192.0.2.8"});
      CHECK(z->lookup("inc-host.example.net.", rr_type::a) == V{"192.0.2.20"});
      CHECK(z->find_cname("host2.example.net") == "inc-host.example.net.");
      CHECK(z->find_cname("host2.other.example.net") == "inc-host.other.example.net.");
      CHECK(z->lookup("after.example.net.", rr_type::a) == V{"192.0.2.9"});
    }
    SUBCASE("$GENERATE: $, ${offset,width,base}, step, \\$") {
      CHECK(z->lookup("dyn-1.example.net.", rr_type::a) == V{"198.51.100.1"});
      CHECK(z->lookup("dyn-3.example.net.", rr_type::a) == V{"198.51.100.3"});
      CHECK(z->find_cname("ptr010.example.net.") == "host01.sub.example.net.");
      CHECK(z->find_cname("ptr012.example.net.") == "host03.sub.example.net.");
      CHECK(z->find_cname("ptr014.example.net.") == "host05.sub.example.net.");
      CHECK_FALSE(z->find_cname("ptr011.example.net."));
      CHECK(z->lookup("esc$2.example.net.", rr_type::txt) == V{"\"n2\""});
      CHECK(z->find_rrset("esc$2.example.net.", rr_type::txt)->ttl == 60);
    }
    SUBCASE("names, empty non-terminals, lookups of what is not there") {
      CHECK(z->has_name("ns1.example.net."));
      CHECK(z->has_name("sub.example.net."));          // empty non-terminal above host.sub
      CHECK(z->has_name("_tcp.example.net"));          // and above srv._tcp
      CHECK_FALSE(z->has_name("nothing.example.net."));
      CHECK_FALSE(z->has_name("example.org."));
      CHECK(z->lookup("ns1.example.net.", rr_type::aaaa).empty());
      CHECK_FALSE(z->find_rrset("nothing.example.net.", rr_type::a));
      auto names = z->names();
      CHECK(std::is_sorted(names.begin(), names.end()));
      CHECK(names.size() == z->name_count());
      CHECK(std::find(names.begin(), names.end(), "ns1.example.net.") != names.end());
    }
  }
}

TEST_CASE("zone loading: errors carry file:line:col and loading goes on") {
  hc::diagnostics d;
  auto z = load("errors.zone", "example.net", d);
  REQUIRE(z);
  const std::string f = data_dir + "/errors.zone";
  // The offending field only, never the line: the first of the data, or the type.
  CHECK(has_diag(d, f + ":4:8", "near '192.0.2.300'"));
  CHECK(has_diag(d, f + ":5:9", "near 'ten'"));
  CHECK(has_diag(d, f + ":6:6", "near 'BOGUSTYPE'"));
  CHECK(has_diag(d, f + ":7:11", "bad $GENERATE range"));
  CHECK(has_diag(d, f + ":8:10", "cannot open"));
  CHECK(has_diag(d, f + ":9:1", "out-of-zone data ignored"));
  CHECK(has_diag(d, f + ":11:10", "extra text after $TTL near 'seconds'"));
  CHECK(has_diag(d, f + ":12:11", "unbalanced '('"));
  CHECK(d.has_errors());
  // What could be read is kept.
  CHECK(z->lookup("ok1.example.net", rr_type::a) == V{"192.0.2.1"});
  CHECK(z->lookup("ok2.example.net", rr_type::a) == V{"192.0.2.2"});
  CHECK_FALSE(z->has_name("bad1.example.net"));
  CHECK_FALSE(z->has_name("outside.example.org"));
  CHECK(z->serial() == 1u);
}

TEST_CASE("zone loading: unreadable and binary files") {
  hc::diagnostics d;
  CHECK_FALSE(load("does-not-exist.zone", "example.net", d));
  CHECK(has_diag(d, data_dir + "/does-not-exist.zone", "cannot open"));
  hc::diagnostics d2;
  CHECK_FALSE(load("raw.zone", "example.net", d2));
  CHECK(has_diag(d2, data_dir + "/raw.zone", "not a text zone file"));
}

TEST_CASE("$GENERATE expansion on its own") {
  using hc::zone::detail::expand_generate;
  std::string out, err;
  std::size_t col = 0;
  REQUIRE(expand_generate(" 0-2 h${1,2,x} 300 IN A 10.0.0.${10}", out, err, col));
  CHECK(out == "h01 300 IN A 10.0.0.10\nh02 300 IN A 10.0.0.11\nh03 300 IN A 10.0.0.12\n");
  out.clear();
  REQUIRE(expand_generate("8-9 h${0,3,o} PTR x${0,0,X}.", out, err, col));
  CHECK(out == "h010 PTR x8.\nh011 PTR x9.\n");
  CHECK_FALSE(expand_generate("3-1 h$ A 10.0.0.$", out, err, col));
  CHECK_FALSE(expand_generate("1-3 h$ A", out, err, col));
  CHECK_FALSE(expand_generate("1-3 h${1,2,q} A 10.0.0.$", out, err, col));
  CHECK_FALSE(expand_generate("1-3 h${1 A 10.0.0.$", out, err, col));
  CHECK_FALSE(expand_generate("0-99999999 h$ A 10.0.0.$", out, err, col));
}

TEST_CASE("TTL units") {
  CHECK(parse_ttl("300") == 300u);
  CHECK(parse_ttl("1h30m") == 5400u);
  CHECK(parse_ttl("1W2D") == 777600u);
  CHECK(parse_ttl("90s") == 90u);
  CHECK_FALSE(parse_ttl("h"));
  CHECK_FALSE(parse_ttl("1x"));
  CHECK_FALSE(parse_ttl(""));
  CHECK_FALSE(parse_ttl("99999999999"));
}

TEST_CASE("load_zones: every view, shared files read once, in-view, best_zone") {
  hc::bind::config cfg;
  cfg.options.directory = data_dir;
  hc::bind::view_decl intra, extra, guest;
  intra.name = "intra";
  extra.name = "extra";
  guest.name = "guest";
  hc::bind::zone_decl z;
  z.name = "example.net";
  z.type = "master";
  z.file = data_dir + "/directives.zone";
  intra.zones.push_back(z);
  extra.zones.push_back(z);
  hc::bind::zone_decl sub;
  sub.name = "sub.example.net";
  sub.type = "primary";
  sub.file = std::string(HC_TEST_DATA) + "/zones/diff/sub.example.net";
  intra.zones.push_back(sub);
  hc::bind::zone_decl fwd;
  fwd.name = "corp.example";
  fwd.type = "forward";
  intra.zones.push_back(fwd);
  hc::bind::zone_decl hint;  // Debian's default zones, included in every view: root hints are no view data
  hint.name = ".";
  hint.type = "hint";
  hint.file = data_dir + "/directives.zone";
  extra.zones.push_back(hint);
  hc::bind::zone_decl iv;
  iv.name = "example.net";
  iv.type = "in-view";
  iv.in_view = "intra";
  guest.zones.push_back(iv);
  cfg.views = {intra, extra, guest};

  for (unsigned threads : {1u, 0u}) {
    hc::diagnostics d;
    auto set = load_zones(cfg, d, {reader_kind::fast, threads});
    for (const auto& x : d.all()) CAPTURE(x.str());
    CHECK(d.all().empty());
    const zone_data* a = set.find("intra", "example.net");
    const zone_data* b = set.find("extra", "Example.Net.");
    REQUIRE(a);
    CHECK(a == b);  // the same file for the same zone is read once
    CHECK(set.find("guest", "example.net") == a);
    CHECK(set.find("intra", "corp.example") == nullptr);
    REQUIRE(set.entry("intra", "corp.example"));
    CHECK(set.entry("intra", "corp.example")->decl.type == "forward");
    CHECK(set.find("extra", "sub.example.net") == nullptr);
    CHECK(set.find("extra", ".") == nullptr);
    REQUIRE(set.entry("extra", "."));
    CHECK(set.entry("extra", ".")->decl.type == "hint");
    CHECK(set.best_zone("intra", "host.sub.example.net") == set.find("intra", "sub.example.net"));
    CHECK(set.best_zone("extra", "host.sub.example.net") == a);
    CHECK(set.best_zone("intra", "www.example.org") == nullptr);
    CHECK(set.zones_of("intra").size() == 3);
    CHECK(a->record_count() == 33);

    auto views = view_summaries(cfg, set);
    REQUIRE(views.size() == 3);
    CHECK(views[0].name == "intra");
    REQUIRE(views[0].zones.size() == 3);
    CHECK(views[0].zones[0].type == "primary");  // written "master"
    CHECK(views[0].zones[0].records == 33u);
    CHECK(views[0].zones[0].serial == 2024010101u);
    CHECK(views[0].zones[2].type == "forward");
    CHECK_FALSE(views[0].zones[2].records);
    CHECK(views[2].zones[0].type == "in-view");
    CHECK(views[2].zones[0].records == 33u);
  }
}

TEST_CASE("zone cuts: names at and below a delegation") {
  hc::diagnostics d;
  auto z = load("cut.zone", "example.net", d);
  REQUIRE(z);
  CHECK(d.all().empty());
  CHECK(z->below_cut("www.child.example.net"));
  CHECK(z->below_cut("child.example.net"));
  CHECK(z->below_cut("ns.child.example.net"));
  CHECK_FALSE(z->below_cut("example.net"));
  CHECK_FALSE(z->below_cut("ns.example.net"));
  CHECK_FALSE(z->below_cut("www.example.org"));
  hc::diagnostics d2;
  auto flat = load("directives.zone", "example.net", d2);
  CHECK_FALSE(flat->below_cut("host.sub.example.net"));
}

TEST_CASE("zone loading: a zone file that cannot be read is reported where named.conf names it") {
  const zone_file_ref ref{{"/etc/bind/named.conf", 12, 5}, "zone example.net (view intra): file \"db.x\""};
  std::string dir = std::filesystem::temp_directory_path() / ("hc-zone-ref-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir + "/a-directory");
  ::mkfifo((dir + "/a-fifo").c_str(), 0600);
  struct one_case {
    std::string file, reason;
  };
  const one_case cases[] = {{dir + "/missing.zone", "No such file or directory"},
                            {dir + "/a-directory", "Is a directory"},
                            {dir + "/a-fifo", "not a regular file"},
                            {dir + "/missing-dir/db.x", "No such file or directory"}};
  for (const auto& c : cases) {
    CAPTURE(c.file);
    hc::diagnostics d;
    CHECK_FALSE(load_zone_file(c.file, "example.net", d, reader_kind::fast, dir, &ref));
    REQUIRE(d.all().size() == 1);
    CHECK(d.all()[0].str() == "/etc/bind/named.conf:12:5: zone example.net (view intra): file \"db.x\": cannot read " +
                                  c.file + ": " + c.reason);
  }
  // A raw (binary) zone file: said at the file statement too.
  hc::diagnostics raw;
  CHECK_FALSE(load_zone_file(data_dir + "/raw.zone", "example.net", raw, reader_kind::fast, {}, &ref));
  REQUIRE(raw.all().size() == 1);
  CHECK(raw.all()[0].str() == "/etc/bind/named.conf:12:5: zone example.net (view intra): file \"db.x\": " + data_dir +
                                  "/raw.zone is not a text zone file (raw or map masterfile-format?)");
  // A $INCLUDE that cannot be read stays an error at the $INCLUDE line, not at named.conf.
  {
    std::ofstream(dir + "/inc.zone") << "$TTL 300\n@ IN SOA ns h 1 2 3 4 5\n$INCLUDE nowhere.inc\n";
  }
  hc::diagnostics inc;
  auto z = load_zone_file(dir + "/inc.zone", "example.net", inc, reader_kind::fast, dir, &ref);
  CHECK(z);
  CHECK(has_diag(inc, dir + "/inc.zone:3:10", "cannot open " + dir + "/nowhere.inc: No such file or directory"));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_CASE("zone index: every owner is found by its name, and has_type agrees with lookup") {
  // More owners than build_index hashes ahead, with CNAMEs, MX and addresses mixed.
  const auto dir = std::filesystem::temp_directory_path() / ("hc-index-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "many.zone").string();
  {
    std::ofstream out(file);
    out << "$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n";
    for (int i = 0; i < 1000; ++i) {
      out << "h" << i << (i % 3 == 0 ? " CNAME ns\n" : " A 192.0.2.2\n");
      if (i % 7 == 0) out << "h" << i << "x MX 10 ns\n";
    }
  }
  hc::diagnostics d;
  auto z = load_zone_file(file, "example.net", d, reader_kind::fast);
  std::filesystem::remove_all(dir);
  REQUIRE(z);
  CHECK(d.all().empty());
  CHECK(z->name_count() == 2 + 1000 + 143);
  std::size_t cnames = 0;
  for (std::size_t i = 0; i < z->name_count(); ++i) {
    const std::string name(z->name_at(i));
    const auto found = z->find_name(name);
    REQUIRE(found);
    CHECK(*found == i);
    for (std::uint16_t t : {rr_type::a, rr_type::ns, rr_type::cname, rr_type::mx, rr_type::soa}) {
      const bool has = z->has_type(i, t);
      const bool looked_up = !z->lookup(name, t).empty();
      CHECK(has == looked_up);
    }
    if (z->has_type(i, rr_type::cname)) ++cnames;
  }
  CHECK(cnames == 334);
  CHECK_FALSE(z->find_name("h1000.example.net"));
}
