#pragma once
// The zone's public delegation, walked from the root servers as `dig +trace` does: non-recursive
// (RD=0) NS questions, starting at the root hints, following each referral (its NS names and their
// glue) one zone cut deeper, until servers answer authoritatively. Name servers without glue are
// found by the same walk, nested at most max_depth deep. Every reply is untrusted: a referral must
// lead strictly deeper and stay an ancestor of the name asked (so no loop survives), glue is taken
// only for the referral's own NS names under the zone cut that gave it, each referral counts at most
// max_ns names and max_servers addresses, and the whole walk sends at most max_queries questions and
// stops at its deadline. A server that times out, refuses, answers without authority or refers
// sideways is lame: the next server of the step is asked.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "check/schedule.hpp"
#include "core/diagnostics.hpp"
#include "core/ip.hpp"

namespace hc::check {

// The addresses of the root servers in a BIND hints file (named.root / root.hints, the zone-file
// form `. NS a.root-servers.net.` / `a.root-servers.net. A 198.41.0.4`): the A and AAAA records of
// the names that "." has as NS. Comments (';'), blank lines, TTLs and the IN class are accepted;
// $-directives are refused. Errors go to `diags` with file:line:col, and at most max_hints
// addresses are kept.
std::vector<ip_address> parse_root_hints(std::string_view text, const std::string& file, diagnostics& diags);

// The bounds of one walk (all its zones and nested walks together).
struct delegation_limits {
  unsigned max_queries = 48;   // questions sent in all
  unsigned max_depth = 3;      // walks for glueless name server names, nested
  unsigned max_ns = 13;        // NS names taken from one referral
  unsigned max_servers = 8;    // addresses asked at one step (one at a time, the next on failure)
  bool ipv4 = true;            // address families that may be asked
  bool ipv6 = true;
};

// How a walk ended.
struct delegation_result {
  bool found = false;
  std::string zone;                    // the zone cut reached ("debugo.fr."), canonical
  std::vector<std::string> ns_names;   // the delegation's NS names, canonical
  std::vector<ip_address> addresses;   // their addresses (glue, or found by a nested walk)
  std::vector<std::string> cuts;       // the zone cuts passed, from "." to `zone`
  std::string failure;                 // why not, when !found
};

// One walker serves every walk of a plan, so the query budget and the deadline are shared.
class delegation_walker {
 public:
  using clock_fn = std::function<probes::clock::time_point()>;

  // `send` carries out the questions (execute() in a run, canned replies in tests), one at a time.
  // `roots`: the root hints. `deadline`: no question is sent after it.
  delegation_walker(send_fn send, std::vector<ip_address> roots, delegation_limits limits,
                    probes::clock::time_point deadline, clock_fn now = &probes::clock::now);

  // The servers authoritative for `zone` (canonical) by its public delegation. When `exact` is
  // false, `zone` is a name whose zone is unknown: the walk ends at whatever zone cut answers for
  // it with authority, but never at the root.
  delegation_result walk(const std::string& zone, bool exact = true);

  unsigned queries() const { return queries_; }

 private:
  struct step_reply;
  delegation_result walk_at(const std::string& qname, bool exact, unsigned depth);
  std::vector<ip_address> addresses_of(const std::string& ns_name, unsigned depth, std::string& why);
  bool ask(const ip_address& server, const std::string& qname, std::uint16_t qtype, step_reply& out, std::string& why);
  bool family_ok(const ip_address& a) const { return a.v6 ? limits_.ipv6 : limits_.ipv4; }

  send_fn send_;
  std::vector<ip_address> roots_;
  delegation_limits limits_;
  probes::clock::time_point deadline_;
  clock_fn now_;
  unsigned queries_ = 0;
  bool stopped_ = false;        // budget or deadline spent: every later walk fails at once
  std::string stop_reason_;
  std::vector<std::string> resolving_;  // NS names being resolved by nested walks (cycle guard)
};

// The most root server addresses parse_root_hints keeps.
inline constexpr std::size_t max_hints = 64;

}  // namespace hc::check
