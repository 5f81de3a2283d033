#include "report/report.hpp"

namespace hc::report {

const std::vector<kind_info>& contract_kinds() {
  static const std::vector<kind_info> kinds{
      // Static: configuration, zones, NAT rules.
      {"config-error", severity::unknown},
      {"extra-only", severity::warning},
      {"intra-only", severity::info},
      {"split", severity::info},
      {"split-via-nat", severity::info},
      {"disagree", severity::critical},
      {"leak", severity::critical},
      {"dangling-target", severity::warning},
      {"zone-missing", severity::warning},
      {"view-shadowed", severity::critical},
      {"nat-no-loopback", severity::critical},
      {"nat-snat-into-internal-view", severity::critical},
      {"nat-dnat-wan-only", severity::critical},
      {"nat-forward-drop", severity::critical},
      {"nat-not-forwarded", severity::warning},
      // Live, from the vantage point.
      {"unexpected-source", severity::critical},
      {"timeout", severity::critical},
      {"refused", severity::critical},
      {"reset", severity::critical},
      {"view-leak", severity::critical},
      {"wrong-answer", severity::critical},
      {"stale-zone", severity::warning},
      {"truncated-no-tcp", severity::warning},
      {"tls-verify", severity::critical},
      {"cert-expiry", severity::warning},
      {"cert-expiry", severity::critical},
      {"different-backend", severity::critical},
      {"bad-status", severity::critical},
      {"bad-banner", severity::critical},
      {"no-starttls", severity::critical},
  };
  return kinds;
}

}  // namespace hc::report
