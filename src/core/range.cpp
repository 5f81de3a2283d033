#include "core/range.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <optional>

#include "core/diagnostics.hpp"

namespace hc {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// A plain decimal number: [+-]digits[.digits], [+-]digits., [+-].digits. Nothing else.
std::optional<double> decimal(std::string_view s) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  std::size_t digits = 0, dots = 0;
  for (char c : body) {
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == '.')
      ++dots;
    else
      return std::nullopt;
  }
  if (digits == 0 || dots > 1) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::fixed);
  if (ec != std::errc{} || end != body.data() + body.size() || !std::isfinite(v)) return std::nullopt;
  return negative ? -v : v;
}

// The shortest fixed notation that reads back as exactly `v`.
std::string fixed(double v) {
  if (v == 0) return "0";  // also -0
  for (int decimals = 0; decimals <= 340; ++decimals) {
    std::string s = fmt::format("{:.{}f}", v, decimals);
    double back = 0;
    const char* first = s.data();
    if (*first == '-') ++first;
    std::from_chars(first, s.data() + s.size(), back, std::chars_format::fixed);
    if ((s[0] == '-' ? -back : back) == v) return s;
  }
  return fmt::format("{:.340f}", v);
}

}  // namespace

nagios_range nagios_range::parse(std::string_view original) {
  auto fail = [&](std::string_view why) {
    return input_error(fmt::format(
        "'{}' is not a Nagios range ({}); use N, N:, ~:N, N:M or @N:M, e.g. 10 or @0:2.5", original, why));
  };
  std::string_view s = trim(original);
  if (s.empty()) throw fail("it is empty");
  nagios_range r;
  if (s.front() == '@') {
    r.inside_ = true;
    s.remove_prefix(1);
    if (s.empty()) throw fail("nothing after '@'");
  }
  const auto colon = s.find(':');
  std::string_view start_text, end_text = s;
  if (colon != std::string_view::npos) {
    start_text = s.substr(0, colon);
    end_text = s.substr(colon + 1);
    if (end_text.find(':') != std::string_view::npos) throw fail("more than one ':'");
    if (start_text.empty() && end_text.empty()) throw fail("no number on either side of ':'");
    if (start_text == "~") {
      r.start_infinite_ = true;
    } else if (!start_text.empty()) {
      auto v = decimal(start_text);
      if (!v) throw fail(fmt::format("the start '{}' is not a finite decimal number", start_text));
      r.start_ = *v;
      r.start_written_ = true;
    }
    if (end_text.empty()) r.end_infinite_ = true;
  } else if (end_text == "~") {
    throw fail("'~' stands for minus infinity and needs a ':' after it, as in ~:10");
  }
  if (!r.end_infinite_) {
    auto v = decimal(end_text);
    if (!v) throw fail(fmt::format("'{}' is not a finite decimal number", end_text));
    r.end_ = *v;
  }
  if (!r.start_infinite_ && !r.end_infinite_ && r.start_ > r.end_)
    throw fail(fmt::format("the start {} is above the end {}", fixed(r.start_), fixed(r.end_)));
  if (r.start_ == 0) r.start_ = 0;  // no -0
  if (r.end_ == 0) r.end_ = 0;
  return r;
}

bool nagios_range::alerts(double value) const {
  if (std::isnan(value)) return true;
  const bool within = (start_infinite_ || value >= start_) && (end_infinite_ || value <= end_);
  return inside_ ? within : !within;
}

std::string nagios_range::str() const {
  std::string s = inside_ ? "@" : "";
  if (!start_infinite_ && !start_written_ && !end_infinite_) return s + fixed(end_);
  s += start_infinite_ ? "~" : fixed(start_);
  s += ':';
  if (!end_infinite_) s += fixed(end_);
  return s;
}

}  // namespace hc
