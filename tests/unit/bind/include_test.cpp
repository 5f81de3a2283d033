#include <doctest/doctest.h>

#include "bind/config.hpp"
#include "bind/parser.hpp"
#include "core/input_file.hpp"
#include "test_files.hpp"

using bind_test::scratch_dir;

namespace {

std::vector<std::string> messages(const hc::diagnostics& d) {
  std::vector<std::string> out;
  for (const auto& x : d.all()) out.push_back(x.str());
  return out;
}

}  // namespace

TEST_CASE("include: relative to the top file's directory, at top level and inside blocks") {
  scratch_dir dir;
  auto top = dir.write("etc/named.conf",
                       "include \"named.conf.options\";\n"
                       "view \"intra\" {\n  include \"views/intra.conf\";\n};\n");
  dir.write("etc/named.conf.options", "options { recursion no; include \"opts/more.conf\"; };\n");
  dir.write("etc/opts/more.conf", "listen-on { 127.0.0.1; };\n");
  dir.write("etc/views/intra.conf", "match-clients { 198.18.1.0/24; };\nzone \"a.test\" { type master; file \"db.a\"; };\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d).empty());
  CHECK(cfg.options.recursion == std::optional<std::string>("no"));
  CHECK(cfg.options.listen_on == std::vector<std::string>{"127.0.0.1"});
  REQUIRE(cfg.views.size() == 1);
  CHECK(hc::bind::match_list_texts(cfg.views[0].match_clients) == std::vector<std::string>{"198.18.1.0/24"});
  REQUIRE(cfg.views[0].zones.size() == 1);
  CHECK(cfg.views[0].zones[0].file == dir.str() + "/etc/db.a");
  CHECK(cfg.views[0].zones[0].where.str() == dir.str() + "/etc/views/intra.conf:2:1");
  CHECK(cfg.files_read.size() == 4);
  CHECK(cfg.files_read[1] == dir.str() + "/etc/named.conf.options");
}

TEST_CASE("include: relative to options { directory } once it is set") {
  scratch_dir dir;
  auto top = dir.write("etc/named.conf",
                       "options { directory \"../var\"; };\n"
                       "include \"zones.conf\";\n");
  dir.write("var/zones.conf", "zone \"b.test\" { type slave; file \"slaves/db.b\"; masters { 192.0.2.1; }; };\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d).empty());
  CHECK(cfg.options.directory == dir.str() + "/var");
  REQUIRE(cfg.views.size() == 1);
  CHECK(cfg.views[0].implicit);
  CHECK(cfg.views[0].name == "_default");
  REQUIRE(cfg.views[0].zones.size() == 1);
  CHECK(cfg.views[0].zones[0].type == "secondary");
  CHECK(cfg.views[0].zones[0].file == dir.str() + "/var/slaves/db.b");
}

TEST_CASE("include: glob patterns, in sorted order") {
  scratch_dir dir;
  auto top = dir.write("named.conf", "include \"zones.d/*.conf\";\ninclude \"/nonexistent-hc-dir/*.conf\";\n");
  dir.write("zones.d/20-b.conf", "zone \"b.test\" { type primary; file \"db.b\"; };\n");
  dir.write("zones.d/10-a.conf", "zone \"a.test\" { type primary; file \"db.a\"; };\n");
  dir.write("zones.d/readme.txt", "not a conf file {\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d) == std::vector<std::string>{
                           dir.str() + "/named.conf:2:1: cannot open '/nonexistent-hc-dir/*.conf': no file matches "
                                       "near '/nonexistent-hc-dir/*.conf'"});
  REQUIRE(cfg.views.size() == 1);
  REQUIRE(cfg.views[0].zones.size() == 2);
  CHECK(cfg.views[0].zones[0].name == "a.test");
  CHECK(cfg.views[0].zones[1].name == "b.test");
}

TEST_CASE("include: a missing file is a diagnostic, the top file an exception") {
  scratch_dir dir;
  auto top = dir.write("named.conf", "include \"missing.conf\";\nzone \"x\" { type hint; file \"root.hints\"; };\n"
                                     "include;\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d) == std::vector<std::string>{
                           dir.str() + "/named.conf:1:1: cannot open '" + dir.str() +
                               "/missing.conf': No such file or directory near 'missing.conf'",
                           dir.str() + "/named.conf:3:1: 'include' expects one file name near ';'"});
  CHECK(cfg.views.at(0).zones.size() == 1);
  CHECK_THROWS_AS(hc::bind::read_named_conf(dir.str() + "/nope.conf", d), hc::input_error);
  hc::diagnostics d2;
  auto dcfg = hc::bind::read_named_conf(dir.write("d.conf", "include \"" + dir.str() + "\";\n"), d2);
  REQUIRE(d2.all().size() == 1);
  CHECK(d2.all()[0].message == "cannot open '" + dir.str() + "': Is a directory");
}

TEST_CASE("include: cycles are errors, not crashes") {
  scratch_dir dir;
  auto top = dir.write("named.conf", "include \"a.conf\";\nacl lan { 10/8; };\n");
  dir.write("a.conf", "include \"b.conf\";\n");
  dir.write("b.conf", "include \"./a.conf\";\ninclude \"named.conf\";\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d) == std::vector<std::string>{
                           dir.str() + "/b.conf:1:1: include cycle: '" + dir.str() +
                               "/a.conf' is already being read near 'a word of 8 bytes'",
                           dir.str() + "/b.conf:2:1: include cycle: '" + dir.str() +
                               "/named.conf' is already being read near 'a word of 10 bytes'"});
  CHECK(cfg.acls.size() == 1);
}

TEST_CASE("include: nesting deeper than the limit is an error") {
  scratch_dir dir;
  // f0 includes f1 includes f2 ... each a different file: no cycle, only depth.
  int n = hc::input_limits::current().max_include_depth + 5;
  for (int i = 0; i < n; ++i)
    dir.write("f" + std::to_string(i) + ".conf", "include \"f" + std::to_string(i + 1) + ".conf\";\n");
  dir.write("f" + std::to_string(n) + ".conf", "acl deep { any; };\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(dir.str() + "/f0.conf", d);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message == "includes nested too deeply (more than 16, HC_MAX_INCLUDE_DEPTH)");
  CHECK(cfg.acls.empty());
}

TEST_CASE("include: the included file is parsed in the context of the include") {
  scratch_dir dir;
  auto top = dir.write("named.conf",
                       "options { include \"rpz.conf\"; };\n"
                       "acl lan { include \"lan.acl\"; };\n"
                       "view \"v\" { include \"v.conf\"; };\n");
  // Words after a block are fine inside options, and nested lists inside an ACL ...
  dir.write("rpz.conf", "response-policy { zone \"rpz\"; } break-dnssec yes;\nrecursion yes;\n");
  dir.write("lan.acl", "{ 10/8; !10.1/16; };\n192.0.2.0/24;\n");
  // ... but a zone in a view must end at its block.
  dir.write("v.conf", "zone \"a\" { type hint; file \"h\"; }\nzone \"b\" { type hint; file \"h\"; };\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(messages(d) == std::vector<std::string>{dir.str() + "/v.conf:2:1: missing ';' near 'a word of 4 bytes'"});
  CHECK(cfg.options.recursion == std::optional<std::string>("yes"));
  CHECK(hc::bind::match_list_texts(cfg.acls.at(0).list) ==
        std::vector<std::string>{"{ 10/8; !10.1/16; }", "192.0.2.0/24"});
  CHECK(cfg.views.at(0).zones.size() == 2);
}
