#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

#include "report/report.hpp"
#include "samples.hpp"

using namespace hc;
namespace samples = hc::report::samples;

namespace {

// Compact facts standing for findings kept in a table (a test stand-in for the view diff's zones).
class table_renderer final : public compact_renderer {
 public:
  std::vector<finding> table;
  void render(const compact_finding& c, finding& out) const override { out = table[c.a]; }
  std::string_view name_of(const compact_finding& c) const override { return table[c.a].name; }
  std::string_view zone_of(const compact_finding& c) const override { return table[c.a].zone; }
};

// The same run with every other finding (in report order) kept as a compact fact.
run_result halved(run_result r) {
  auto table = std::make_shared<table_renderer>();
  std::vector<finding> kept;
  for (std::size_t i = 0; i < r.findings.size(); ++i) {
    if (i % 2 == 0) {
      kept.push_back(r.findings[i]);
      continue;
    }
    compact_finding c;
    c.a = static_cast<std::uint32_t>(table->table.size());
    c.kind = r.findings[i].kind;
    c.sev = static_cast<std::uint8_t>(r.findings[i].sev);
    table->table.push_back(r.findings[i]);
    r.compact.facts.push_back(c);
  }
  r.findings = std::move(kept);
  r.compact.renderer = std::move(table);
  return r;
}

}  // namespace

TEST_CASE("compact facts: every writer reports them as the findings they stand for") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    run_result full = s.make();
    std::stable_sort(full.findings.begin(), full.findings.end(), report_order);
    const run_result compact = halved(full);
    CHECK(compact.finding_count() == full.findings.size());
    CHECK(compact.status() == full.status());
    CHECK(report::render_json(compact) == report::render_json(full));
    CHECK(report::render_text(compact) == report::render_text(full));
    report::text_options verbose;
    verbose.verbose = true;
    CHECK(report::render_text(compact, verbose) == report::render_text(full, verbose));
    CHECK(report::render_nagios(compact) == report::render_nagios(full));
    CHECK(report::render_prometheus(compact) == report::render_prometheus(full));
  }
}

TEST_CASE("compact facts: accepted ones are reported as info, saying what they were") {
  run_result full = samples::critical();
  std::stable_sort(full.findings.begin(), full.findings.end(), report_order);
  run_result compact = halved(full);
  REQUIRE_FALSE(compact.compact.facts.empty());
  for (auto& c : compact.compact.facts) c.accepted = 1;
  for (std::size_t i = 0; i < compact.compact.facts.size(); ++i) {
    const finding f = compact.compact.at(i);
    const finding& was = full.findings[2 * i + 1];
    CHECK(f.accepted);
    CHECK(f.sev == std::min(was.sev, severity::info));
    CHECK(f.evidence == "accepted with --accept (was " + std::string(to_string(was.sev)) + "): " + was.evidence);
  }
}
