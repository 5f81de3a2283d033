#pragma once
// A scratch directory for tests that need named.conf files on disk; removed at the end.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/diagnostics.hpp"

namespace bind_test {

class scratch_dir {
 public:
  scratch_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hc-bind-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  // Writes `text` to `name` (relative to the directory, parents created) and returns its full path.
  std::string write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// For the hostile-input tests of named.conf and zone files: a string that must never be printed,
// every diagnostic as one text, and the time a read took.
inline const std::string secret = "HC-SECRET-7f3a9c-do-not-print";

inline std::string all_text(const hc::diagnostics& d) {
  std::string out;
  for (const auto& x : d.all()) out += x.str() + "\n";
  return out;
}

inline bool has(const hc::diagnostics& d, const std::string& text) { return all_text(d).find(text) != std::string::npos; }

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace bind_test
