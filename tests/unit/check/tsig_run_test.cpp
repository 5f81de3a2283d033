// Whole runs against a loopback DNS server whose views are selected by a TSIG key, as BIND's are
// with `match-clients { key "intra-key"; }` and `{ !key "intra-key"; any; }`: the internal view's
// checks are signed with the key (from named.conf or --tsig-key) and verified; a wrong key is
// tsig-bad; an unknown secret is not-checked naming the key to give. The secret is in no output.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "check/runner.hpp"
#include "core/asio.hpp"
#include "probes_dns/dns_test_server.hpp"
#include "report/report.hpp"

using namespace hc;
namespace fs = std::filesystem;

namespace {

const std::string right_secret = "aW50cmEta2V5LXNlY3JldC1mb3ItdGhlLXRzaWctdGVzdA==";
const std::string wrong_secret = "d3Jvbmcta2V5LXNlY3JldC1mb3ItdGhlLXRzaWctdGVzdA==";

// A configuration on loopback whose intra view is selected by key intra-key; web has the same
// address in both views, only-inside is the name that tells the views apart. The intra view's
// name server has only an IPv6 address, so with -4 no SOA goes to port 53 directly.
struct key_site {
  fs::path dir;
  explicit key_site(bool with_key_statement = true) {
    dir = fs::temp_directory_path() / ("hc-tsig-run-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
    std::string key = "key \"intra-key\" { algorithm hmac-sha256; secret \"" + right_secret + "\"; };\n";
    write("named.conf",
          (with_key_statement ? key : std::string()) +
              "view \"intra\" { match-clients { key \"intra-key\"; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
              "view \"extra\" { match-clients { !key \"intra-key\"; any; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
    const char* soa = "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n@ IN NS ns\n";
    write("db.intra", std::string(soa) + "ns IN AAAA ::1\nweb IN A 127.0.0.5\nonly-inside IN A 127.0.0.7\n");
    write("db.extra", std::string(soa) + "ns IN AAAA ::1\nweb IN A 127.0.0.5\n");
  }
  ~key_site() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string conf() const { return (dir / "named.conf").string(); }
};

// What the server of the site answers: the intra data to a query signed with intra-key (the reply
// signed too), NOTAUTH unsigned to a query whose signature does not verify, the extra data to an
// unsigned query.
probes::dns_bytes site_answer(const probes::dns_bytes& query) {
  const auto q = test::read_query(query, "intra-key.", right_secret);
  if (!q) return {};
  const std::string& name = q->name;
  const auto type = q->type;
  const bool signed_query = q->signed_query, verified = q->verified;
  test::reply_spec spec;
  if (signed_query && !verified) {
    spec.rcode = 9;
    return test::make_reply(query, spec);
  }
  const std::string soa = "example.test. 300 IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300";
  std::map<std::string, std::string> a = {{"web.example.test.", "127.0.0.5"}};
  if (verified) a["only-inside.example.test."] = "127.0.0.7";
  if (type == LDNS_RR_TYPE_SOA && name == "example.test.") {
    spec.answer = {soa};
  } else if (a.count(name)) {
    if (type == LDNS_RR_TYPE_A) spec.answer = {name + " 300 IN A " + a[name]};
    else spec.authority = {soa};
  } else {
    spec.rcode = 3;
    spec.authority = {soa};
  }
  auto reply = test::make_reply(query, spec);
  return verified ? test::sign_reply(reply, query, "intra-key.", right_secret) : reply;
}

// The site's server over UDP and TCP on one loopback port, run on a thread of its own.
struct site_server {
  asio::io_context io;
  test::udp_server udp{io, "127.0.0.9", [](const probes::dns_bytes& q) {
                         return std::vector<test::udp_send>{{0, site_answer(q)}};
                       }};
  test::tcp_server tcp{io, "127.0.0.9", udp.endpoint().port(), [](const probes::dns_bytes& q) {
                         return std::vector<probes::dns_bytes>{test::framed(site_answer(q))};
                       }};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~site_server() {
    guard.reset();
    io.stop();
    thread.join();
  }
  ip_endpoint at() const { return {*ip_address::parse("127.0.0.9"), udp.endpoint().port()}; }
};

check::run_options options_for(const key_site& site, const ip_endpoint& at) {
  check::run_options o;
  o.named_conf = site.conf();
  o.named_conf_given = true;
  o.names = {"web.example.test."};
  o.services = {"dns/udp", "dns/tcp"};
  o.ipv6 = false;
  o.resolver = at;
  o.external_dns = {at};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = 5.0;
  return o;
}

// Every format of a run's report, as one text.
std::string every_format(const run_result& r) {
  return report::render_text(r) + report::render_json(r) + report::render_nagios(r) + report::render_prometheus(r);
}

// The warning, critical and unknown findings as "kind path service", sorted and joined by "; ".
std::string serious_kinds(const run_result& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (f.sev > severity::info) out.push_back(std::string(name(f.kind)) + " " + f.path + " " + f.service);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  std::string joined;
  for (const auto& k : out) joined += (joined.empty() ? "" : "; ") + k;
  return joined;
}

// Every finding in full, for failure messages.
std::string findings_text(const run_result& r) {
  std::string out;
  for (const auto& f : r.findings)
    out += std::string(name(f.kind)) + " " + f.path + " " + f.service + " " + f.name + ": " + f.evidence + "\n";
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  return out;
}

bool has_note(const run_result& r, const std::string& text) {
  for (const auto& n : r.notes)
    if (n.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("tsig run: the internal view's checks are signed with named.conf's key and verified; the hairpin goes unsigned") {
  key_site site;
  site_server server;
  auto o = options_for(site, server.at());
  // only-inside exists in the intra view alone: unsigned, the resolver check would be a wrong-answer.
  o.names.push_back("only-inside.example.test.");
  const run_result r = check::run(o);
  const std::string all = findings_text(r);
  CAPTURE(all);
  CHECK(serious_kinds(r).empty());
  CHECK(exit_code(r.status()) == 0);
  CHECK(r.vantage.internal_view == "intra");
  CHECK(r.vantage.external_view == "extra");
  CHECK(has_note(r, "view 'intra' is reached with TSIG key 'intra-key' (from named.conf " + site.conf() + ":1:1)"));
  unsigned resolver = 0, hairpin = 0;
  for (const auto& c : r.checks) {
    CAPTURE(c.detail);
    if (c.path == "resolver") {
      ++resolver;
      CHECK(c.ok);
      CHECK(c.view == "intra");
      CHECK(c.detail.find("signed with key intra-key (verified)") != std::string::npos);
    } else if (c.path == "hairpin") {
      ++hairpin;
      CHECK(c.ok);
      CHECK(c.view == "extra");
      CHECK(c.detail.find("signed") == std::string::npos);
    }
  }
  CHECK(resolver == 2);
  CHECK(hairpin >= 4);  // SOA gate, the discriminator and the name, over UDP and TCP
  CHECK(every_format(r).find(right_secret) == std::string::npos);
}

TEST_CASE("tsig run: --tsig-key with a wrong secret takes precedence and is tsig-bad, never ok or wrong-answer") {
  key_site site;
  site_server server;
  auto o = options_for(site, server.at());
  o.tsig_key_files = {site.write("wrong.key", "key \"intra-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + wrong_secret +
                                                  "\";\n};\n")};
  const run_result r = check::run(o);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious_kinds(r) == "tsig-bad resolver dns/udp");
  CHECK(exit_code(r.status()) == 2);
  CHECK(has_note(r, "view 'intra' is reached with TSIG key 'intra-key' (from --tsig-key " + o.tsig_key_files[0] + ")"));
  for (const auto& f : r.findings) {
    if (f.kind != finding_kind::tsig_bad) continue;
    CHECK(f.sev == severity::critical);
    CHECK(f.view == "intra");
    CHECK(f.evidence.find("key intra-key") != std::string::npos);
    CHECK(f.evidence.find(server.at().str()) != std::string::npos);
  }
  const auto all = every_format(r);
  CHECK(all.find(right_secret) == std::string::npos);
  CHECK(all.find(wrong_secret) == std::string::npos);
}

TEST_CASE("tsig run: a key named in match-clients whose secret is nowhere is not-checked, saying to give --tsig-key") {
  key_site site(false);
  site_server server;
  const run_result r = check::run(options_for(site, server.at()));
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious_kinds(r) == "not-checked resolver dns/udp");
  CHECK(exit_code(r.status()) == 3);
  for (const auto& f : r.findings) {
    if (f.kind != finding_kind::not_checked) continue;
    CHECK(f.evidence.find("TSIG key intra-key") != std::string::npos);
    CHECK(f.fix.find("--tsig-key") != std::string::npos);
  }
  CHECK(has_note(r, "view 'intra' is selected by TSIG key 'intra-key': no key statement"));
}

TEST_CASE("tsig run: a bad --tsig-key file is a config-error at file:line:col that shows none of the secret") {
  key_site site;
  auto o = options_for(site, {*ip_address::parse("127.0.0.9"), 9});
  o.static_only = true;
  const std::string bad = right_secret.substr(0, 20) + "%%" + right_secret.substr(22);
  o.tsig_key_files = {site.write("bad.key", "key \"intra-key\" { algorithm hmac-sha256;\n secret \"" + bad + "\"; };\n")};
  const run_result r = check::run(o);
  CHECK(exit_code(r.status()) == 3);
  bool positioned = false;
  for (const auto& f : r.findings)
    positioned |= f.kind == finding_kind::config_error && f.evidence.find(o.tsig_key_files[0] + ":2:9:") != std::string::npos;
  CHECK(positioned);
  const auto all = every_format(r);
  CHECK(all.find(bad.substr(0, 12)) == std::string::npos);
  CHECK(all.find(right_secret.substr(0, 12)) == std::string::npos);
}

TEST_CASE("tsig run: a --tsig-key whose key reaches neither view is said to be unused") {
  key_site site;
  auto o = options_for(site, {*ip_address::parse("127.0.0.9"), 9});
  o.static_only = true;
  o.named_conf = std::string(HC_SOURCE_DIR) + "/zones/named.conf";
  o.tsig_key_files = {site.write("other.key", "key \"other-key\" { algorithm hmac-sha256; secret \"" + right_secret + "\"; };\n")};
  const run_result r = check::run(o);
  CHECK(has_note(r, "--tsig-key " + o.tsig_key_files[0] + ": key 'other-key' is not needed to reach the internal or the external view; not used"));
  CHECK(every_format(r).find(right_secret) == std::string::npos);
}

TEST_CASE("tsig run: views selected by key alone: a private or LAN inside address is split, a public one still disagrees") {
  // No NAT rules: the internal view names no client address, so an internal address counts as inside
  // when it is on the vantage point's LAN or private; before, every split name was a `disagree`.
  key_site site;
  const char* soa = "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n@ IN NS ns\nns IN AAAA ::1\n";
  site.write("db.intra", std::string(soa) + "web IN A 10.1.2.5\nlan IN A 192.0.2.44\npub IN A 198.51.100.7\n");
  site.write("db.extra", std::string(soa) + "web IN A 203.0.113.5\nlan IN A 203.0.113.6\npub IN A 203.0.113.7\n");
  auto o = options_for(site, {*ip_address::parse("127.0.0.9"), 9});
  o.static_only = true;
  o.all = true;
  o.names.clear();
  o.source = ip_address::parse("192.0.2.10");
  const run_result r = check::run(o);
  auto kind_of = [&r](const std::string& name) {
    std::vector<std::string> kinds;
    // Split names are compact facts (run_result::compact): every finding, rendered.
    hc::for_each_finding(r, [&](const hc::finding& f) {
      if (f.name == name) kinds.push_back(std::string(hc::name(f.kind)));
    });
    return kinds;
  };
  CHECK(kind_of("web.example.test") == std::vector<std::string>{"split"});  // private inside
  CHECK(kind_of("lan.example.test") == std::vector<std::string>{"split"});  // on the vantage point's /24
  CHECK(kind_of("pub.example.test") == std::vector<std::string>{"disagree"});  // public, not the LAN
  for (const auto& f : r.findings)
    if (f.kind == finding_kind::disagree) CHECK(f.evidence.find("selected by TSIG key") != std::string::npos);
}

TEST_CASE("tsig run: the key of --view intra=KEYFILE signs view intra's live checks when named.conf has no key statement") {
  // named.conf names intra-key in match-clients but holds no key statement: without the --view key
  // the resolver check is not-checked (the test above); with it, the checks are signed and verified.
  // (The CLI takes --view only with --zones-from axfr|both; the transfer is not what is tested here.)
  key_site site(false);
  site_server server;
  auto o = options_for(site, server.at());
  o.names.push_back("only-inside.example.test.");
  const std::string keyfile =
      site.write("intra.key", "key \"intra-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + right_secret + "\";\n};\n");
  o.transfer_views = {{"intra", keyfile}, {"extra", ""}};
  const run_result r = check::run(o);
  const std::string all = findings_text(r);
  CAPTURE(all);
  CHECK(serious_kinds(r).empty());
  CHECK(exit_code(r.status()) == 0);
  CHECK(has_note(r, "view 'intra' is reached with TSIG key 'intra-key' (from --view intra=" + keyfile + ")"));
  unsigned signed_resolver = 0;
  for (const auto& c : r.checks)
    if (c.path == "resolver" && c.ok && c.view == "intra" &&
        c.detail.find("signed with key intra-key (verified)") != std::string::npos)
      ++signed_resolver;
  CHECK(signed_resolver == 2);
  CHECK(every_format(r).find(right_secret) == std::string::npos);
}

TEST_CASE("tsig run: a --view key file of another key name does not replace named.conf's key") {
  key_site site;
  site_server server;
  auto o = options_for(site, server.at());
  const std::string keyfile =
      site.write("other.key", "key \"other-key\" { algorithm hmac-sha256; secret \"" + wrong_secret + "\"; };\n");
  o.transfer_views = {{"intra", keyfile}, {"extra", ""}};
  const run_result r = check::run(o);
  const std::string all = findings_text(r);
  CAPTURE(all);
  CHECK(serious_kinds(r).empty());
  CHECK(has_note(r, "view 'intra' is reached with TSIG key 'intra-key' (from named.conf " + site.conf() + ":1:1)"));
}
