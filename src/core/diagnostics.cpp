#include "core/diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/input_file.hpp"

namespace hc {

std::string source_location::str() const {
  if (line == 0) return escape_text(file, 4096);
  if (column == 0) return fmt::format("{}:{}", escape_text(file, 4096), line);
  return fmt::format("{}:{}:{}", escape_text(file, 4096), line, column);
}

std::string diagnostic::str() const {
  std::string out = where.file.empty() ? message : fmt::format("{}: {}", where.str(), message);
  if (!near.empty()) out += fmt::format(" near '{}'", near);
  return out;
}

namespace {

bool printable(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '\'' && c != '\\'; }

}  // namespace

std::string escape_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t n = std::min(text.size(), max_bytes);
  out.reserve(n + 8);
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (printable(c)) out += static_cast<char>(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

std::string describe_token(std::string_view token) {
  if (token.size() == 1 && std::string_view("{};()").find(token[0]) != std::string_view::npos) return std::string(token);
  bool quoted = token.size() >= 1 && token[0] == '"';
  std::string out = fmt::format("{} of {} bytes", quoted ? "a quoted string" : "a word", token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    auto c = static_cast<unsigned char>(token[i]);
    if (c < 0x20 || c >= 0x7f) {
      out += fmt::format(", first unusual byte 0x{:02x} at offset {}", c, i);
      break;
    }
  }
  return out;
}

// The message of a diagnostic is the reader's own text, but it may name a file or, cut, a token:
// control bytes in it are escaped so that nothing can start a new line in Nagios or a mail.
static std::string safe_message(std::string m) {
  bool clean = std::all_of(m.begin(), m.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
  return clean ? m : escape_text(m, m.size());
}

void diagnostics::error(source_location where, std::string message, std::string near) {
  add({std::move(where), std::move(message), std::move(near), true});
}

void diagnostics::warning(source_location where, std::string message, std::string near) {
  add({std::move(where), std::move(message), std::move(near), false});
}

void diagnostics::mark_private(const std::string& file) { private_.insert(file); }

void diagnostics::count_dropped(tally& t, const diagnostic& d, const std::string& what) {
  ++t.dropped;
  std::string msg = fmt::format("... and {} more {}", t.dropped, what);
  if (t.summary == SIZE_MAX) {
    // At the first one held back: a position, as every diagnostic has.
    t.summary = items_.size();
    items_.push_back({d.where, std::move(msg), {}, d.is_error});
  } else {
    items_[t.summary].message = std::move(msg);
    items_[t.summary].is_error = items_[t.summary].is_error || d.is_error;
  }
}

void diagnostics::add(diagnostic d) {
  d.message = safe_message(std::move(d.message));
  if (!d.near.empty()) d.near = is_private(d.where.file) ? describe_token(d.near) : escape_text(d.near);
  const auto& limits = input_limits::current();
  auto& file = per_file_[d.where.file];
  auto& kind = per_kind_[{d.where.file, d.message}];
  if (kind.shown >= limits.max_diagnostics_per_kind) {
    std::string what = d.message.size() > 80 ? d.message.substr(0, 80) + "..." : d.message;
    count_dropped(kind, d, fmt::format("like '{}' in this file", what));
    return;
  }
  if (file.shown >= limits.max_diagnostics_per_file) {
    count_dropped(file, d, "errors or warnings in this file");
    return;
  }
  ++kind.shown;
  ++file.shown;
  items_.push_back(std::move(d));
}

bool diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const diagnostic& d) { return d.is_error; });
}

void diagnostics::append(const diagnostics& other) {
  // Already escaped and capped by `other` (each zone file has its own diagnostics).
  private_.insert(other.private_.begin(), other.private_.end());
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

}  // namespace hc
