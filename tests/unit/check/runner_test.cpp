#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <thread>
#include <string>

#include "check/runner.hpp"
#include "core/dns_text.hpp"
#include "core/asio.hpp"
#include "probes_dns/dns_test_server.hpp"

using namespace hc;
namespace fs = std::filesystem;

namespace {

// A private folder with a split-horizon configuration whose every address is on loopback.
struct loopback_site {
  fs::path dir;
  explicit loopback_site(const std::string& intra_extra = {}) {
    dir = fs::temp_directory_path() / ("hc-runner-test-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
    write("named.conf",
          "view \"intra\" { match-clients { 127.0.0.0/8; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
          "view \"extra\" { match-clients { any; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
    const char* soa = "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n@ IN NS ns\n";
    write("db.intra", std::string(soa) + "ns IN A 127.0.0.3\nweb IN A 127.0.0.6\nonly-inside IN A 127.0.0.7\n" + intra_extra);
    write("db.extra", std::string(soa) + "ns IN A 127.0.0.2\nweb IN A 127.0.0.5\n");
  }
  ~loopback_site() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }
  std::string conf() const { return (dir / "named.conf").string(); }
};

// A --static run of the configuration at conf (-C given: a missing file is an error).
check::run_options static_options(const std::string& conf) {
  check::run_options o;
  o.named_conf = conf;
  o.named_conf_given = true;
  o.static_only = true;
  return o;
}

}  // namespace

TEST_CASE("runner: static run on the bundled example reports the views and only info findings") {
  auto o = static_options(std::string(HC_SOURCE_DIR) + "/zones/named.conf");
  o.nat_rules = std::string(HC_SOURCE_DIR) + "/zones/router.rules";
  auto r = check::run(o);
  CHECK(exit_code(r.status()) == 0);
  REQUIRE(r.views.size() == 2);
  CHECK(r.views[0].name == "intra");
  CHECK(r.views[0].zones.at(0).type == "primary");
  CHECK(r.views[0].zones.at(0).serial == 2024091101u);
  CHECK(r.vantage.internal_view == "intra");
  CHECK(r.vantage.external_view == "extra");
  CHECK(r.checks.empty());
  bool intra_only = false;
  for (const auto& f : r.findings) {
    CHECK(f.sev == severity::info);
    intra_only |= f.kind == hc::finding_kind::intra_only && f.name == "blogint.debugo.fr";
  }
  CHECK(intra_only);
}

TEST_CASE("runner: bad configuration is config-error with file:line:col and exit 3") {
  loopback_site site;
  site.write("named.conf", "options { directory \"/tmp\" }\nview \"x\" {\n");
  auto o = static_options(site.conf());
  auto r = check::run(o);
  CHECK(exit_code(r.status()) == 3);
  REQUIRE_FALSE(r.findings.empty());
  CHECK(r.findings.front().kind == hc::finding_kind::config_error);
  CHECK(r.findings.front().evidence.find(site.conf() + ":") == 0);

  o.named_conf = (site.dir / "missing.conf").string();
  auto missing = check::run(o);
  CHECK(exit_code(missing.status()) == 3);
  CHECK(missing.findings.front().evidence.find("missing.conf") != std::string::npos);
}

TEST_CASE("runner: NAT rules that cannot be read are config-error naming the line") {
  loopback_site site;
  site.write("rules", "*nat\n-A PREROUTING -d 203.0.113.1 -j DNAT --to-destination\nCOMMIT\n");
  auto o = static_options(site.conf());
  o.nat_rules = (site.dir / "rules").string();
  auto r = check::run(o);
  CHECK(exit_code(r.status()) == 3);
  bool named = false;
  for (const auto& f : r.findings) named |= f.kind == hc::finding_kind::config_error && f.evidence.find("rules:2:") != std::string::npos;
  CHECK(named);
}

TEST_CASE("runner: a silent network costs one deadline, not one timeout per probe") {
  loopback_site site;
  asio::io_context io;
  asio::ip::udp::socket silent_udp(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.4"), 0));
  auto port = silent_udp.local_endpoint().port();
  check::run_options o;
  o.named_conf = site.conf();
  o.named_conf_given = true;
  o.names = {"web.example.test.", "only-inside.example.test.", "ns.example.test."};
  o.services = {"dns/udp"};
  o.resolver = ip_endpoint{*ip_address::parse("127.0.0.4"), port};
  o.external_dns = {ip_endpoint{*ip_address::parse("127.0.0.4"), port}};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 1.0;
  o.probe_timeout_s = 5.0;  // longer than the run: the run's deadline must win
  auto t0 = std::chrono::steady_clock::now();
  auto r = check::run(o);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(took < 2.0);
  CHECK(exit_code(r.status()) == 2);
  REQUIRE_FALSE(r.checks.empty());
  bool timeout = false;
  for (const auto& f : r.findings) timeout |= f.kind == hc::finding_kind::timeout;
  CHECK(timeout);
  for (const auto& c : r.checks) CHECK_FALSE(c.ok);
}

TEST_CASE("runner: a check slower than the -w/-c range is slow-response, with the ranges as given") {
  loopback_site site;
  asio::io_context io;
  // web.example.test is 127.0.0.5 in the extra view: the hairpin path; the kernel completes the handshake.
  asio::ip::tcp::acceptor listener(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.5"), 0));
  const auto port = listener.local_endpoint().port();
  check::run_options o;
  o.named_conf = site.conf();
  o.named_conf_given = true;
  o.names = {"web.example.test."};
  o.services = {"tcp/" + std::to_string(port)};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 5.0;

  // The slow-response finding of the hairpin check, if any.
  auto slow = [](const check::run_options& opts) -> std::optional<finding> {
    const run_result r = check::run(opts);
    for (const auto& f : r.findings)
      if (f.kind == hc::finding_kind::slow_response && f.path == "hairpin") return f;
    return std::nullopt;
  };

  CHECK_FALSE(slow(o));  // no -w/-c: never slow

  o.warning = nagios_range::parse("0.000001");  // alert above 1 microsecond
  const auto w = slow(o);
  REQUIRE(w);
  CHECK(w->sev == severity::warning);
  CHECK(w->name == "web.example.test");
  CHECK(w->evidence.find("(warning 0.000001, critical none)") != std::string::npos);

  o.critical = nagios_range::parse("@0:100");  // alert inside 0..100 s: any answer
  const auto c = slow(o);
  REQUIRE(c);
  CHECK(c->sev == severity::critical);
  CHECK(c->evidence.find("(warning 0.000001, critical @0:100)") != std::string::npos);

  o.warning = nagios_range::parse("100");  // within 0..100 s: no alert
  o.critical = nagios_range::parse("~:100");
  CHECK_FALSE(slow(o));
}

TEST_CASE("runner: -w means the same with and without named.conf (one-shot is the same pipeline)") {
  asio::io_context io;
  // One loopback DNS server answers every question: web.example.test is 127.0.0.5.
  test::udp_server dns(io, "127.0.0.8", [](const probes::dns_bytes& q) {
    test::reply_spec spec;
    spec.answer = {"web.example.test. 300 IN A 127.0.0.5"};
    return std::vector<test::udp_send>{{0, test::make_reply(q, spec)}};
  });
  auto guard = asio::make_work_guard(io);
  std::thread server([&] { io.run(); });
  const ip_endpoint at{*ip_address::parse("127.0.0.8"), dns.endpoint().port()};

  auto slow_paths = [](const check::run_options& opts) {
    std::set<std::string> paths;
    for (const auto& f : check::run(opts).findings)
      if (f.kind == hc::finding_kind::slow_response) paths.insert(f.path + " " + f.service + " " + f.type);
    return paths;
  };
  check::run_options o;
  o.names = {"web.example.test."};
  o.services = {"dns/udp"};
  o.ipv6 = false;
  o.resolver = at;
  o.external_dns = {at};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 5.0;
  o.warning = nagios_range::parse("0.000001");

  // The other options, the same in both modes: -c, --services dns/udp (UDP only), -4, --concurrency.
  auto same_in_both = [&](const check::run_options& opts) {
    const run_result r = check::run(opts);
    bool critical = false;
    for (const auto& f : r.findings) critical |= f.kind == hc::finding_kind::slow_response && f.sev == severity::critical;
    CHECK(critical);
    for (const auto& c : r.checks) {
      CHECK(c.service == "dns/udp");
      CHECK(c.type != "AAAA");
    }
  };
  o.named_conf.clear();  // --no-named-conf
  const auto oneshot = slow_paths(o);
  CHECK(oneshot.count("resolver dns/udp A") == 1);
  CHECK(oneshot.count("hairpin dns/udp A") == 1);
  auto both = o;
  both.critical = nagios_range::parse("@0:100");
  both.concurrency = 1;
  same_in_both(both);

  loopback_site site;
  o.named_conf = site.conf();
  o.named_conf_given = true;
  const auto with_conf = slow_paths(o);
  CHECK(with_conf.count("resolver dns/udp A") == 1);
  CHECK(with_conf.count("hairpin dns/udp A") == 1);
  both.named_conf = o.named_conf;
  both.named_conf_given = true;
  same_in_both(both);

  guard.reset();
  io.stop();
  server.join();
}

TEST_CASE("runner: a configuration without views still checks a name it does not hold, never 'no live checks'") {
  // A stock-like named.conf: no views, one local zone; the name asked for is in no zone.
  loopback_site site;
  site.write("named.conf", "zone \"localhost\" { type master; file \"db.local\"; };\n");
  site.write("db.local", "$TTL 300\n@ IN SOA localhost. root.localhost. 1 3600 900 604800 300\n@ IN NS localhost.\n"
                         "@ IN A 127.0.0.1\n");
  asio::io_context io;
  asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.4"), 0));
  check::run_options o;
  o.named_conf = site.conf();
  o.named_conf_given = true;
  o.names = {"blog.debugo.fr."};
  o.resolver = ip_endpoint{*ip_address::parse("127.0.0.4"), silent.local_endpoint().port()};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 1.0;
  auto r = check::run(o);
  CHECK(exit_code(r.status()) != 0);
  REQUIRE_FALSE(r.checks.empty());  // the resolver was asked
  bool says_no_views = false;
  for (const auto& n : r.notes) says_no_views |= n.find("no split-horizon views") != std::string::npos;
  CHECK(says_no_views);

  // --all on it: the only zone is BIND's own localhost, nothing of the site's to check: UNKNOWN.
  o.names.clear();
  o.all = true;
  r = check::run(o);
  CHECK(exit_code(r.status()) == 3);
  bool not_checked = false;
  for (const auto& f : r.findings) not_checked |= f.kind == hc::finding_kind::not_checked;
  CHECK(not_checked);
}

TEST_CASE("runner: a name asked for that exists in no view is no-such-name, a name in no zone is not-checked with --static") {
  loopback_site site;
  auto o = static_options(site.conf());
  o.names = {"nosuch.example.test.", "elsewhere.example.net."};
  auto r = check::run(o);
  std::set<std::string> got;
  for (const auto& f : r.findings) got.insert(std::string(hc::name(f.kind)) + " " + f.name);
  CHECK(got.count("no-such-name nosuch.example.test") == 1);
  CHECK(got.count("not-checked elsewhere.example.net") == 1);
  CHECK(exit_code(r.status()) == 3);
}

TEST_CASE("runner: views that cannot be told apart are not-checked, not OK") {
  loopback_site site;
  // Two views selected only by keys, neither for keyless clients: no way to tell which is inside.
  site.write("named.conf",
             "key \"a\" { algorithm hmac-sha256; secret \"AAAA\"; };\nkey \"b\" { algorithm hmac-sha256; secret \"AAAA\"; };\n"
             "view \"one\" { match-clients { key \"a\"; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
             "view \"two\" { match-clients { key \"b\"; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
  auto r = check::run(static_options(site.conf()));
  CHECK(exit_code(r.status()) == 3);
  bool not_checked = false;
  for (const auto& f : r.findings)
    not_checked |= f.kind == hc::finding_kind::not_checked && f.fix.find("--internal-view") != std::string::npos;
  CHECK(not_checked);
}

TEST_CASE("runner: --accept reports a known finding as accepted info; --exclude leaves names out of --all") {
  loopback_site site;
  auto o = static_options(site.conf());
  o.source = ip_address::parse("127.0.0.1");
  o.nat_rules = (site.dir / "rules").string();
  site.write("rules", "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n");
  o.all = true;
  auto kinds_of = [](const run_result& r) {
    std::set<std::string> out;
    for (const auto& f : r.findings) out.insert(std::string(hc::name(f.kind)) + " " + f.name);
    return out;
  };
  // only-inside is intra-only (info); web differs between the views.
  auto before = check::run(o);
  CHECK(kinds_of(before).count("intra-only only-inside.example.test") == 1);
  o.exclude = {"only-inside.*"};
  auto excluded = check::run(o);
  CHECK(kinds_of(excluded).count("intra-only only-inside.example.test") == 0);

  // The extra view's web address is not mapped by the (empty) NAT rules: find a warning or worse, accept it.
  o.exclude.clear();
  const finding* worst = nullptr;
  for (const auto& f : before.findings)
    if (f.sev >= severity::warning && f.sev != severity::unknown && !f.name.empty()) {
      worst = &f;
      break;
    }
  REQUIRE(worst);
  o.accept = {{std::string(hc::name(worst->kind)), canonical_name(worst->name)}};
  auto accepted = check::run(o);
  bool reported = false;
  for (const auto& f : accepted.findings)
    if (f.kind == worst->kind && f.name == worst->name) {
      reported = true;
      CHECK(f.accepted);
      CHECK(f.sev == severity::info);
      CHECK(f.evidence.rfind("accepted with --accept (was ", 0) == 0);
    }
  CHECK(reported);
}

TEST_CASE("runner: a zone file in raw format is a config-error whose fix is named-compilezone") {
  loopback_site site;
  site.write("db.extra", std::string("\0\0\0\x01raw zone", 12));
  auto r = check::run(static_options(site.conf()));
  CHECK(exit_code(r.status()) == 3);
  bool fitting = false;
  for (const auto& f : r.findings)
    fitting |= f.kind == hc::finding_kind::config_error && f.fix.find("named-compilezone -f raw -F text") != std::string::npos;
  CHECK(fitting);
}

TEST_CASE("runner: dnssec-split, live: the parent's DS is asked of the internal resolver; --static says it could not be") {
  // The external view signed (its DNSKEY), the internal one not; no parent zone in the configuration.
  loopback_site site;
  const std::string dnskey =
      "example.test. IN DNSKEY 257 3 13 2rbFgpNERXMAyA7fn2bznqnn5+Al9sS6QmrZFnVzjFG2bQyzjuhyJj2p "
      "RavAjldnwsNLSbtDKb6lGTI5dyMIuw==\n";
  site.write("db.extra", "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n@ IN NS ns\n"
                         "ns IN A 127.0.0.2\nweb IN A 127.0.0.5\n" + dnskey);
  asio::io_context io;
  // The resolver: the DS of that key for example.test, and nothing else.
  unsigned ds_questions = 0;
  test::udp_server dns(io, "127.0.0.9", [&ds_questions](const probes::dns_bytes& q) {
    ldns_pkt* raw = nullptr;
    std::uint16_t qtype = 0;
    if (ldns_wire2pkt(&raw, q.data(), q.size()) == LDNS_STATUS_OK) {
      ldns_pkt_ptr p(raw);
      qtype = static_cast<std::uint16_t>(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(p.get()), 0)));
    }
    test::reply_spec spec;
    if (qtype == 43) {
      ++ds_questions;
      spec.answer = {"example.test. 300 IN DS 25382 13 2 EB9217851682EA1C068A5874BE2FE03C3B3A428B1D4EB6A42BA67DB3418B6826"};
    }
    return std::vector<test::udp_send>{{0, test::make_reply(q, spec)}};
  });
  auto guard = asio::make_work_guard(io);
  std::thread server([&] { io.run(); });
  const ip_endpoint at{*ip_address::parse("127.0.0.9"), dns.endpoint().port()};

  check::run_options o;
  o.named_conf = site.conf();
  o.named_conf_given = true;
  o.names = {"web.example.test."};
  o.services = {"dns/udp"};
  o.ipv6 = false;
  o.resolver = at;
  o.external_dns = {at};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 2.0;
  const run_result live = check::run(o);
  auto st = static_options(site.conf());
  st.source = o.source;
  const run_result offline = check::run(st);
  guard.reset();
  io.stop();
  server.join();

  auto split = [](const run_result& r) -> std::optional<finding> {
    for (const auto& f : r.findings)
      if (f.kind == hc::finding_kind::dnssec_split) return f;
    return std::nullopt;
  };
  CHECK(ds_questions == 1);
  const auto live_split = split(live);
  REQUIRE(live_split);
  CHECK(live_split->sev == severity::critical);
  CHECK(live_split->view == "intra");
  CHECK(live_split->evidence.find("resolver " + at.str()) != std::string::npos);
  CHECK(live_split->evidence.find("the DS names view extra's key 25382") != std::string::npos);
  const auto offline_split = split(offline);
  REQUIRE(offline_split);
  CHECK(offline_split->sev == severity::warning);
  CHECK(offline_split->evidence.find("could not be checked") != std::string::npos);
}

TEST_CASE("runner: --exclude and --accept NAME act on the names inside a finding for many names, never hide the rest") {
  // Three names point their MX at a host that exists in no view: one dangling-target per view.
  loopback_site site("a IN MX 10 gone\nb IN MX 10 gone\nc IN MX 10 gone\n");
  auto o = static_options(site.conf());
  o.source = ip_address::parse("127.0.0.1");
  o.all = true;
  auto dangling = [](const run_result& r) {
    std::vector<finding> out;
    for (const auto& f : r.findings)
      if (f.kind == finding_kind::dangling_target) out.push_back(f);
    return out;
  };
  const auto before = dangling(check::run(o));
  REQUIRE(before.size() == 1);  // only the internal view has the MX records
  CHECK(before[0].count == 3);
  CHECK(before[0].names == std::vector<std::string>{"a.example.test", "b.example.test", "c.example.test"});

  // Excluding the first name keeps the finding for the two others (a false OK otherwise).
  o.exclude = {"a.example.test."};
  const auto excluded = dangling(check::run(o));
  REQUIRE(excluded.size() == 1);
  CHECK(excluded[0].count == 2);
  CHECK(excluded[0].name == "b.example.test");
  CHECK(excluded[0].names == std::vector<std::string>{"b.example.test", "c.example.test"});
  CHECK(excluded[0].sev == severity::warning);
  o.exclude = {"?.example.test."};
  CHECK(dangling(check::run(o)).empty());

  // Accepting it for one name takes that name out, as accepted info; the others stay a warning.
  o.exclude.clear();
  o.accept = {{"dangling-target", "a.example.test."}};
  const auto accepted = dangling(check::run(o));
  REQUIRE(accepted.size() == 2);
  std::size_t warnings = 0, infos = 0;
  for (const auto& f : accepted) {
    if (f.accepted) {
      ++infos;
      CHECK(f.sev == severity::info);
      CHECK(f.names == std::vector<std::string>{"a.example.test"});
      CHECK(f.count == 1);
    } else {
      ++warnings;
      CHECK(f.sev == severity::warning);
      CHECK(f.names == std::vector<std::string>{"b.example.test", "c.example.test"});
      CHECK(f.count == 2);
    }
  }
  CHECK(warnings == 1);
  CHECK(infos == 1);
}
