#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include "core/diagnostics.hpp"
#include "report/report.hpp"

namespace fs = std::filesystem;
using hc::report::write_textfile_atomically;

namespace {

// A fresh directory under the system temporary directory, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "hc-report-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("textfile: creates, then replaces, leaving no temporary file") {
  temp_dir d;
  const fs::path target = d.path / "hairpin.prom";
  write_textfile_atomically(target.string(), "hairpin_up 1\n");
  CHECK(slurp(target) == "hairpin_up 1\n");
  const std::string big(1 << 20, 'x');
  write_textfile_atomically(target.string(), big);
  CHECK(slurp(target) == big);
  write_textfile_atomically(target.string(), "");
  CHECK(slurp(target).empty());
  CHECK(entries(d.path) == 1);
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("textfile: a relative path writes in the current directory") {
  temp_dir d;
  const fs::path before = fs::current_path();
  fs::current_path(d.path);
  write_textfile_atomically("rel.prom", "a 1\n");
  fs::current_path(before);
  CHECK(slurp(d.path / "rel.prom") == "a 1\n");
}

TEST_CASE("textfile: failures throw input_error naming the path and clean up") {
  temp_dir d;
  const fs::path missing = d.path / "no-such-dir" / "x.prom";
  CHECK_THROWS_WITH_AS(write_textfile_atomically(missing.string(), "x"),
                       doctest::Contains(doctest::String(missing.string().c_str())), hc::input_error);
  // Renaming over a non-empty directory fails after the temporary file was written: it must go.
  fs::create_directory(d.path / "taken.prom");
  std::ofstream(d.path / "taken.prom" / "inside") << "x";
  CHECK_THROWS_AS(write_textfile_atomically((d.path / "taken.prom").string(), "data"), hc::input_error);
  CHECK(entries(d.path) == 1);
  CHECK_THROWS_AS(write_textfile_atomically("", "x"), hc::input_error);
  CHECK_THROWS_AS(write_textfile_atomically((d.path / "..").string(), "x"), hc::input_error);
}
