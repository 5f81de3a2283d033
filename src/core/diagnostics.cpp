#include "core/diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace hc {

std::string source_location::str() const {
  if (line == 0) return file;
  if (column == 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string diagnostic::str() const {
  std::string out = where.file.empty() ? message : fmt::format("{}: {}", where.str(), message);
  if (!near.empty()) out += fmt::format(" near '{}'", near);
  return out;
}

void diagnostics::error(source_location where, std::string message, std::string near) {
  items_.push_back({std::move(where), std::move(message), std::move(near), true});
}

void diagnostics::warning(source_location where, std::string message, std::string near) {
  items_.push_back({std::move(where), std::move(message), std::move(near), false});
}

bool diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(), [](const diagnostic& d) { return d.is_error; });
}

void diagnostics::append(const diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

}  // namespace hc
