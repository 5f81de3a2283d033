#include "core/result.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

namespace hc {

const char* to_string(severity s) {
  switch (s) {
    case severity::ok: return "ok";
    case severity::info: return "info";
    case severity::warning: return "warning";
    case severity::critical: return "critical";
    case severity::unknown: return "unknown";
  }
  return "unknown";
}

const char* status_name(severity s) {
  switch (s) {
    case severity::ok:
    case severity::info: return "OK";
    case severity::warning: return "WARNING";
    case severity::critical: return "CRITICAL";
    case severity::unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

int exit_code(severity s) {
  switch (s) {
    case severity::ok:
    case severity::info: return 0;
    case severity::warning: return 1;
    case severity::critical: return 2;
    case severity::unknown: return 3;
  }
  return 3;
}

severity run_result::status() const {
  severity worst = severity::ok;
  for (const auto& f : findings) worst = std::max(worst, f.sev);
  for (const auto& c : compact.facts) worst = std::max(worst, c.reported_severity());
  return worst;
}

void compact_findings::render(std::size_t i, finding& out) const {
  const compact_finding& c = facts[i];
  renderer->render(c, out);
  out.kind = c.kind;
  out.sev = c.found_severity();
  out.accepted = false;
  if (c.accepted) {
    // As the runner's --accept does to a finding.
    out.accepted = true;
    out.evidence = fmt::format("accepted with --accept (was {}): {}", to_string(out.sev), out.evidence);
    out.sev = c.reported_severity();
  }
}

finding compact_findings::at(std::size_t i) const {
  finding f;
  render(i, f);
  return f;
}

bool report_order(const finding& a, const finding& b) {
  if (a.sev != b.sev) return a.sev > b.sev;
  if (a.kind != b.kind) return name(a.kind) < name(b.kind);
  return std::tie(a.name, a.zone, a.view, a.type, a.service, a.path, a.address, a.evidence) <
         std::tie(b.name, b.zone, b.view, b.type, b.service, b.path, b.address, b.evidence);
}

}  // namespace hc
