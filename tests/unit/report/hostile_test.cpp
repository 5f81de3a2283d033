// Random, hostile result models: every writer stays within its grammar and never throws.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "report/format.hpp"
#include "report/report.hpp"
#include "samples.hpp"
#include "validators.hpp"


TEST_CASE("hostile models: every writer keeps its grammar") {
  for (int i = 0; i < 400; ++i) {
    CAPTURE(i);
    const hc::run_result r = hc::report::samples::hostile(static_cast<unsigned>(i));
    const std::string nagios = hc::report::render_nagios(r, {});
    const auto nagios_errors = hc::report::testing::validate_nagios(nagios);
    CHECK_MESSAGE(nagios_errors.empty(), nagios << "\n" << (nagios_errors.empty() ? "" : nagios_errors[0]));
    CHECK(hc::report::testing::nagios_state(nagios) == hc::status_name(r.status()));
    const std::string prom = hc::report::render_prometheus(r);
    const auto prom_errors = hc::report::testing::validate_prometheus(prom);
    CHECK_MESSAGE(prom_errors.empty(), prom << "\n" << (prom_errors.empty() ? "" : prom_errors[0]));
    const std::string json = hc::report::render_json(r);
    REQUIRE(nlohmann::json::accept(json));
    CHECK(nlohmann::json::parse(json)["exit_code"] == hc::exit_code(r.status()));
    const std::string text = hc::report::render_text(r, {.color = static_cast<bool>(i % 2)});
    CHECK(hc::report::detail::valid_utf8(text) == text);
    CHECK(hc::report::detail::valid_utf8(prom) == prom);
    CHECK(hc::report::detail::valid_utf8(nagios) == nagios);
  }
}

TEST_CASE("hostile models: per-check perfdata, aggregate series and findings for many names keep the grammar") {
  hc::report::nagios_options checks;
  checks.perfdata = hc::report::perfdata_set::checks;
  for (int i = 0; i < 200; ++i) {
    CAPTURE(i);
    hc::run_result r = hc::report::samples::hostile(static_cast<unsigned>(i));
    // Hostile names lists: the model's own hostile strings, a count that may disagree with the list.
    for (auto& f : r.findings) {
      f.count = static_cast<std::size_t>(i % 3 == 0 ? 0 : i * 1000);
      f.names = {f.evidence, f.name, f.fix, f.zone, f.view};
    }
    for (const auto& o : {hc::report::nagios_options{}, checks}) {
      const std::string nagios = hc::report::render_nagios(r, o);
      const auto errors = hc::report::testing::validate_nagios(nagios);
      CHECK_MESSAGE(errors.empty(), nagios << "\n" << (errors.empty() ? "" : errors[0]));
      CHECK(hc::report::testing::nagios_state(nagios) == hc::status_name(r.status()));
    }
    const std::string prom = hc::report::render_prometheus(r, {hc::report::prometheus_detail::aggregate});
    const auto prom_errors = hc::report::testing::validate_prometheus(prom);
    CHECK_MESSAGE(prom_errors.empty(), prom << "\n" << (prom_errors.empty() ? "" : prom_errors[0]));
    CHECK(hc::report::detail::valid_utf8(prom) == prom);
  }
}

TEST_CASE("format helpers: fixed notation, UTF-8 repair, days left") {
  using namespace hc::report::detail;
  CHECK(fixed(0.012) == "0.012");
  CHECK(fixed(1e-7) == "0");
  CHECK(fixed(-0.0000001) == "0");
  CHECK(fixed(3) == "3");
  CHECK(fixed(1e20) == "100000000000000000000");
  CHECK(fixed(std::nan("")) == "0");
  CHECK(fixed(std::numeric_limits<double>::max()).size() == 309);
  CHECK(valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(valid_utf8("caf\xE9") == "caf\xEF\xBF\xBD");
  CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(valid_utf8("\xF0\x9F\x98") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
  CHECK(truncate_utf8("\xC3\xA9\xC3\xA9\xC3\xA9", 6) == "\xC3\xA9\xC3\xA9\xC3\xA9");
  CHECK(truncate_utf8("\xC3\xA9\xC3\xA9\xC3\xA9", 5) == "\xC3\xA9...");
  CHECK(days_left(1795833900 + 86400 * 84 + 3600, 1795833900) == 84);
  CHECK(days_left(1795833900 - 3600, 1795833900) == -1);
  CHECK(days_left(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()) < 0);
}
