#include <doctest/doctest.h>

#include "core/diagnostics.hpp"
#include "core/result.hpp"

TEST_CASE("run_result status is the worst finding and info counts as OK") {
  hc::run_result r;
  CHECK(hc::exit_code(r.status()) == 0);
  r.findings.push_back({.kind = hc::finding_kind::split, .sev = hc::severity::info});
  CHECK(std::string(hc::status_name(r.status())) == "OK");
  r.findings.push_back({.kind = hc::finding_kind::extra_only, .sev = hc::severity::warning});
  CHECK(hc::exit_code(r.status()) == 1);
  r.findings.push_back({.kind = hc::finding_kind::leak, .sev = hc::severity::critical});
  CHECK(hc::exit_code(r.status()) == 2);
  r.findings.push_back({.kind = hc::finding_kind::config_error, .sev = hc::severity::unknown});
  CHECK(hc::exit_code(r.status()) == 3);
}

TEST_CASE("diagnostic prints file:line:col: message near 'token'") {
  hc::diagnostic d{{"named.conf", 12, 5}, "unexpected token", "}"};
  CHECK(d.str() == "named.conf:12:5: unexpected token near '}'");
}
