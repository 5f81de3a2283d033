#include "report/format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <ctime>
#include <functional>

namespace hc::report::detail {

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "0";
  decimals = std::clamp(decimals, 0, 9);
  char buf[512];  // the largest double has 309 integer digits
  int n = std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return "0";
  std::string s(buf, static_cast<std::size_t>(std::max(n, 0)));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

double round_us(double seconds) {
  if (!std::isfinite(seconds)) return 0;
  const double r = std::round(seconds * 1e6) / 1e6;
  return std::isfinite(r) ? r : seconds;
}

severity finding_list::sev(std::size_t i) const { return sev_of(items_[i]); }

finding_kind finding_list::kind(std::size_t i) const { return kind_of(items_[i]); }

severity finding_list::sev_of(std::size_t v) const {
  return v & compact_bit ? run_->compact.facts[v & ~compact_bit].reported_severity() : run_->findings[v].sev;
}

finding_kind finding_list::kind_of(std::size_t v) const {
  return v & compact_bit ? run_->compact.facts[v & ~compact_bit].kind : run_->findings[v].kind;
}

std::string_view finding_list::name(std::size_t i) const {
  const std::size_t v = items_[i];
  if (!(v & compact_bit)) return run_->findings[v].name;
  return run_->compact.renderer->name_of(run_->compact.facts[v & ~compact_bit]);
}

std::size_t finding_list::count(std::size_t i) const {
  const std::size_t v = items_[i];
  return v & compact_bit ? 0 : run_->findings[v].count;
}

const finding* finding_list::plain(std::size_t i) const {
  const std::size_t v = items_[i];
  return v & compact_bit ? nullptr : &run_->findings[v];
}

const finding& finding_list::at(std::size_t i) const {
  const std::size_t v = items_[i];
  if (!(v & compact_bit)) return run_->findings[v];
  run_->compact.render(v & ~compact_bit, scratch_);
  return scratch_;
}

namespace {

// report_order(the finding compact fact k stands for, f), rendering it only when severity, kind,
// name and zone all tie (report_order's first keys).
bool compact_before(const compact_findings& cs, std::size_t k, const finding& f, finding& scratch) {
  const compact_finding& c = cs.facts[k];
  const severity s = c.reported_severity();
  if (s != f.sev) return s > f.sev;
  if (c.kind != f.kind) return name(c.kind) < name(f.kind);
  const std::string_view n = cs.renderer->name_of(c);
  if (n != f.name) return n < f.name;
  const std::string_view z = cs.renderer->zone_of(c);
  if (z != f.zone) return z < f.zone;
  cs.render(k, scratch);
  return report_order(scratch, f);
}

}  // namespace

finding_list sorted_findings(const run_result& result) {
  finding_list list;
  list.run_ = &result;
  auto& out = list.items_;
  const std::size_t nf = result.findings.size(), nc = result.compact.facts.size();
  out.reserve(nf + nc);
  // As for_each_finding: `findings` in their order, the compact facts (in report order) merged in.
  std::size_t i = 0, k = 0;
  while (i < nf || k < nc) {
    if (k >= nc || (i < nf && !compact_before(result.compact, k, result.findings[i], list.scratch_)))
      out.push_back(i++);
    else
      out.push_back(finding_list::compact_bit | k++);
  }
  auto before = [&list](std::size_t a, std::size_t b) {
    const severity sa = list.sev_of(a), sb = list.sev_of(b);
    if (sa != sb) return sa > sb;
    return name(list.kind_of(a)) < name(list.kind_of(b));
  };
  // The runner hands them over in this order already; sort only what comes from elsewhere.
  if (!std::is_sorted(out.begin(), out.end(), before)) std::stable_sort(out.begin(), out.end(), before);
  return list;
}

std::size_t count(const run_result& result, severity s) {
  return static_cast<std::size_t>(std::count_if(result.findings.begin(), result.findings.end(),
                                                [s](const finding& f) { return f.sev == s; })) +
         static_cast<std::size_t>(std::count_if(result.compact.facts.begin(), result.compact.facts.end(),
                                                [s](const compact_finding& c) { return c.reported_severity() == s; }));
}

std::string iso8601_utc(std::int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return std::to_string(unix_time);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return n ? std::string(buf, n) : std::to_string(unix_time);
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

std::string valid_utf8(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  std::size_t i = 0;
  while (i < t.size()) {
    // A run of ASCII goes in one piece.
    std::size_t ascii = i;
    while (ascii < t.size() && static_cast<unsigned char>(t[ascii]) < 0x80) ++ascii;
    if (ascii > i) {
      out.append(t.substr(i, ascii - i));
      i = ascii;
      continue;
    }
    const auto b = static_cast<unsigned char>(t[i]);
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b < 0x80) len = 1;
    else if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;       // no overlong forms
      if (b == 0xED) hi = 0x9F;       // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;       // nothing above U+10FFFF
    }
    bool ok = len != 0 && i + len <= t.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(t[i + k]);
      ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF);
    }
    if (ok) {
      out.append(t.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string truncate_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  if (max < 3) return std::string(max, '.');
  std::size_t cut = max - 3;
  // Step back over continuation bytes so a multi-byte character is not split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

long long days_left(std::int64_t not_after, std::int64_t now) {
  // In 128 bits: a hostile certificate date near the int64 limits must not overflow.
  const __int128 wide = static_cast<__int128>(not_after) - static_cast<__int128>(now);
  const long long diff = wide > INT64_MAX ? INT64_MAX : wide < INT64_MIN + 86400 ? INT64_MIN + 86400 : static_cast<long long>(wide);
  // Floor division, so a certificate that expired an hour ago has -1 days.
  long long d = diff / 86400;
  if (diff % 86400 != 0 && diff < 0) --d;
  return d;
}

}  // namespace hc::report::detail
