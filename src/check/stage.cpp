#include "check/stage.hpp"

#include <algorithm>

namespace hc::check {

void stage_report::move_into(run_result& r) {
  // A stage can hand over hundreds of thousands of findings (the view diff of real zones): the
  // larger vector is kept and the other appended to it, and the emptied one is freed, not kept
  // allocated for the rest of the run.
  if (findings.size() > r.findings.size()) {
    for (auto& f : r.findings) findings.push_back(std::move(f));
    std::rotate(findings.begin(), findings.end() - static_cast<std::ptrdiff_t>(r.findings.size()), findings.end());
    r.findings = std::move(findings);
  } else {
    r.findings.reserve(r.findings.size() + findings.size());
    for (auto& f : findings) r.findings.push_back(std::move(f));
  }
  for (auto& n : notes) r.notes.push_back(std::move(n));
  std::vector<finding>().swap(findings);
  notes.clear();
}

finding config_error(std::string evidence, std::string fix) {
  finding f;
  f.kind = finding_kind::config_error;
  f.sev = default_severity(f.kind);
  f.evidence = std::move(evidence);
  f.fix = std::move(fix);
  return f;
}

finding not_checked(std::string name, std::string evidence, std::string fix) {
  finding f;
  f.kind = finding_kind::not_checked;
  f.sev = default_severity(f.kind);
  f.name = std::move(name);
  f.evidence = std::move(evidence);
  f.fix = std::move(fix);
  return f;
}

}  // namespace hc::check
