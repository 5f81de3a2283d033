#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "cli/options.hpp"

using hc::cli::parse_command_line;

namespace {

// A scratch options file, removed at the end of the test.
class options_file {
 public:
  explicit options_file(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("hc_config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".conf")) {
    std::ofstream(path_) << text;
  }
  ~options_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  options_file(const options_file&) = delete;
  options_file& operator=(const options_file&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// Parses with DEFAULT_CONFIG as the file read without --config (a path that does not exist: none).
hc::cli::parse_outcome parse_with(const std::string& default_config, std::initializer_list<std::string> args) {
  std::vector<std::string> storage{"hairpin-check"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const auto& s : storage) argv.push_back(s.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), default_config);
}

hc::cli::parse_outcome parse(std::initializer_list<std::string> args) {
  return parse_with("/nonexistent/hairpin-check.conf", args);
}

const char* const example =
    "# comment\n"
    "named-conf = /etc/bind/named.conf.test\n"
    "timeout = 20\n"
    "services = https,smtp\n"
    "exclude = *.internal.debugo.fr\n"
    "warning = 1\n"
    "\n"
    "[office]\n"
    "timeout = 5\n"
    "source = 198.18.1.99\n"
    "accept = intra-only\n"
    "\n"
    "[home]\n"
    "services = dns\n";

}  // namespace

TEST_CASE("config file options are read by their long names") {
  options_file f(example);
  auto p = parse({"--config", f.path(), "blog.debugo.fr"});
  REQUIRE(p.options);
  const auto& r = p.options->run;
  CHECK(r.named_conf == "/etc/bind/named.conf.test");
  CHECK(r.named_conf_given);
  CHECK(r.timeout_s == doctest::Approx(20));
  CHECK(r.services == std::vector<std::string>{"https", "smtp"});
  CHECK(r.exclude == std::vector<std::string>{"*.internal.debugo.fr."});
  REQUIRE(r.warning);
  CHECK_FALSE(r.source);  // only in the [office] profile
  CHECK(r.accept.empty());
}

TEST_CASE("config file default path is read when it exists and ignored when it does not") {
  options_file f("timeout = 33\n");
  auto read = parse_with(f.path(), {"blog.debugo.fr"});
  REQUIRE(read.options);
  CHECK(read.options->run.timeout_s == doctest::Approx(33));
  auto none = parse({"blog.debugo.fr"});
  REQUIRE(none.options);
  CHECK(none.options->run.timeout_s == doctest::Approx(10));
}

TEST_CASE("config file profile keys override the top-level ones, other profiles are ignored") {
  options_file f(example);
  auto p = parse({"--config", f.path(), "--profile", "office", "blog.debugo.fr"});
  REQUIRE(p.options);
  const auto& r = p.options->run;
  CHECK(r.timeout_s == doctest::Approx(5));
  CHECK(r.source->str() == "198.18.1.99");
  CHECK(r.services == std::vector<std::string>{"https", "smtp"});  // top level, [home]'s ignored
  CHECK(r.named_conf == "/etc/bind/named.conf.test");
  CHECK(r.accept == std::vector<std::pair<std::string, std::string>>{{"intra-only", ""}});
}

TEST_CASE("config file top-level profile key selects a profile unless --profile is given") {
  options_file f(std::string("profile = home\n") + example);
  auto p = parse({"--config", f.path(), "blog.debugo.fr"});
  REQUIRE(p.options);
  CHECK(p.options->run.services == std::vector<std::string>{"dns/udp", "dns/tcp"});
  auto office = parse({"--config", f.path(), "--profile", "office", "blog.debugo.fr"});
  REQUIRE(office.options);
  CHECK(office.options->run.timeout_s == doctest::Approx(5));
}

TEST_CASE("config file is overridden by the command line") {
  options_file f(example);
  auto p = parse({"--config", f.path(), "--profile", "office", "-t", "7", "--services", "imaps",
                  "--source", "198.18.1.42", "-C", "/srv/named.conf", "blog.debugo.fr"});
  REQUIRE(p.options);
  const auto& r = p.options->run;
  CHECK(r.timeout_s == doctest::Approx(7));
  CHECK(r.services == std::vector<std::string>{"imaps"});
  CHECK(r.source->str() == "198.18.1.42");
  CHECK(r.named_conf == "/srv/named.conf");
}

TEST_CASE("config file with an unknown key is a usage error naming the file and the key") {
  options_file f("timeout = 20\ntimeuot = 5\n");
  auto p = parse({"--config", f.path(), "blog.debugo.fr"});
  CHECK_FALSE(p.options);
  CHECK(p.exit_status == 3);
  CHECK(p.message.find(f.path()) != std::string::npos);
  CHECK(p.message.find("timeuot") != std::string::npos);
}

TEST_CASE("config file with an unknown key in a profile is a usage error too") {
  options_file f("[office]\nnamed_conf = /x\n");
  auto p = parse({"--config", f.path(), "--profile", "office", "blog.debugo.fr"});
  CHECK(p.exit_status == 3);
  CHECK(p.message.find(f.path()) != std::string::npos);
  CHECK(p.message.find("named_conf") != std::string::npos);
}

TEST_CASE("config file with a bad value is a usage error naming the option") {
  options_file f("timeout = soon\n");
  auto p = parse({"--config", f.path(), "blog.debugo.fr"});
  CHECK(p.exit_status == 3);
  CHECK(p.message.find("timeout") != std::string::npos);
}

TEST_CASE("config file unknown profile is a usage error naming the profiles that exist") {
  options_file f(example);
  auto p = parse({"--config", f.path(), "--profile", "lab", "blog.debugo.fr"});
  CHECK_FALSE(p.options);
  CHECK(p.exit_status == 3);
  CHECK(p.message.find("'lab'") != std::string::npos);
  CHECK(p.message.find("home, office") != std::string::npos);
  CHECK(p.message.find(f.path()) != std::string::npos);
}

TEST_CASE("config file --profile without any options file is a usage error") {
  auto p = parse({"--profile", "office", "blog.debugo.fr"});
  CHECK(p.exit_status == 3);
  CHECK(p.message.find("--profile office") != std::string::npos);
}

TEST_CASE("config file given with --config must exist") {
  auto p = parse({"--config", "/nonexistent/hc.conf", "blog.debugo.fr"});
  CHECK(p.exit_status == 3);
  CHECK(p.message.find("/nonexistent/hc.conf") != std::string::npos);
}

TEST_CASE("config file errors with --format nagios are one HAIRPIN UNKNOWN line") {
  options_file f("bogus = 1\n");
  auto p = parse({"--format", "nagios", "--config", f.path(), "blog.debugo.fr"});
  CHECK(p.exit_status == 3);
  CHECK(p.to_stdout);
  CHECK(p.message.rfind("HAIRPIN UNKNOWN - ", 0) == 0);
}

TEST_CASE("exclude removes the explicit names its globs match, case-insensitively, and keeps the rest") {
  auto p = parse({"--exclude", "*.internal.debugo.fr", "--exclude", "TEST?.debugo.fr.", "a.internal.debugo.fr",
                  "Blog.Debugo.fr", "test1.debugo.fr", "internal.debugo.fr"});
  REQUIRE(p.options);
  const auto& r = p.options->run;
  CHECK(r.names == std::vector<std::string>{"blog.debugo.fr.", "internal.debugo.fr."});
  CHECK(r.exclude == std::vector<std::string>{"*.internal.debugo.fr.", "test?.debugo.fr."});
  CHECK(hc::cli::name_excluded("x.internal.debugo.fr.", r.exclude));
  CHECK_FALSE(hc::cli::name_excluded("internal.debugo.fr.", r.exclude));
}

TEST_CASE("exclude keeps --all and passes the patterns on for it") {
  auto p = parse({"--all", "--exclude", "*.internal.debugo.fr"});
  REQUIRE(p.options);
  CHECK(p.options->run.all);
  CHECK(p.options->run.exclude == std::vector<std::string>{"*.internal.debugo.fr."});
}

TEST_CASE("exclude that removes every NAME given is a usage error") {
  auto p = parse({"--exclude", "*.debugo.fr", "blog.debugo.fr"});
  CHECK_FALSE(p.options);
  CHECK(p.exit_status == 3);
  CHECK(p.message.find("--exclude") != std::string::npos);
}

TEST_CASE("accept takes KIND or KIND:NAME, repeatable") {
  auto p = parse({"--accept", "intra-only", "--accept", "nat-not-forwarded:Mail.Debugo.fr", "blog.debugo.fr"});
  REQUIRE(p.options);
  CHECK(p.options->run.accept == std::vector<std::pair<std::string, std::string>>{
                                     {"intra-only", ""}, {"nat-not-forwarded", "mail.debugo.fr."}});
}

TEST_CASE("accept with an unknown kind is a usage error naming it") {
  auto p = parse({"--accept", "intra-onyl:blog.debugo.fr", "blog.debugo.fr"});
  CHECK_FALSE(p.options);
  CHECK(p.exit_status == 3);
  CHECK(p.message.find("'intra-onyl'") != std::string::npos);
  auto bad_name = parse({"--accept", "leak:a b", "blog.debugo.fr"});
  CHECK(bad_name.exit_status == 3);
}

TEST_CASE("config file takes several exclude and accept values as a list") {
  options_file f("exclude = *.lab.debugo.fr, *.internal.debugo.fr\naccept = intra-only,leak:blog.debugo.fr\n");
  auto p = parse({"--config", f.path(), "a.lab.debugo.fr", "blog.debugo.fr"});
  REQUIRE(p.options);
  CHECK(p.options->run.names == std::vector<std::string>{"blog.debugo.fr."});
  CHECK(p.options->run.exclude == std::vector<std::string>{"*.lab.debugo.fr.", "*.internal.debugo.fr."});
  CHECK(p.options->run.accept.size() == 2);
}

TEST_CASE("config: a FIFO, a device or a huge file as the options file is a usage error, never read") {
  const auto dir = std::filesystem::temp_directory_path() / ("hc_config_fifo_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "fifo.conf").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // nobody writes to it: reading it would wait forever
  {
    auto p = parse({"--config", fifo, "--static"});
    CHECK_FALSE(p.options);
    CHECK(p.exit_status == 3);
    CHECK(p.message.find("options file " + fifo + ": not a regular file") != std::string::npos);
  }
  {
    auto p = parse({"--config=/dev/zero", "--static", "--format", "nagios"});  // endless, no newline
    CHECK(p.exit_status == 3);
    CHECK(p.message.rfind("HAIRPIN UNKNOWN - options file /dev/zero: not a regular file", 0) == 0);
  }
  {
    auto p = parse_with(fifo, {"--static"});  // the default options file, when it exists
    CHECK(p.exit_status == 3);
    CHECK(p.message.find("not a regular file") != std::string::npos);
  }
  {
    options_file big(std::string(2 << 20, '#'));
    auto p = parse({"--config", big.path(), "--static"});
    CHECK(p.exit_status == 3);
    CHECK(p.message.find(big.path() + ": larger than 1048576 bytes") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
