#include <doctest/doctest.h>

#include <chrono>
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

TEST_CASE("textfile: remove_stale_temporaries removes only our own old temporaries") {
  temp_dir d;
  const fs::path target = d.path / "hairpin.prom";
  auto make = [&](const std::string& name, std::chrono::seconds age) {
    std::ofstream(d.path / name) << "x";
    fs::last_write_time(d.path / name, fs::file_time_type::clock::now() - age);
  };
  using std::chrono::seconds;
  make(".hairpin.prom.tmp.AbC123", seconds(3600));  // a killed run's: removed
  make(".hairpin.prom.tmp.Zz9Zz9", seconds(20));    // older than the deadline: removed
  make(".hairpin.prom.tmp.Fresh1", seconds(0));     // a run under way: kept
  make(".hairpin.prom.tmp.Young1", seconds(5));     // younger than the deadline: kept
  make(".other.prom.tmp.AbC123", seconds(3600));    // another file's: kept
  make(".hairpin.prom.tmp.AbC12", seconds(3600));   // not mkstemp's six characters: kept
  make(".hairpin.prom.tmp.AbC-23", seconds(3600));  // not letters and digits: kept
  make("hairpin.prom.tmp.AbC123", seconds(3600));   // not hidden: kept
  fs::create_directory(d.path / ".hairpin.prom.tmp.Dir123");
  fs::last_write_time(d.path / ".hairpin.prom.tmp.Dir123", fs::file_time_type::clock::now() - seconds(3600));
  fs::create_symlink(d.path / "hairpin.prom.tmp.AbC123", d.path / ".hairpin.prom.tmp.Link12");

  CHECK(hc::report::remove_stale_temporaries(target.string(), seconds(10)) == 2);
  CHECK_FALSE(fs::exists(d.path / ".hairpin.prom.tmp.AbC123"));
  CHECK_FALSE(fs::exists(d.path / ".hairpin.prom.tmp.Zz9Zz9"));
  for (const char* kept : {".hairpin.prom.tmp.Fresh1", ".hairpin.prom.tmp.Young1", ".other.prom.tmp.AbC123",
                           ".hairpin.prom.tmp.AbC12", ".hairpin.prom.tmp.AbC-23", "hairpin.prom.tmp.AbC123",
                           ".hairpin.prom.tmp.Dir123"})
    CHECK_MESSAGE(fs::exists(d.path / kept), kept);
  CHECK(fs::is_symlink(d.path / ".hairpin.prom.tmp.Link12"));
  // A directory it cannot read is no error.
  CHECK(hc::report::remove_stale_temporaries((d.path / "missing" / "hairpin.prom").string(), seconds(10)) == 0);
  CHECK(hc::report::remove_stale_temporaries("", seconds(10)) == 0);
}
