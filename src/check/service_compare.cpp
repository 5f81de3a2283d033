#include "check/service_compare.hpp"

#include <ctime>

#include <fmt/format.h>

#include "probes/tls.hpp"

namespace hc::check {

namespace {

using probes::probe_result;

std::string where(const probe_result& r) {
  return fmt::format("{} {}#{}", r.check.path.empty() ? "probe" : r.check.path, r.check.address, r.check.port);
}

std::string outcome_text(const probe_result& r) {
  if (r.check.ok) return r.check.detail.empty() ? std::string("works") : "works (" + r.check.detail + ")";
  return fmt::format("{} at stage {}: {}", r.failure ? name(*r.failure) : "fails", r.check.stage, r.check.detail);
}

finding base_finding(const probe_result& r, finding_kind kind, severity sev) {
  finding f;
  f.kind = kind;
  f.sev = sev;
  f.name = r.check.name;
  f.service = r.check.service;
  f.path = r.check.path;
  f.address = r.check.address;
  return f;
}

std::string lan_of(const service_compare_options& o) {
  return o.lan.empty() ? "<LAN>" : o.lan;
}

// The fix for a hairpin failure when the direct path works: what the router misses.
std::string hairpin_fix(const probe_result& hp, const probe_result& direct, const service_compare_options& o) {
  const auto& kind = hp.failure;
  auto pub = hp.check.address;
  auto internal = direct.check.address;
  auto port = direct.check.port;
  if (kind == finding_kind::timeout)
    return fmt::format(
        "direct works, hairpin times out: the router does not SNAT looped-back connections; add "
        "iptables -t nat -A POSTROUTING -s {} -d {} -p tcp --dport {} -j SNAT --to-source {}",
        lan_of(o), internal, port, pub);
  if (kind == finding_kind::refused)
    return fmt::format(
        "direct works, hairpin is refused: the router answers {} itself, its DNAT does not match "
        "connections from the LAN (e.g. it is limited to -i wan0); add iptables -t nat -A PREROUTING -d {} -p tcp "
        "--dport {} -j DNAT --to-destination {}",
        pub, pub, hp.check.port, internal);
  if (kind == finding_kind::reset)
    return fmt::format(
        "direct works, hairpin is reset: a firewall rejects the looped-back connection; allow it with "
        "iptables -A FORWARD -s {} -d {} -p tcp --dport {} -m conntrack --ctstate DNAT -j ACCEPT",
        lan_of(o), internal, port);
  if (kind == finding_kind::tls_verify)
    return fmt::format(
        "direct verifies, hairpin does not: through {} another server answers (the router's own "
        "interface?); forward {} port {} to {} for LAN clients too",
        pub, pub, hp.check.port, internal);
  if (kind == finding_kind::bad_status || kind == finding_kind::bad_banner || kind == finding_kind::no_starttls)
    return fmt::format(
        "direct works, hairpin does not: the public address {} leads to another server than {}; point the "
        "DNAT for port {} at {}",
        pub, internal, hp.check.port, internal);
  return hp.hint;
}

// The fix for a direct failure when the hairpin works.
std::string direct_fix(const probe_result& direct, const probe_result& hp) {
  return fmt::format(
      "hairpin works, direct does not: the internal view names {} but the service answers through {} "
      "only; correct the internal view's address or let LAN clients reach the server ({})",
      direct.check.address, hp.check.address, direct.hint);
}

std::int64_t now_of(const service_compare_options& o) {
  return o.now != 0 ? o.now : static_cast<std::int64_t>(std::time(nullptr));
}

std::string short_fp(const std::string& fp) {
  return fp.size() > 16 ? fp.substr(0, 16) + "…" : fp;
}

std::string cert_text(const probes::tls_outcome& t) {
  std::string names;
  for (const auto& n : t.names) names += (names.empty() ? "" : ",") + n;
  return fmt::format("sha256 {} ({}{}{})", short_fp(t.fingerprint_sha256), t.subject, names.empty() ? "" : " DNS:",
                     names);
}

void add_failure(std::vector<finding>& out, const probe_result& r, const probe_result* other,
                 const service_compare_options& o) {
  // A failed probe without a kind is a fault of ours, never an OK and never the server's.
  if (!r.failure && r.check.ok) return;
  const finding_kind kind = r.failure.value_or(finding_kind::not_checked);
  auto f = base_finding(r, kind, default_severity(kind));
  f.evidence = where(r) + " " + outcome_text(r);
  if (other) f.evidence += "; " + where(*other) + " " + outcome_text(*other);
  if (other && other->check.ok && r.check.path == "hairpin")
    f.fix = hairpin_fix(r, *other, o);
  else if (other && other->check.ok && r.check.path == "direct")
    f.fix = direct_fix(r, *other);
  else if (kind == finding_kind::not_checked)
    f.fix = r.hint.empty() ? "internal error: nothing is known about the server; report it with the detail" : r.hint;
  else if (other && other->failure && other->failure == r.failure)
    f.fix = "both paths fail the same way, so the service itself is at fault: " + r.hint;
  else
    f.fix = r.hint;
  out.push_back(std::move(f));
}

void add_expiry(std::vector<finding>& out, const probe_result& r, const service_compare_options& o) {
  if (!r.tls || !r.tls->not_after || r.failure == finding_kind::tls_verify) return;
  auto days = probes::tls_days_left(*r.tls->not_after, now_of(o));
  severity sev;
  if (days < o.critical_days)
    sev = severity::critical;
  else if (days < o.warning_days)
    sev = severity::warning;
  else
    return;
  auto f = base_finding(r, finding_kind::cert_expiry, sev);
  std::time_t t = static_cast<std::time_t>(*r.tls->not_after);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", &tm);
  f.evidence = fmt::format("{}: certificate {} {} {} days (not after {}), thresholds {}/{} days", where(r),
                           cert_text(*r.tls), days < 0 ? "expired" : "expires in", days < 0 ? -days : days, date,
                           o.warning_days, o.critical_days);
  f.fix = fmt::format("renew the certificate for {} and reload the service", r.check.name);
  out.push_back(std::move(f));
}

}  // namespace

std::vector<finding> service_findings(const probe_result& result, const service_compare_options& options) {
  return compare_service(result.check.path == "direct" ? nullptr : &result,
                         result.check.path == "direct" ? &result : nullptr, options);
}

std::vector<finding> compare_service(const probe_result* hairpin, const probe_result* direct,
                                     const service_compare_options& options) {
  std::vector<finding> out;
  if (hairpin) add_failure(out, *hairpin, direct, options);
  if (direct) add_failure(out, *direct, hairpin, options);

  if (hairpin && direct && hairpin->check.ok && direct->check.ok) {
    std::vector<std::string> differences;
    const auto& a = hairpin->tls;
    const auto& b = direct->tls;
    if (a && b && !a->fingerprint_sha256.empty() && !b->fingerprint_sha256.empty() &&
        a->fingerprint_sha256 != b->fingerprint_sha256)
      differences.push_back(fmt::format("certificate: {} {}, {} {}", where(*hairpin), cert_text(*a), where(*direct),
                                        cert_text(*b)));
    auto ha = hairpin->facts.find("banner_host");
    auto hb = direct->facts.find("banner_host");
    if (ha != hairpin->facts.end() && hb != direct->facts.end() && ha->second != hb->second)
      differences.push_back(fmt::format("SMTP banner host: {} '{}', {} '{}'", where(*hairpin), ha->second,
                                        where(*direct), hb->second));
    if (hairpin->check.service == "imaps" && hairpin->banner != direct->banner)
      differences.push_back(fmt::format("IMAP greeting: {} '* {}', {} '* {}'", where(*hairpin), hairpin->banner,
                                        where(*direct), direct->banner));
    if (!differences.empty()) {
      auto f = base_finding(*hairpin, finding_kind::different_backend, default_severity(finding_kind::different_backend));
      for (const auto& d : differences) f.evidence += (f.evidence.empty() ? "" : "; ") + d;
      f.fix = fmt::format(
          "the hairpin ({}) and the direct address ({}) reach different servers: point the router's DNAT for "
          "port {} at {}, or correct the internal view's address",
          hairpin->check.address, direct->check.address, hairpin->check.port, direct->check.address);
      out.push_back(std::move(f));
    }
  }

  std::string seen_fp;
  for (const auto* r : {hairpin, direct}) {
    if (!r) continue;
    if (r->tls && !r->tls->fingerprint_sha256.empty()) {
      if (r->tls->fingerprint_sha256 == seen_fp) continue;
      if (seen_fp.empty()) seen_fp = r->tls->fingerprint_sha256;
    }
    add_expiry(out, *r, options);
  }
  return out;
}

}  // namespace hc::check
