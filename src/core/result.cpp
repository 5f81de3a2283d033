#include "core/result.hpp"

#include <algorithm>

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
  return worst;
}

}  // namespace hc
