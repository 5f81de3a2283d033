#pragma once
// Secondaries per view (issue #18): each secondary of a zone both views serve (the zone's NS set in
// each view, resolved from the zone data and its glue, the primary itself left out, plus
// --secondary) is asked for the zone's SOA serial in each view: signed with the view's TSIG key when
// a key selects the view, else unsigned and only when the vantage point's address selects that
// view. The answers are judged against both views' serials of the primary: one view's serial served
// in the other view is secondary-wrong-view, a serial behind the view's (RFC 1982) secondary-stale.
// Each question is planned twice, over UDP and right after it over TCP: the TCP answer is judged
// when the UDP question got none (its transport finding stays, saying so).
// Planning and judging are pure; the probes run with the rest of the plan.

#include <cstdint>
#include <vector>

#include "check/plan.hpp"
#include "check/schedule.hpp"

namespace hc::check {

// At most this many secondaries are asked per zone (a note says how many more were left out).
inline constexpr std::size_t max_secondaries_per_zone = 32;

// The SOA probes of the secondaries of the zones both views serve that hold a checked name.
plan plan_secondaries(const plan_inputs& in);

// RFC 1982: is serial a before serial b?
bool serial_before(std::uint32_t a, std::uint32_t b);

// The findings of the probes of `p` planned by plan_secondaries (dns_probe_plan::secondary set):
// the probe's own failure (not-checked, timeout, tsig-bad, ...), a not-checked for an answer that
// carries no SOA serial (REFUSED, NOTAUTH, SERVFAIL, a referral), secondary-wrong-view,
// secondary-stale. Nothing for a secondary that serves each view's serial.
std::vector<finding> judge_secondaries(const plan& p, const plan_results& r);

}  // namespace hc::check
