#include "check/stage.hpp"

namespace hc::check {

void stage_report::move_into(run_result& r) {
  r.findings.reserve(r.findings.size() + findings.size());
  for (auto& f : findings) r.findings.push_back(std::move(f));
  for (auto& n : notes) r.notes.push_back(std::move(n));
  findings.clear();
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
