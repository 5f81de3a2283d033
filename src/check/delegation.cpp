#include "check/delegation.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "core/dns_text.hpp"

namespace hc::check {
namespace {

constexpr std::uint16_t type_a = 1, type_ns = 2, type_aaaa = 28;
constexpr std::size_t max_reasons = 3;      // reasons kept for one failed step
constexpr unsigned max_steps = 128;         // zone cuts in one walk (a name has at most 127 labels)

struct word {
  std::string text;
  std::uint32_t column = 0;
};

std::vector<word> split_line(std::string_view line) {
  std::vector<word> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size() || line[i] == ';') break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' && line[j] != ';') ++j;
    out.push_back({std::string(line.substr(i, j - i)), static_cast<std::uint32_t>(i + 1)});
    i = j;
  }
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "owner TYPE rdata" of a canonical record text.
struct record {
  std::string owner, type, rdata;
};

std::optional<record> split_record(const std::string& rr) {
  auto a = rr.find(' ');
  if (a == std::string::npos) return std::nullopt;
  auto b = rr.find(' ', a + 1);
  if (b == std::string::npos) return std::nullopt;
  return record{rr.substr(0, a), rr.substr(a + 1, b - a - 1), rr.substr(b + 1)};
}

// Is `name` equal to `zone` or below it? Both canonical.
bool at_or_below(const std::string& name, const std::string& zone) {
  if (zone == ".") return true;
  if (name == zone) return true;
  return name.size() > zone.size() && name.compare(name.size() - zone.size(), zone.size(), zone) == 0 &&
         name[name.size() - zone.size() - 1] == '.';
}

std::string join_reasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (std::size_t i = 0; i < reasons.size() && i < max_reasons; ++i) out += (out.empty() ? "" : "; ") + reasons[i];
  if (reasons.size() > max_reasons) out += fmt::format("; and {} more", reasons.size() - max_reasons);
  return out.empty() ? "no server to ask" : out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 4; ++i) out += (out.empty() ? "" : ", ") + display_name(names[i]);
  if (names.size() > 4) out += fmt::format(" and {} more", names.size() - 4);
  return out;
}

// "the root servers", "the fr servers".
std::string servers_of(const std::string& zone) {
  return zone == "." ? std::string("the root servers") : "the " + display_name(zone) + " servers";
}

// IPv4 first, in their order: a vantage point without IPv6 connectivity is the common case, and an
// IPv6 address that blackholes costs a whole probe timeout.
void ipv4_first(std::vector<ip_address>& v) {
  std::stable_partition(v.begin(), v.end(), [](const ip_address& a) { return !a.v6; });
}

delegation_result failed(std::string why) {
  delegation_result r;
  r.failure = std::move(why);
  return r;
}

}  // namespace

std::vector<ip_address> parse_root_hints(std::string_view text, const std::string& file, diagnostics& diags) {
  std::vector<std::string> roots;  // NS names of "."
  std::vector<std::pair<std::string, ip_address>> addresses;
  std::string owner;
  std::uint32_t line_no = 0;
  std::size_t pos = 0;
  bool errors = false;
  auto error = [&](std::uint32_t col, const std::string& msg, const std::string& near) {
    diags.error({file, line_no, col}, msg, near);
    errors = true;
  };
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    auto w = split_line(line);
    if (w.empty()) continue;
    std::size_t i = 0;
    if (line.front() != ' ' && line.front() != '\t') {
      if (w[0].text.front() == '$') {
        error(w[0].column, "directives are not supported in a root hints file", w[0].text);
        continue;
      }
      owner = canonical_name(w[0].text);
      i = 1;
    } else if (owner.empty()) {
      error(w[0].column, "a record without an owner name", w[0].text);
      continue;
    }
    // [TTL] [IN] or [IN] [TTL]
    for (int k = 0; k < 2 && i < w.size(); ++k)
      if (all_digits(w[i].text) || upper(w[i].text) == "IN") ++i;
    if (i >= w.size()) {
      error(w.back().column, "a record without a type", w.back().text);
      continue;
    }
    const std::string type = upper(w[i].text);
    if (type != "NS" && type != "A" && type != "AAAA") continue;  // other records say nothing about the roots
    if (i + 2 != w.size()) {
      error(i + 1 < w.size() ? w[i + 1].column : w[i].column,
            i + 1 < w.size() ? "one value expected after the type" : "a record without a value",
            i + 1 < w.size() ? w.back().text : w[i].text);
      continue;
    }
    const word& value = w[i + 1];
    if (type == "NS") {
      if (owner != ".") {
        error(w[0].column, "a root hints file holds NS records of the root '.' only", w[0].text);
        continue;
      }
      auto target = canonical_name(value.text);
      if (roots.size() < max_hints && std::find(roots.begin(), roots.end(), target) == roots.end())
        roots.push_back(std::move(target));
      continue;
    }
    auto a = ip_address::parse(value.text);
    if (!a || a->v6 != (type == "AAAA")) {
      error(value.column, fmt::format("not an IPv{} address", type == "A" ? 4 : 6), value.text);
      continue;
    }
    if (addresses.size() < max_hints) addresses.emplace_back(owner, *a);
  }
  std::vector<ip_address> out;
  if (errors) return out;
  if (roots.empty()) {
    diags.error({file, 0, 0}, "no NS record for the root '.' in the root hints file");
    return out;
  }
  for (const auto& r : roots)
    for (const auto& [name, a] : addresses)
      if (name == r && out.size() < max_hints && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  if (out.empty()) diags.error({file, 0, 0}, "no address for any root server in the root hints file");
  return out;
}

// What one server said at one step.
struct delegation_walker::step_reply {
  int rcode = -1;
  bool aa = false;
  std::vector<std::string> answer, authority, additional;
};

delegation_walker::delegation_walker(send_fn send, std::vector<ip_address> roots, delegation_limits limits,
                                     probes::clock::time_point deadline, clock_fn now)
    : send_(std::move(send)), roots_(std::move(roots)), limits_(limits), deadline_(deadline), now_(std::move(now)) {}

bool delegation_walker::ask(const ip_address& server, const std::string& qname, std::uint16_t qtype, step_reply& out,
                            std::string& why) {
  if (!stopped_ && queries_ >= limits_.max_queries) {
    stopped_ = true;
    stop_reason_ = fmt::format("the walk's bound of {} questions was reached", limits_.max_queries);
  }
  if (!stopped_ && now_() >= deadline_) {
    stopped_ = true;
    stop_reason_ = "the walk's deadline came first";
  }
  if (stopped_) {
    why = stop_reason_;
    return false;
  }
  ++queries_;
  probes::probe_request q;
  q.name = display_name(qname);
  q.service = "dns/udp";
  q.path = "delegation";
  q.target = {server, 53};
  q.qname = qname;
  q.qtype = qtype;
  q.recursion_desired = false;
  auto results = send_({q});
  if (results.size() != 1) {
    why = fmt::format("{}: no result", server.str());
    return false;
  }
  const auto& r = results.front();
  if (r.check.stage == "deadline") {
    stopped_ = true;
    stop_reason_ = "the run's deadline came first";
    why = stop_reason_;
    return false;
  }
  if (!r.check.ok || !r.dns || r.dns->rcode < 0) {
    why = fmt::format("{}: {}", server.str(), r.check.detail.empty() ? std::string("no answer") : r.check.detail);
    return false;
  }
  out.rcode = r.dns->rcode;
  out.aa = r.dns->aa;
  out.answer = r.dns->answer;
  out.authority = r.dns->authority;
  out.additional = r.dns->additional;
  return true;
}

delegation_result delegation_walker::walk(const std::string& zone, bool exact) {
  return walk_at(canonical_name(zone), exact, 0);
}

std::vector<ip_address> delegation_walker::addresses_of(const std::string& ns_name, unsigned depth, std::string& why) {
  if (depth >= limits_.max_depth) {
    why = fmt::format("{} has no glue and the walks for glueless names are {} deep already", display_name(ns_name),
                      limits_.max_depth);
    return {};
  }
  if (std::find(resolving_.begin(), resolving_.end(), ns_name) != resolving_.end()) {
    why = fmt::format("{} has no glue and its own delegation depends on it (a cycle)", display_name(ns_name));
    return {};
  }
  resolving_.push_back(ns_name);
  auto r = walk_at(ns_name, false, depth + 1);
  resolving_.pop_back();
  if (!r.found) why = fmt::format("{} (no glue): {}", display_name(ns_name), r.failure);
  return r.addresses;
}

// Walks to the servers with authority for `qname`. depth 0 asks NS of a zone (`exact`: the walk
// must end at that very zone cut); a nested walk (depth > 0) asks the address of a name server and
// returns the addresses in its answer.
delegation_result delegation_walker::walk_at(const std::string& qname, bool exact, unsigned depth) {
  const bool address_walk = depth > 0;
  const std::uint16_t qtype = !address_walk ? type_ns : limits_.ipv4 ? type_a : type_aaaa;
  std::vector<ip_address> servers;
  for (const auto& a : roots_)
    if (family_ok(a)) servers.push_back(a);
  ipv4_first(servers);
  if (servers.size() > limits_.max_servers) servers.resize(limits_.max_servers);
  if (servers.empty()) return failed("no root server address to start from (root hints)");
  delegation_result r;
  r.zone = ".";
  r.cuts = {"."};
  std::vector<std::string> ns_names;
  for (unsigned step = 0; step < max_steps; ++step) {
    std::vector<std::string> reasons;
    bool moved = false;
    for (const auto& server : servers) {
      step_reply rep;
      std::string why;
      if (!ask(server, qname, qtype, rep, why)) {
        if (stopped_) return failed(why);
        reasons.push_back(std::move(why));
        continue;
      }
      // An answer with authority: the walk ends at this zone cut.
      if (rep.aa && (rep.rcode == 0 || rep.rcode == 3)) {
        if (rep.rcode == 3)
          return failed(fmt::format("{} answer with authority that {} does not exist", servers_of(r.zone),
                                    display_name(qname)));
        if (address_walk) {
          for (const auto& rr : rep.answer) {
            auto rec = split_record(rr);
            if (!rec || canonical_name(rec->owner) != qname || (rec->type != "A" && rec->type != "AAAA")) continue;
            auto a = ip_address::parse(rec->rdata);
            if (a && family_ok(*a) && r.addresses.size() < limits_.max_servers) r.addresses.push_back(*a);
          }
          if (r.addresses.empty())
            return failed(fmt::format("{} give no address for it", servers_of(r.zone)));
          r.found = true;
          return r;
        }
        if (exact && r.zone != qname && rep.rcode == 0) {
          // The parent's servers serve the zone too (answering with its NS set, with authority):
          // they are its servers.
          std::vector<std::string> names;
          for (const auto& rr : rep.answer) {
            auto rec = split_record(rr);
            if (rec && rec->type == "NS" && canonical_name(rec->owner) == qname && names.size() < limits_.max_ns)
              names.push_back(canonical_name(rec->rdata));
          }
          if (!names.empty()) {
            std::vector<ip_address> addresses;
            for (const auto& rr : rep.additional) {
              auto rec = split_record(rr);
              if (!rec || (rec->type != "A" && rec->type != "AAAA")) continue;
              if (std::find(names.begin(), names.end(), canonical_name(rec->owner)) == names.end()) continue;
              auto a = ip_address::parse(rec->rdata);
              if (a && family_ok(*a) && addresses.size() < limits_.max_servers &&
                  std::find(addresses.begin(), addresses.end(), *a) == addresses.end())
                addresses.push_back(*a);
            }
            if (addresses.empty()) addresses.push_back(server);
            r.found = true;
            r.zone = qname;
            r.cuts.push_back(qname);
            r.ns_names = std::move(names);
            r.addresses = std::move(addresses);
            return r;
          }
        }
        if (exact && r.zone != qname)
          return failed(fmt::format("not delegated: {} answer for {} themselves, with authority",
                                    servers_of(r.zone), display_name(qname)));
        if (r.zone == ".")
          return failed(fmt::format("the root servers answer for {} themselves", display_name(qname)));
        r.found = true;
        r.ns_names = ns_names;
        r.addresses = servers;
        return r;
      }
      // A referral: NS records of one zone cut, strictly below this one and at or above the name.
      std::string cut;
      std::vector<std::string> names;
      bool bad = rep.rcode != 0;
      for (const auto& rr : rep.authority) {
        auto rec = split_record(rr);
        if (!rec || rec->type != "NS") continue;
        auto owner = canonical_name(rec->owner);
        if (cut.empty()) cut = owner;
        if (owner != cut) {
          bad = true;
          break;
        }
        auto target = canonical_name(rec->rdata);
        if (names.size() < limits_.max_ns && std::find(names.begin(), names.end(), target) == names.end())
          names.push_back(std::move(target));
      }
      if (bad || cut.empty() || names.empty()) {
        reasons.push_back(fmt::format("{}: lame, {} without authority and without a referral", server.str(),
                                      rep.rcode == 0 ? std::string("an answer") : fmt::format("rcode {}", rep.rcode)));
        continue;
      }
      if (cut == r.zone || !at_or_below(cut, r.zone) || !at_or_below(qname, cut)) {
        reasons.push_back(fmt::format("{}: lame, a referral to {} from {} does not lead towards {}", server.str(),
                                      display_name(cut), display_name(r.zone), display_name(qname)));
        continue;
      }
      // Glue: addresses of the referral's own NS names, under the zone cut that gave them.
      std::vector<ip_address> next;
      for (const auto& rr : rep.additional) {
        auto rec = split_record(rr);
        if (!rec || (rec->type != "A" && rec->type != "AAAA")) continue;
        auto owner = canonical_name(rec->owner);
        if (std::find(names.begin(), names.end(), owner) == names.end() || !at_or_below(owner, r.zone)) continue;
        auto a = ip_address::parse(rec->rdata);
        if (a && family_ok(*a) && next.size() < limits_.max_servers &&
            std::find(next.begin(), next.end(), *a) == next.end())
          next.push_back(*a);
      }
      std::vector<std::string> glueless_why;
      ipv4_first(next);
      if (next.empty())
        for (const auto& n : names) {
          std::string why2;
          for (const auto& a : addresses_of(n, depth, why2))
            if (next.size() < limits_.max_servers && std::find(next.begin(), next.end(), a) == next.end())
              next.push_back(a);
          if (!next.empty()) break;
          if (stopped_) return failed(stop_reason_);
          glueless_why.push_back(std::move(why2));
        }
      if (next.empty())
        return failed(fmt::format("no address for any name server of {} ({}): {}", display_name(cut), join_names(names),
                                  join_reasons(glueless_why)));
      r.zone = cut;
      r.cuts.push_back(cut);
      ns_names = std::move(names);
      servers = std::move(next);
      moved = true;
      break;
    }
    if (!moved) {
      std::string who = r.zone == "." ? std::string("root") : display_name(r.zone);
      return failed(fmt::format("no {} server answered with authority or a referral for {}: {}", who,
                                display_name(qname), join_reasons(reasons)));
    }
  }
  return failed("too many zone cuts");
}

}  // namespace hc::check
