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

namespace {

// Compact facts that stand for generated findings, counting how many were rendered.
class counting_renderer final : public compact_renderer {
 public:
  std::vector<std::string> names;
  mutable std::size_t renders = 0;
  void render(const compact_finding& c, finding& out) const override {
    ++renders;
    out = finding{};
    out.kind = c.kind;
    out.sev = c.found_severity();
    out.name = names[c.a];
    out.zone = "example.com";
    out.view = "in,ex";
    out.type = "A";
    out.evidence = "in: 10.0.0.1; ex: 192.0.2.1";
    out.fix = "nothing to do";
  }
  std::string_view name_of(const compact_finding& c) const override { return names[c.a]; }
  std::string_view zone_of(const compact_finding&) const override { return "example.com"; }
};

// `n` compact facts of `kind` at severity `s` (names in report order), plus a regular critical
// finding; the same run with every fact rendered into a finding.
struct generated {
  run_result compact, full;
  std::shared_ptr<counting_renderer> renderer;
};
generated generate(std::size_t n, finding_kind kind, severity s) {
  generated g;
  g.renderer = std::make_shared<counting_renderer>();
  finding worst;
  worst.kind = finding_kind::timeout;
  worst.sev = severity::critical;
  worst.name = "www.example.com";
  worst.evidence = "connection refused";
  g.compact.findings.push_back(worst);
  for (std::size_t i = 0; i < n; ++i) {
    g.renderer->names.push_back("h" + std::to_string(100000 + i) + ".example.com");
    compact_finding c;
    c.a = static_cast<std::uint32_t>(i);
    c.kind = kind;
    c.sev = static_cast<std::uint8_t>(s);
    g.compact.compact.facts.push_back(c);
  }
  g.compact.compact.renderer = g.renderer;
  g.full.findings.push_back(worst);
  for (std::size_t i = 0; i < n; ++i) g.full.findings.push_back(g.compact.compact.at(i));
  g.renderer->renders = 0;
  return g;
}

}  // namespace

TEST_CASE("compact facts: text and nagios render only the findings they print") {
  const std::size_t n = 5000;
  SUBCASE("info facts: the text report's one line per kind and nagios's summary render none") {
    const generated g = generate(n, finding_kind::split, severity::info);
    const std::string text = report::render_text(g.compact);
    CHECK(g.renderer->renders == 0);
    CHECK(text == report::render_text(g.full));
    CHECK(text.find("split: 5,000 names, e.g. h100000.example.com, h100001.example.com") != std::string::npos);
    report::nagios_options o;
    const std::string nagios = report::render_nagios(g.compact, o);
    // The worst finding and then as many lines as fit: never every fact.
    CHECK(g.renderer->renders <= o.max_long_lines);
    CHECK(nagios == report::render_nagios(g.full, o));
  }
  SUBCASE("warning facts: text shows the first causes, nagios the lines that fit") {
    const generated g = generate(n, finding_kind::intra_only, severity::warning);
    const std::string text = report::render_text(g.compact);
    CHECK(g.renderer->renders <= 25);
    CHECK(text == report::render_text(g.full));
    g.renderer->renders = 0;
    const std::string nagios = report::render_nagios(g.compact);
    CHECK(g.renderer->renders <= 50);
    CHECK(nagios == report::render_nagios(g.full));
  }
  SUBCASE("-v renders every fact once, as it writes it") {
    const generated g = generate(n, finding_kind::split, severity::info);
    report::text_options verbose;
    verbose.verbose = true;
    const std::string text = report::render_text(g.compact, verbose);
    CHECK(g.renderer->renders == n);
    CHECK(text == report::render_text(g.full, verbose));
  }
  SUBCASE("a finding tied with a fact on severity, kind, name and zone is ordered by the rest") {
    generated g = generate(3, finding_kind::split, severity::info);
    finding tie = g.compact.compact.at(1);
    tie.type = "AAAA";  // after the fact's A
    g.compact.findings.push_back(tie);
    g.full.findings.push_back(tie);
    std::stable_sort(g.full.findings.begin(), g.full.findings.end(), report_order);
    report::text_options verbose;
    verbose.verbose = true;
    CHECK(report::render_text(g.compact, verbose) == report::render_text(g.full, verbose));
    CHECK(report::render_nagios(g.compact) == report::render_nagios(g.full));
    CHECK(report::render_json(g.compact) == report::render_json(g.full));
  }
}
