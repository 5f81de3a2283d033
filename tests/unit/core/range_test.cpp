#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>

#include "core/diagnostics.hpp"
#include "core/range.hpp"

using hc::nagios_range;

namespace {

// The message of the input_error that parsing `text` throws, or "" when it parses.
std::string parse_error(const char* text) {
  try {
    nagios_range::parse(text);
  } catch (const hc::input_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("range: a bare number N alerts outside 0..N") {
  const auto r = nagios_range::parse("10");
  CHECK_FALSE(r.inside());
  CHECK(r.start() == 0);
  CHECK(r.end() == 10);
  CHECK(r.alerts(-0.001));
  CHECK_FALSE(r.alerts(0));
  CHECK_FALSE(r.alerts(5));
  CHECK_FALSE(r.alerts(10));  // the ends belong to the range
  CHECK(r.alerts(10.001));
  CHECK(r.str() == "10");
}

TEST_CASE("range: N: alerts below N only") {
  const auto r = nagios_range::parse("10:");
  CHECK(r.end_infinite());
  CHECK(r.alerts(9.99));
  CHECK_FALSE(r.alerts(10));
  CHECK_FALSE(r.alerts(1e300));
  CHECK(r.str() == "10:");
}

TEST_CASE("range: ~:N alerts above N only") {
  const auto r = nagios_range::parse("~:10");
  CHECK(r.start_infinite());
  CHECK_FALSE(r.alerts(-1e300));
  CHECK_FALSE(r.alerts(10));
  CHECK(r.alerts(10.5));
  CHECK(r.str() == "~:10");
}

TEST_CASE("range: N:M alerts outside N..M") {
  const auto r = nagios_range::parse("10:20");
  CHECK(r.alerts(9));
  CHECK_FALSE(r.alerts(10));
  CHECK_FALSE(r.alerts(15));
  CHECK_FALSE(r.alerts(20));
  CHECK(r.alerts(21));
  CHECK(r.str() == "10:20");
}

TEST_CASE("range: @N:M alerts inside N..M, both ends included") {
  const auto r = nagios_range::parse("@10:20");
  CHECK(r.inside());
  CHECK_FALSE(r.alerts(9.999));
  CHECK(r.alerts(10));
  CHECK(r.alerts(15));
  CHECK(r.alerts(20));
  CHECK_FALSE(r.alerts(20.001));
  CHECK(r.str() == "@10:20");

  const auto small = nagios_range::parse("@0:100");
  CHECK(small.alerts(0.0123));
  CHECK(small.str() == "@0:100");
  CHECK(nagios_range::parse("@5").alerts(3));  // @N: inside 0..N
  CHECK(nagios_range::parse("@5").str() == "@5");
}

TEST_CASE("range: decimals, negative numbers, an empty start and ~: parse as the library does") {
  const auto tiny = nagios_range::parse("0.000001");
  CHECK(tiny.alerts(0.0000011));
  CHECK_FALSE(tiny.alerts(0.000001));
  CHECK(tiny.str() == "0.000001");  // never 1e-06: perfdata allow no exponent

  CHECK(nagios_range::parse("-5:-1").alerts(0));
  CHECK_FALSE(nagios_range::parse("-5:-1").alerts(-3));
  CHECK(nagios_range::parse("-5:-1").str() == "-5:-1");
  CHECK(nagios_range::parse("2.5").str() == "2.5");
  CHECK(nagios_range::parse(".5").str() == "0.5");
  CHECK(nagios_range::parse("+3:").str() == "3:");
  CHECK(nagios_range::parse(" 10 ").str() == "10");

  CHECK(nagios_range::parse(":10") == nagios_range::parse("10"));  // empty start is 0
  CHECK(nagios_range::parse("0:10").str() == "0:10");  // as written
  CHECK(nagios_range::parse("-0:10").str() == "0:10");
  CHECK(nagios_range::parse("0:10").alerts(11));

  const auto never = nagios_range::parse("~:");
  CHECK_FALSE(never.alerts(-1e300));
  CHECK_FALSE(never.alerts(1e300));
  CHECK(never.str() == "~:");
  CHECK(nagios_range::parse("@~:").alerts(0));
  CHECK(nagios_range::parse("5:5").alerts(5) == false);
}

TEST_CASE("range: NaN is never taken for a value within the thresholds") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(nagios_range::parse("10").alerts(nan));
  CHECK(nagios_range::parse("@10:20").alerts(nan));
}

TEST_CASE("range: str() reads back as the same range") {
  for (const char* text : {"10", "10:", "~:10", "10:20", "@10:20", "@~:3", "@7:", "~:", "-1.25:3.5",
                           "0.000001", "123456789.125", "1:1"}) {
    CAPTURE(text);
    const auto r = nagios_range::parse(text);
    CHECK(nagios_range::parse(r.str()) == r);
  }
}

TEST_CASE("range: invalid ranges are rejected with a message naming the text and the fault") {
  CHECK(parse_error("").find("empty") != std::string::npos);
  CHECK(parse_error("   ").find("empty") != std::string::npos);
  CHECK(parse_error("@").find("nothing after '@'") != std::string::npos);
  CHECK(parse_error("20:10").find("'20:10' is not a Nagios range (the start 20 is above the end 10)") == 0);
  CHECK(parse_error("abc").find("'abc' is not a finite decimal number") != std::string::npos);
  CHECK(parse_error("1:2:3").find("more than one ':'") != std::string::npos);
  CHECK(parse_error("~").find("needs a ':'") != std::string::npos);
  CHECK(parse_error(":").find("no number on either side") != std::string::npos);
  CHECK(parse_error("x:5").find("the start 'x'") != std::string::npos);
  for (const std::string& bad : std::initializer_list<std::string>{"1e3", "inf", "nan", "-inf:", "0x10", "1.2.3", "--1", "10s", "5 :6", "@@5", "~10",
                          "10:~", "@:", ":", "-", ".", "1,5", "/etc/bind/named.conf", "1" + std::string(400, '0')}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(nagios_range::parse(bad), hc::input_error);
  }
  // Every message says what a range looks like.
  CHECK(parse_error("1e3").find("use N, N:, ~:N, N:M or @N:M") != std::string::npos);
}
