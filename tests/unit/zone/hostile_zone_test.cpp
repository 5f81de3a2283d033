// Zone files that are hostile: secrets behind $INCLUDE, FIFOs, $INCLUDE bombs, huge $GENERATE.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <chrono>
#include <string>

#include "../bind/test_files.hpp"
#include "zone/source.hpp"
#include "zone/zone.hpp"

using bind_test::all_text;
using bind_test::has;
using bind_test::scratch_dir;
using bind_test::seconds_since;
using bind_test::secret;
using hc::zone::load_zone_file;
using hc::zone::reader_kind;

namespace {

const std::string soa = "$TTL 300\n@ IN SOA ns h 1 3600 900 604800 300\n@ IN NS ns\nns IN A 192.0.2.53\n";


}  // namespace

TEST_CASE("hostile zone: a file reached through $INCLUDE is never quoted, by either reader") {
  scratch_dir dir;
  dir.write("shadow", "root:$6$" + secret + ":19000:0:99999:7:::\ndaemon:*:" + secret + ":0:99999:7:::\n\"" + secret + "\n");
  auto zone = dir.write("db.test", soa + "$INCLUDE shadow\nbad IN A 192.0.2.300\n");
  for (auto kind : {reader_kind::fast, reader_kind::ldns}) {
    hc::diagnostics d;
    auto z = load_zone_file(zone, "test.", d, kind, dir.str());
    REQUIRE(z);
    REQUIRE(d.has_errors());
    std::string text = all_text(d);
    CHECK(text.find("HC-SECRET") == std::string::npos);
    CHECK(text.find("root") == std::string::npos);
    CHECK(text.find("daemon") == std::string::npos);
    if (kind == reader_kind::fast) {
      CHECK(has(d, dir.str() + "/shadow:1:1: "));
      CHECK(has(d, "near 'a word of"));
      // The zone file itself (named in named.conf) is quoted: the offending token only.
      CHECK(has(d, zone + ":6:10: Syntax error, could not parse the RR's rdata near '192.0.2.300'"));
    }
  }
}

TEST_CASE("hostile zone: a FIFO, a device or a directory is not read, as zone file or $INCLUDE") {
  scratch_dir dir;
  std::string fifo = dir.str() + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto zone = dir.write("db.test", soa + "$INCLUDE fifo\n$INCLUDE /dev/zero\n");
  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics d;
  auto z = load_zone_file(zone, "test.", d, reader_kind::fast, dir.str());
  CHECK(z);
  CHECK(has(d, zone + ":5:10: cannot open " + fifo + ": not a regular file"));
  CHECK(has(d, zone + ":6:10: cannot open /dev/zero: not a regular file"));
  hc::diagnostics d2;
  CHECK_FALSE(load_zone_file(fifo, "test.", d2));
  CHECK(has(d2, fifo + ": cannot open " + fifo + ": not a regular file"));
  CHECK(seconds_since(t0) < 2);
}

TEST_CASE("hostile zone: $INCLUDE bombs stop at the depth and file limits") {
  scratch_dir dir;
  for (int i = 0; i < 32; ++i) {
    std::string next = "z" + std::to_string(i + 1);
    dir.write("z" + std::to_string(i), "$INCLUDE " + next + "\n$INCLUDE " + next + "\n");
  }
  dir.write("z32", "www IN A 192.0.2.1\n");
  auto zone = dir.write("db.test", soa + "$INCLUDE z0\n");
  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics d;
  auto z = load_zone_file(zone, "test.", d, reader_kind::fast, dir.str());
  CHECK(seconds_since(t0) < 5);
  CHECK(has(d, "too many $INCLUDE files (more than 10000, HC_MAX_INCLUDE_FILES"));
  CHECK(d.all().size() < 50);

  for (int i = 0; i < 20; ++i) dir.write("c" + std::to_string(i), "$INCLUDE c" + std::to_string(i + 1) + "\n");
  dir.write("c20", "");
  hc::diagnostics d2;
  (void)load_zone_file(dir.write("db.deep", soa + "$INCLUDE c0\n"), "test.", d2, reader_kind::fast, dir.str());
  CHECK(has(d2, "/c15:1:10: $INCLUDE nested too deeply (more than 16, HC_MAX_INCLUDE_DEPTH) near 'a word of 3 bytes'"));
}

TEST_CASE("hostile zone: $GENERATE is bounded in records, time and diagnostics") {
  scratch_dir dir;
  // Over the limit (2^20 per zone file): refused at once, one error.
  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics d;
  auto z = load_zone_file(dir.write("db.big", soa + "$GENERATE 0-4194303 h$ A 192.0.2.1\n"), "test.", d);
  CHECK(seconds_since(t0) < 2);
  REQUIRE(z);
  CHECK(z->record_count() == 3);
  CHECK(has(d, "db.big:5:11: $GENERATE would make 4194304 records, more than the 1048576 left of 1048576 per zone "
               "file (HC_MAX_GENERATED_RECORDS); not read near '0-4194303'"));
  CHECK(d.all().size() == 1);

  // Within the limit, every name bad (a 70-octet label): one error for the directive, and a count.
  t0 = std::chrono::steady_clock::now();
  hc::diagnostics d2;
  auto z2 = load_zone_file(dir.write("db.label", soa + "$GENERATE 0-99999 " + std::string(70, 'x') + "$ A 192.0.2.1\n"),
                           "test.", d2);
  CHECK(seconds_since(t0) < 5);
  REQUIRE(z2);
  REQUIRE(d2.all().size() == 2);
  CHECK(d2.all()[0].where.str() == dir.str() + "/db.label:5");
  // After a batch that held back many errors, the rest of the directive is not read.
  CHECK(d2.all()[1].str() == dir.str() +
                                 "/db.label:5: ... and 4095 more errors or warnings in the records of this $GENERATE; "
                                 "its other 95904 records are not read");

  // Fewer errors than that: every record read, the errors counted.
  hc::diagnostics d5;
  auto z5 = load_zone_file(dir.write("db.some", soa + "$GENERATE 250-999 h$ A 192.0.2.$\n"), "test.", d5);
  REQUIRE(z5);
  CHECK(z5->record_count() == 3 + 6);
  REQUIRE(d5.all().size() == 2);
  CHECK(d5.all()[1].str() == dir.str() + "/db.some:5: ... and 743 more errors or warnings in the records of this $GENERATE");

  // A good one of 2^20 records reads into the same records as lines written out would.
  hc::diagnostics d3;
  auto z3 = load_zone_file(dir.write("db.ok", soa + "$GENERATE 0-1048575 h$ A 192.0.2.1\n"), "test.", d3);
  CHECK(d3.all().empty());
  REQUIRE(z3);
  CHECK(z3->record_count() == 3 + 1048576);
  CHECK(z3->lookup("h1048575.test.", 1).size() == 1);

  // Two directives share the limit.
  hc::diagnostics d4;
  (void)load_zone_file(dir.write("db.two", soa + "$GENERATE 0-999999 a$ A 192.0.2.1\n$GENERATE 0-99999 b$ A 192.0.2.1\n"),
                       "test.", d4);
  CHECK(has(d4, "db.two:6:11: $GENERATE would make 100000 records, more than the 48576 left"));
}
