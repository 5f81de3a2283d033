#include <doctest/doctest.h>

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "check/inputs.hpp"
#include "check/runner.hpp"

using namespace hc;
namespace fs = std::filesystem;

namespace {

const std::string generic_fix = "correct the input at the position named in the evidence";

// A private folder with a two-view named.conf; the intra view's zone file statement is at 3:5.
struct site {
  fs::path dir;
  explicit site(const std::string& intra_file = "db.intra", const std::string& intra_type = "master") {
    dir = fs::temp_directory_path() / ("hc-config-error-test-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    write("named.conf", "options { directory \"" + dir.string() + "\"; };\n"
                        "view \"intra\" { match-clients { 198.18.1.0/24; }; zone \"example.test\" { type " + intra_type + ";\n"
                        "    file \"" + intra_file + "\"; };\n"
                        "};\n"
                        "view \"extra\" { match-clients { any; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
    const std::string soa = "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n@ IN NS ns\nns IN A 192.0.2.53\n";
    write("db.intra", soa);
    write("db.extra", soa);
  }
  ~site() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
  std::string conf() const { return (dir / "named.conf").string(); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  check::run_options options() const {
    check::run_options o;
    o.named_conf = conf();
    o.named_conf_given = true;
    o.static_only = true;
    return o;
  }
};

// The config-error findings of loading the inputs.
std::vector<finding> config_errors(const check::run_options& o) {
  std::vector<finding> out;
  for (auto& f : check::load_inputs(o).findings)
    if (f.kind == finding_kind::config_error) out.push_back(f);
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("config errors: a missing zone file names the zone file and the named.conf line of its file statement") {
  site s("db.missing");
  auto errors = config_errors(s.options());
  REQUIRE(errors.size() == 1);
  const std::string evidence = errors[0].evidence;
  const std::string fix = errors[0].fix;
  CHECK(evidence == s.conf() + ":3:5: zone example.test (view intra): file \"db.missing\": cannot read " +
                        s.path("db.missing") + ": No such file or directory");
  CHECK(contains(fix, "create " + s.path("db.missing") + " with the zone's data"));
  CHECK(contains(fix, "the file statement at " + s.conf() + ":3:5 or the directory option (relative names are read from " +
                          s.dir.string() + ")"));
  CHECK(errors[0].sev == severity::unknown);
}

TEST_CASE("config errors: a zone file in a directory that does not exist says so; an absolute path is not the directory option's") {
  site s("/nonexistent-hc-dir/db.x");
  auto errors = config_errors(s.options());
  REQUIRE(errors.size() == 1);
  const std::string fix = errors[0].fix;
  CHECK(contains(errors[0].evidence, ": zone example.test (view intra): file \"/nonexistent-hc-dir/db.x\": cannot read /nonexistent-hc-dir/db.x: No such file or directory"));
  CHECK(contains(fix, "create /nonexistent-hc-dir/db.x"));
  CHECK(contains(fix, "(its directory /nonexistent-hc-dir does not exist either)"));
  CHECK_FALSE(contains(fix, "directory option"));
}

TEST_CASE("config errors: a missing secondary zone file points at the zone transfer") {
  site s("db.secondary", "slave; masters { 192.0.2.1; }");
  auto errors = config_errors(s.options());
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0].fix, "named writes a secondary zone's file after its first transfer"));
  CHECK(contains(errors[0].fix, "rndc retransfer example.test IN intra"));
}

TEST_CASE("config errors: a zone file that is a directory or a FIFO") {
  site dir_site("subdir");
  fs::create_directories(dir_site.dir / "subdir");
  auto errors = config_errors(dir_site.options());
  REQUIRE(errors.size() == 1);
  const std::string dir_evidence = errors[0].evidence;
  const std::string dir_fix = errors[0].fix;
  CHECK(dir_evidence == dir_site.conf() + ":3:5: zone example.test (view intra): file \"subdir\": cannot read " +
                            dir_site.path("subdir") + ": Is a directory");
  CHECK(dir_fix == dir_site.path("subdir") + " is a directory: the file statement at " + dir_site.conf() +
                       ":3:5 must name the zone file itself, e.g. file \"" + dir_site.path("subdir") + "/db.example.test\"");

  site fifo_site("fifo");
  REQUIRE(::mkfifo(fifo_site.path("fifo").c_str(), 0600) == 0);
  errors = config_errors(fifo_site.options());
  REQUIRE(errors.size() == 1);
  const std::string fifo_evidence = errors[0].evidence;
  const std::string fifo_fix = errors[0].fix;
  CHECK(fifo_evidence == fifo_site.conf() + ":3:5: zone example.test (view intra): file \"fifo\": cannot read " +
                             fifo_site.path("fifo") + ": not a regular file");
  CHECK(contains(fifo_fix, fifo_site.path("fifo") + " is not a regular file (a FIFO, a socket or a device"));
  CHECK(contains(fifo_fix, "make the file statement at " + fifo_site.conf() + ":3:5 name a regular file"));
}

TEST_CASE("config errors: one zone file shared by two views is one error naming both views") {
  site s("db.shared");
  s.write("named.conf", "options { directory \"" + s.dir.string() + "\"; };\n"
                        "view \"intra\" { match-clients { 198.18.1.0/24; }; zone \"example.test\" { type master; file \"db.shared\"; }; };\n"
                        "view \"extra\" { match-clients { any; }; zone \"example.test\" { type master; file \"db.shared\"; }; };\n");
  auto errors = config_errors(s.options());
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0].evidence, s.conf() + ":2:85: zone example.test (views intra, extra): file \"db.shared\": cannot read"));
}

TEST_CASE("config errors: a raw zone file's fix is the named-compilezone command for that zone and file") {
  site s;
  s.write("db.intra", std::string("\0\0\0\x01raw zone", 12));
  auto errors = config_errors(s.options());
  REQUIRE(errors.size() == 1);
  const std::string evidence = errors[0].evidence;
  const std::string fix = errors[0].fix;
  CHECK(evidence == s.conf() + ":3:5: zone example.test (view intra): file \"db.intra\": " + s.path("db.intra") +
                        " is not a text zone file (raw or map masterfile-format?)");
  CHECK(contains(fix, "named-compilezone -f raw -F text -o " + s.path("db.intra") + ".txt example.test " + s.path("db.intra")));
}

TEST_CASE("config errors: permission denied asks for read access for the user running the check") {
  // The text, from a diagnostic as the zone layer words it (root can read anything, so the real
  // case runs below in a child that is not root).
  site s;
  hc::diagnostics d;
  auto cfg = bind::read_named_conf(s.conf(), d);
  diagnostic denied{{s.conf(), 3, 5}, "zone example.test (view intra): file \"db.intra\": cannot read " + s.path("db.intra") + ": Permission denied", "", true};
  const std::string fix = check::config_error_fix(denied, &cfg);
  const passwd* me = ::getpwuid(::geteuid());
  REQUIRE(me);
  CHECK(contains(fix, "the user running hairpin-check (" + std::string(me->pw_name) + ") needs read access to " + s.path("db.intra")));
  CHECK(contains(fix, "usermod -aG bind " + std::string(me->pw_name)));
  CHECK(contains(fix, "chmod g+r " + s.path("db.intra")));

  if (::geteuid() != 0) return;
  const passwd* nobody = ::getpwnam("nobody");
  if (!nobody) return;
  ::chmod(s.path("db.intra").c_str(), 0600);
  ::chmod(s.conf().c_str(), 0644);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    std::string out;
    if (::setgid(nobody->pw_gid) == 0 && ::setuid(nobody->pw_uid) == 0) {
      for (const auto& f : config_errors(s.options())) out += f.evidence + "\n" + f.fix + "\n";
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(contains(got, s.conf() + ":3:5: zone example.test (view intra): file \"db.intra\": cannot read " + s.path("db.intra") +
                          ": Permission denied\n"));
  CHECK(contains(got, "the user running hairpin-check (nobody) needs read access to " + s.path("db.intra")));
  CHECK(contains(got, "usermod -aG bind nobody"));
}

TEST_CASE("config errors: a wrong --internal-view lists the views that exist") {
  site s;
  auto o = s.options();
  o.internal_view = "inside";
  auto r = check::run(o);
  bool listed = false;
  for (const auto& f : r.findings)
    listed |= f.kind == finding_kind::config_error && contains(f.evidence, "--internal-view: " + s.conf() + " has no view named 'inside'") &&
              f.fix == "name one of the views: intra, extra";
  CHECK(listed);
  CHECK(exit_code(r.status()) == 3);
}

TEST_CASE("config errors: every other case has a fix of its own, never only 'correct the input' without a position") {
  site s;
  // The named.conf itself, missing or a directory.
  auto o = s.options();
  o.named_conf = s.path("nowhere.conf");
  auto errors = config_errors(o);
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0].fix, "give the BIND configuration with -C PATH (" + s.path("nowhere.conf") + " does not exist)"));
  o.named_conf = s.dir.string();
  errors = config_errors(o);
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0].fix, "the BIND configuration file itself with -C PATH (e.g. " + s.dir.string() + "/named.conf)"));

  // NAT rules missing, or a FIFO.
  o = s.options();
  o.nat_rules = s.path("router.rules");
  errors = config_errors(o);
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0].fix, "iptables-save > " + s.path("router.rules")));
  REQUIRE(::mkfifo(s.path("router.rules").c_str(), 0600) == 0);
  errors = config_errors(o);
  REQUIRE(errors.size() == 1);
  CHECK(contains(errors[0].fix, "iptables-save | hairpin-check --nat-rules -"));

  // An include of named.conf, a $INCLUDE of a zone file, an in-view that names no such zone.
  s.write("named.conf", "options { directory \"" + s.dir.string() + "\"; };\n"
                        "include \"missing.conf\";\n"
                        "view \"intra\" { match-clients { 198.18.1.0/24; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
                        "view \"extra\" { match-clients { any; }; zone \"example.test\" { in-view \"intra\"; };\n"
                        "  zone \"other.test\" { in-view \"intra\"; }; };\n");
  s.write("db.intra", "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n$INCLUDE part.inc\n");
  errors = config_errors(s.options());
  REQUIRE(errors.size() == 3);
  for (const auto& e : errors) {
    CAPTURE(e.evidence);
    CHECK(e.fix != generic_fix);
  }
  CHECK(contains(errors[0].evidence, "named.conf:2:1: cannot open '" + s.path("missing.conf") + "'"));
  CHECK(contains(errors[0].fix, "create " + s.path("missing.conf") + ", or correct the name in the statement at " + s.conf() + ":2:1"));
  CHECK(contains(errors[1].evidence, "db.intra:3:10: cannot open " + s.path("part.inc")));
  CHECK(contains(errors[1].fix, "create " + s.path("part.inc")));
  CHECK(contains(errors[2].evidence, "in-view 'intra' does not declare it"));
  CHECK(contains(errors[2].fix, "declare the zone in the view that in-view names"));

  // A safety limit names the variable that raises it.
  diagnostic limit{{s.path("db.intra"), 3, 10}, "$INCLUDE nested too deeply (more than 8, HC_MAX_INCLUDE_DEPTH)", "", true};
  CHECK(check::config_error_fix(limit, nullptr) != generic_fix);
  diagnostic big{{s.path("db.big"), 0, 0}, "cannot open " + s.path("db.big") + ": larger than 5 bytes (HC_MAX_FILE_BYTES)", "", true};
  CHECK(contains(check::config_error_fix(big, nullptr), "HC_MAX_FILE_BYTES=N hairpin-check"));
  // Any other error without a line: a fix that names the file, never the generic one.
  diagnostic other{{s.path("x"), 0, 0}, "something odd", "", true};
  CHECK(check::config_error_fix(other, nullptr) != generic_fix);
  CHECK(contains(check::config_error_fix(other, nullptr), s.path("x")));
}
