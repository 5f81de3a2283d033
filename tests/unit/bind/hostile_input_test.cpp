// named.conf that is hostile: secrets behind include, FIFOs and devices, include bombs, depth.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <string>

#include "bind/config.hpp"
#include "bind/parser.hpp"
#include "test_files.hpp"

using bind_test::all_text;
using bind_test::has;
using bind_test::scratch_dir;
using bind_test::seconds_since;
using bind_test::secret;


TEST_CASE("hostile named.conf: an included file's text is never quoted, only described") {
  scratch_dir dir;
  dir.write("shadow", "root:$6$" + secret + ":19000:0:99999:7:::\n\"" + secret + " unterminated\n");
  auto top = dir.write("named.conf", "options { directory \"" + dir.str() + "\"; };\ninclude \"shadow\";\n");
  hc::diagnostics d;
  (void)hc::bind::read_named_conf(top, d);
  REQUIRE(d.has_errors());
  std::string text = all_text(d);
  CHECK(text.find("HC-SECRET") == std::string::npos);
  CHECK(text.find("root") == std::string::npos);
  // Position and a description of the token instead.
  CHECK(has(d, dir.str() + "/shadow:2:1: unterminated quoted string near 'a quoted string of"));
}

TEST_CASE("hostile named.conf: the top file's tokens are quoted at most 32 bytes, escaped") {
  scratch_dir dir;
  std::string long_name(40, 'x');
  auto top = dir.write("named.conf", "zone \"" + long_name + secret + "\x01\n");
  hc::diagnostics d;
  (void)hc::bind::read_named_conf(top, d);
  CHECK(all_text(d).find("HC-SECRET") == std::string::npos);
  CHECK(has(d, "named.conf:1:6: unterminated quoted string near '\"" + std::string(31, 'x') + "...'"));

  hc::diagnostics d2;
  auto bin = dir.write("bin.conf", std::string("options { recursion bad\x02word; };\nzone \"a\x01\x7f'\\\" { type master; };\n"));
  (void)hc::bind::read_named_conf(bin, d2);
  for (const auto& x : d2.all())
    for (char c : x.str()) CHECK((static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f));
  CHECK(has(d2, "near 'bad\\x02word'"));
}

TEST_CASE("hostile named.conf: a FIFO or a device is not read, and the error names the include") {
  scratch_dir dir;
  std::string fifo = dir.str() + "/fifo.conf";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto top = dir.write("named.conf", "options { recursion no; };\ninclude \"fifo.conf\";\n  include \"/dev/zero\";\n");
  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics d;
  (void)hc::bind::read_named_conf(top, d);
  CHECK(seconds_since(t0) < 2);
  CHECK(has(d, top + ":2:1: cannot open '" + fifo + "': not a regular file"));
  CHECK(has(d, top + ":3:3: cannot open '/dev/zero': not a regular file"));

  hc::diagnostics d2;
  CHECK_THROWS_WITH_AS((void)hc::bind::read_named_conf(fifo, d2), doctest::Contains("not a regular file"),
                       hc::input_error);
}

TEST_CASE("hostile named.conf: 32 files each including the next twice stop early, with one error") {
  scratch_dir dir;
  for (int i = 0; i < 32; ++i)
    dir.write("f" + std::to_string(i) + ".conf",
              "include \"f" + std::to_string(i + 1) + ".conf\";\ninclude \"f" + std::to_string(i + 1) + ".conf\";\n");
  dir.write("f32.conf", "acl x { 10.0.0.0/8; };\n");
  auto top = dir.write("named.conf", "include \"f0.conf\";\n");
  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics d;
  (void)hc::bind::read_named_conf(top, d);
  CHECK(seconds_since(t0) < 5);
  // The depth limit (16) or the file count limit ends it, each said once per place, not 2^32 times.
  CHECK((has(d, "includes nested too deeply (more than 16, HC_MAX_INCLUDE_DEPTH)") ||
         has(d, "too many included files")));
  CHECK(d.all().size() < 400);
}

TEST_CASE("hostile named.conf: more included files than the limit stop every further include") {
  scratch_dir dir;
  // 2^13 reads of one file, 8 levels deep: within the depth, over the 10,000 files.
  for (int i = 0; i < 13; ++i) {
    std::string next = "g" + std::to_string(i + 1) + ".conf";
    dir.write("g" + std::to_string(i) + ".conf", "include \"" + next + "\";\ninclude \"" + next + "\";\n");
  }
  dir.write("g13.conf", "# leaf\n");
  auto top = dir.write("named.conf", "include \"g0.conf\";\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(top, d);
  CHECK(has(d, ": too many included files (more than 10000, HC_MAX_INCLUDE_FILES"));
  CHECK(d.all().size() == 1);
  CHECK(cfg.files_read.size() <= 10001);
}

TEST_CASE("hostile named.conf: blocks count their depth across includes") {
  scratch_dir dir;
  std::string deep;
  // 60 levels in the file, 5 around the include: 66 in all, over the 64.
  for (int i = 0; i < 60; ++i) deep += "a { ";
  for (int i = 0; i < 60; ++i) deep += "}; ";
  dir.write("deep.conf", "options { " + deep + " };\n");
  auto top = dir.write("named.conf", "logging { channel c { " + std::string("x { y { z { ") + "include \"deep.conf\"; }; }; }; }; };\n");
  hc::diagnostics d;
  (void)hc::bind::read_named_conf(top, d);
  CHECK(has(d, "/deep.conf:1:"));
  CHECK(has(d, "blocks nested too deeply (more than 64, HC_MAX_BLOCK_DEPTH)"));

  // Without ACLs or includes: 100,000 nested blocks in options, one error, bounded.
  std::string flat;
  for (int i = 0; i < 100000; ++i) flat += "{ ";
  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics d2;
  (void)hc::bind::read_named_conf(dir.write("flat.conf", "options " + flat + "\n"), d2);
  CHECK(seconds_since(t0) < 5);
  CHECK(has(d2, "blocks nested too deeply"));
  CHECK(d2.all().size() <= 13);  // one per block left open, 10 of them, and "and N more"
}

TEST_CASE("hostile named.conf: include depth is limited with an error at the include") {
  scratch_dir dir;
  for (int i = 0; i < 20; ++i)
    dir.write("d" + std::to_string(i) + ".conf", "include \"d" + std::to_string(i + 1) + ".conf\";\n");
  dir.write("d20.conf", "");
  auto top = dir.write("named.conf", "include \"d0.conf\";\n");
  hc::diagnostics d;
  (void)hc::bind::read_named_conf(top, d);
  CHECK(has(d, "/d15.conf:1:1: includes nested too deeply (more than 16, HC_MAX_INCLUDE_DEPTH)"));
}
