// Secondaries per view (issue #18): whole runs against loopback DNS servers on port 0. The site's
// intra view is selected by TSIG key intra-key (serial 10), its extra view by address (any client
// without the key, serial 20); the primary answers both. Each secondary, given with --secondary, is
// asked for example.test's SOA in each view: signed with intra-key for intra, unsigned from
// 127.0.0.1 (which view extra takes) for extra. Plus the plan itself: the zones' NS sets without the
// primary, and a view the vantage point cannot reach unsigned.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "bind/config.hpp"
#include "check/plan.hpp"
#include "check/runner.hpp"
#include "check/secondaries.hpp"
#include "nat/nat.hpp"
#include "core/asio.hpp"
#include "probes_dns/dns_test_server.hpp"
#include "report/report.hpp"
#include "zone/zone.hpp"

using namespace hc;
namespace fs = std::filesystem;

namespace {

const std::string secret = "aW50cmEta2V5LXNlY3JldC1mb3ItdGhlLXRzaWctdGVzdA==";

struct temp_dir {
  fs::path dir;
  temp_dir() {
    dir = fs::temp_directory_path() / ("hc-secondaries-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
};

// The site: intra by key (serial 10), extra by address (serial 20). The name server has only an
// IPv6 address: with -4 the zone's NS set gives no secondary, only --secondary does.
struct key_site : temp_dir {
  std::string conf;
  key_site() {
    conf = write("named.conf",
                 "key \"intra-key\" { algorithm hmac-sha256; secret \"" + secret + "\"; };\n"
                 "view \"intra\" { match-clients { key \"intra-key\"; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
                 "view \"extra\" { match-clients { !key \"intra-key\"; any; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
    write("db.intra", "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 10 3600 900 604800 300\n@ IN NS ns\n"
                      "ns IN AAAA ::1\nweb IN A 127.0.0.5\nonly-inside IN A 127.0.0.7\n");
    write("db.extra", "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 20 3600 900 604800 300\n@ IN NS ns\n"
                      "ns IN AAAA ::1\nweb IN A 127.0.0.5\n");
  }
};

// How one server answers example.test's SOA: with `intra_serial` to a query signed with intra-key
// (the reply signed too), with `extra_serial` to an unsigned one; REFUSED to every query when
// `refuse`. web and only-inside answer as the site's views do.
struct behaviour {
  std::uint32_t intra_serial = 10;
  std::uint32_t extra_serial = 20;
  bool refuse = false;
  bool authoritative = true;  // false: the AA bit is not set (an answer from a cache)
  bool udp_silent = false;    // the secondary sends nothing over UDP (a firewall drops it)
  bool tcp = false;           // the secondary also answers over TCP, on its UDP port
};

probes::dns_bytes answer(const probes::dns_bytes& query, const behaviour& b) {
  const auto q = test::read_query(query, "intra-key.", secret);
  if (!q) return {};
  const std::string& name = q->name;
  const auto type = q->type;
  const bool signed_query = q->signed_query, verified = q->verified;
  test::reply_spec spec;
  if (signed_query && !verified) {
    spec.rcode = 9;
    return test::make_reply(query, spec);
  }
  const std::string soa = "example.test. 300 IN SOA ns.example.test. h.example.test. " +
                          std::to_string(verified ? b.intra_serial : b.extra_serial) + " 3600 900 604800 300";
  std::map<std::string, std::string> a = {{"web.example.test.", "127.0.0.5"}};
  if (verified) a["only-inside.example.test."] = "127.0.0.7";
  if (b.refuse) {
    spec.rcode = 5;
    spec.aa = false;
  } else if (type == LDNS_RR_TYPE_SOA && name == "example.test.") {
    spec.answer = {soa};
    spec.aa = b.authoritative;
  } else if (a.count(name)) {
    if (type == LDNS_RR_TYPE_A) spec.answer = {name + " 300 IN A " + a[name]};
    else spec.authority = {soa};
  } else {
    spec.rcode = 3;
    spec.authority = {soa};
  }
  auto reply = test::make_reply(query, spec);
  return verified ? test::sign_reply(reply, query, "intra-key.", secret) : reply;
}

// The primary and one secondary, UDP on loopback ports of their own, on one thread.
struct servers {
  asio::io_context io;
  test::udp_server primary{io, "127.0.0.9", [](const probes::dns_bytes& q) {
                             return std::vector<test::udp_send>{{0, answer(q, behaviour{})}};
                           }};
  test::udp_server secondary;
  std::optional<test::tcp_server> secondary_tcp;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  explicit servers(behaviour b)
      : secondary{io, "127.0.0.10", [b](const probes::dns_bytes& q) {
                    if (b.udp_silent) return std::vector<test::udp_send>{};
                    return std::vector<test::udp_send>{{0, answer(q, b)}};
                  }} {
    if (b.tcp)
      secondary_tcp.emplace(io, "127.0.0.10", secondary.endpoint().port(), [b](const probes::dns_bytes& q) {
        return std::vector<probes::dns_bytes>{test::framed(answer(q, b))};
      });
  }
  ~servers() {
    guard.reset();
    io.stop();
    thread.join();
  }
  ip_endpoint primary_at() const { return {*ip_address::parse("127.0.0.9"), primary.endpoint().port()}; }
  ip_endpoint secondary_at() const { return {*ip_address::parse("127.0.0.10"), secondary.endpoint().port()}; }
};

run_result run_against(const key_site& site, const servers& s, double timeout_s = 5.0) {
  check::run_options o;
  o.named_conf = site.conf;
  o.named_conf_given = true;
  o.names = {"web.example.test."};
  o.services = {"dns/udp"};
  o.ipv6 = false;
  o.resolver = s.primary_at();
  o.external_dns = {s.primary_at()};
  o.secondaries = {s.secondary_at()};
  o.source = ip_address::parse("127.0.0.1");
  o.timeout_s = timeout_s;
  return check::run(o);
}

// The warning, critical and unknown findings as "kind view", sorted and joined by "; ".
std::string serious(const run_result& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings)
    if (f.sev > severity::info) out.push_back(std::string(name(f.kind)) + " " + f.view);
  std::sort(out.begin(), out.end());
  std::string joined;
  for (const auto& k : out) joined += (joined.empty() ? "" : "; ") + k;
  return joined;
}

std::string findings_text(const run_result& r) {
  std::string out;
  for (const auto& f : r.findings)
    out += std::string(name(f.kind)) + " " + f.view + " " + f.address + ": " + f.evidence + " / fix: " + f.fix + "\n";
  return out;
}

std::string every_format(const run_result& r) {
  return report::render_text(r) + report::render_json(r) + report::render_nagios(r) + report::render_prometheus(r);
}

// The checks sent to the secondary over `service`, as "view ok serial", sorted.
std::vector<std::string> secondary_checks(const run_result& r, const servers& s, const std::string& service = "dns/udp") {
  std::vector<std::string> out;
  for (const auto& c : r.checks)
    if (c.address == "127.0.0.10" && c.port == s.secondary_at().port && c.service == service)
      out.push_back(c.view + " " + (c.ok ? "ok " : "failed ") +
                    (c.served_serial ? std::to_string(*c.served_serial) : std::string("-")));
  std::sort(out.begin(), out.end());
  return out;
}

const finding* find_kind(const run_result& r, finding_kind k) {
  for (const auto& f : r.findings)
    if (f.kind == k) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("secondaries: each view's serial served in that view is no finding; intra is asked with its key") {
  key_site site;
  servers s(behaviour{10, 20, false});
  const run_result r = run_against(site, s);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r).empty());
  CHECK(exit_code(r.status()) == 0);
  CHECK(secondary_checks(r, s) == std::vector<std::string>{"extra ok 20", "intra ok 10"});
  for (const auto& c : r.checks) {
    if (c.address != "127.0.0.10" || c.view != "intra" || c.service != "dns/udp") continue;
    CAPTURE(c.detail);
    CHECK(c.detail.find("signed with key intra-key (verified)") != std::string::npos);
  }
}

TEST_CASE("secondaries: view intra's serial served in both views is secondary-wrong-view in view extra") {
  key_site site;
  servers s(behaviour{10, 10, false});
  const run_result r = run_against(site, s);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r) == "secondary-wrong-view extra");
  CHECK(exit_code(r.status()) == 2);
  const finding* f = find_kind(r, finding_kind::secondary_wrong_view);
  REQUIRE(f != nullptr);
  CHECK(f->sev == severity::critical);
  CHECK(f->zone == "example.test");
  CHECK(f->address == "127.0.0.10");
  const std::string where = "--secondary " + s.secondary_at().str();
  CHECK(f->evidence.find(where + " serves serial 10 in view extra (asked unsigned), which is view intra's serial "
                                 "(key intra-key); the primary's view extra has 20") != std::string::npos);
  CHECK(f->fix.find("key \"intra-key\"") != std::string::npos);
  CHECK(f->fix.find("allow-transfer") != std::string::npos);
  CHECK(every_format(r).find(secret) == std::string::npos);
}

TEST_CASE("secondaries: a lagging serial is secondary-stale (warning) in that view only") {
  key_site site;
  servers s(behaviour{10, 19, false});
  const run_result r = run_against(site, s);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r) == "secondary-stale extra");
  CHECK(exit_code(r.status()) == 1);
  const finding* f = find_kind(r, finding_kind::secondary_stale);
  REQUIRE(f != nullptr);
  CHECK(f->sev == severity::warning);
  CHECK(f->evidence.find("serves serial 19 in view extra (asked unsigned); the primary's view extra has 20") !=
        std::string::npos);
  CHECK(f->fix.find("rndc retransfer example.test IN extra") != std::string::npos);
}

TEST_CASE("secondaries: a secondary that refuses is not-checked in each view, never OK and never blamed") {
  key_site site;
  servers s(behaviour{10, 20, true});
  const run_result r = run_against(site, s);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r) == "not-checked extra; not-checked intra");
  CHECK(exit_code(r.status()) == 3);
  for (const auto& f : r.findings) {
    if (f.kind != finding_kind::not_checked) continue;
    CHECK(f.evidence.find("gave no authoritative SOA for example.test in view " + f.view) != std::string::npos);
    CHECK(f.evidence.find("REFUSED") != std::string::npos);
    CHECK(f.evidence.find("its serial is not compared") != std::string::npos);
  }
}

TEST_CASE("secondaries: an SOA answer without the AA bit (from a cache) is not-checked, not compared") {
  key_site site;
  servers s(behaviour{10, 10, false, false});
  const run_result r = run_against(site, s);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r) == "not-checked extra; not-checked intra");
  for (const auto& f : r.findings)
    if (f.kind == finding_kind::not_checked)
      CHECK(f.evidence.find("the answer is not authoritative (AA not set)") != std::string::npos);
}

TEST_CASE("secondaries: UDP dropped, TCP answers: the UDP timeout stays and the serial is judged from the TCP answer") {
  key_site site;
  servers s(behaviour{10, 10, false, true, true, true});
  const run_result r = run_against(site, s, 1.5);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r) == "secondary-wrong-view extra; timeout extra; timeout intra");
  CHECK(exit_code(r.status()) == 2);
  CHECK(secondary_checks(r, s, "dns/tcp") == std::vector<std::string>{"extra ok 10", "intra ok 10"});
  const finding* f = find_kind(r, finding_kind::secondary_wrong_view);
  REQUIRE(f != nullptr);
  CHECK(f->service == "dns/tcp");
  CHECK(f->evidence.find("serves serial 10 in view extra (asked unsigned, over TCP: no usable UDP answer), which is "
                         "view intra's serial") != std::string::npos);
  for (const auto& t : r.findings)
    if (t.kind == finding_kind::timeout)
      CHECK(t.evidence.find("over TCP it answered, its serial is judged from that answer") != std::string::npos);
}

TEST_CASE("secondaries: UDP and TCP both unanswered: one timeout per view, naming the TCP failure, nothing judged") {
  key_site site;
  servers s(behaviour{10, 10, false, true, true, false});
  const run_result r = run_against(site, s, 1.5);
  const std::string text = findings_text(r);
  CAPTURE(text);
  CHECK(serious(r) == "timeout extra; timeout intra");
  CHECK(exit_code(r.status()) == 2);
  for (const auto& t : r.findings)
    if (t.kind == finding_kind::timeout) CHECK(t.evidence.find("; over TCP neither: ") != std::string::npos);
}

TEST_CASE("secondaries: the serial comparison follows RFC 1982 arithmetic") {
  CHECK(check::serial_before(19, 20));
  CHECK_FALSE(check::serial_before(20, 20));
  CHECK_FALSE(check::serial_before(21, 20));
  CHECK(check::serial_before(4294967290u, 5));  // wrapped: 5 is after 4294967290
  CHECK_FALSE(check::serial_before(5, 4294967290u));
}

namespace {

// The plan inputs of the secondary plan tests: the views intra and extra of cfg, the name
// web.example.test., asked from 127.0.0.1.
check::plan_inputs web_from_loopback(const check::run_options& o, const bind::config& cfg, const zone::zone_set& zones) {
  check::plan_inputs in;
  in.options = &o;
  in.config = &cfg;
  in.zones = &zones;
  in.internal = bind::find_view(cfg, "intra");
  in.external = bind::find_view(cfg, "extra");
  in.names = {"web.example.test."};
  in.source = ip_address::parse("127.0.0.1");
  return in;
}

}  // namespace

TEST_CASE("secondaries plan: the NS sets of both views without the primary, --secondary, and a view out of reach") {
  temp_dir d;
  // intra is selected by address (10.0.0.0/8), extra takes the rest; the vantage point is 127.0.0.1.
  const std::string conf = d.write(
      "named.conf",
      "view \"intra\" { match-clients { 10.0.0.0/8; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
      "view \"extra\" { match-clients { any; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
  d.write("db.intra", "$TTL 300\n@ IN SOA ns1 h 10 3600 900 604800 300\n@ IN NS ns1\n@ IN NS ns2\n"
                      "ns1 IN A 10.0.0.53\nns2 IN A 10.0.0.54\nweb IN A 10.0.0.80\n");
  d.write("db.extra", "$TTL 300\n@ IN SOA ns1 h 20 3600 900 604800 300\n@ IN NS ns1\n@ IN NS ns3.example.net.\n"
                      "@ IN NS pub\nns1 IN A 192.0.2.53\npub IN A 192.0.2.54\nweb IN A 192.0.2.80\n");
  // pub is the primary too: the router forwards DNS on 192.0.2.54 to ns1's internal address.
  const std::string rules_file = d.write("rules", "*nat\n:PREROUTING ACCEPT [0:0]\n"
                                                  "-A PREROUTING -d 192.0.2.54/32 -p udp --dport 53 -j DNAT --to-destination 10.0.0.53\n"
                                                  "COMMIT\n");
  diagnostics diags;
  auto cfg = bind::read_named_conf(conf, diags);
  auto zones = zone::load_zones(cfg, diags);
  auto rules = nat::read_nat_rules(rules_file, diags);
  REQUIRE_FALSE(diags.has_errors());
  check::run_options o;
  o.ipv6 = false;
  o.secondaries = {*ip_endpoint::parse("198.51.100.7", 5353)};
  check::plan_inputs in = web_from_loopback(o, cfg, zones);
  in.nat = &rules;
  const check::plan p = check::plan_secondaries(in);
  std::vector<std::string> asked;
  for (const auto& q : p.dns) {
    REQUIRE(q.secondary.has_value());
    CHECK(q.request.qtype == 6);
    CHECK(q.request.qname == "example.test.");
    CHECK_FALSE(q.request.recursion_desired);
    asked.push_back(q.request.target.str() + " " + q.secondary->view + " " + (q.done ? q.done->check.stage : "send") +
                    (q.request.service == "dns/tcp" ? " tcp" : ""));
    if (q.done) {
      CHECK(q.done->failure == finding_kind::not_checked);
      CHECK(q.done->check.detail.find("view intra is selected by address, and an unsigned question from 127.0.0.1 "
                                      "reaches view extra") != std::string::npos);
      CHECK(q.done->hint.find("--tsig-key") != std::string::npos);
    }
    if (q.secondary->view == "extra") {
      CHECK(q.secondary->view_serial == 20u);
      CHECK(q.secondary->other_serial == 10u);
    }
  }
  std::sort(asked.begin(), asked.end());
  // ns1 (the SOA MNAME: the primary) is left out in both views, pub (forwarded to it) too; ns3 is out
  // of zone without glue.
  // ns2, found in the NS set, is not asked for intra (out of reach): a note, not a not-checked on
  // every run; the --secondary one was asked for, so its intra question is not-checked. Each question
  // sent has its TCP twin (judged when UDP gives no answer); one not asked has none.
  CHECK(asked == std::vector<std::string>{"10.0.0.54#53 extra send", "10.0.0.54#53 extra send tcp",
                                          "198.51.100.7#5353 extra send", "198.51.100.7#5353 extra send tcp",
                                          "198.51.100.7#5353 intra view"});
  bool noted = false;
  for (const auto& n : p.notes)
    noted |= n.find("secondary ns2.example.test") != std::string::npos && n.find("view intra") != std::string::npos &&
             n.find("--secondary") != std::string::npos;
  CHECK(noted);
  // --external-dns is the primary on its public address: ns2's address given so is left out too.
  o.external_dns = {*ip_endpoint::parse("10.0.0.54", 53)};
  std::vector<std::string> left;
  for (const auto& q : check::plan_secondaries(in).dns) left.push_back(q.request.target.str());
  CHECK(left == std::vector<std::string>{"198.51.100.7#5353", "198.51.100.7#5353", "198.51.100.7#5353"});

  // A view selected by a key whose secret is known nowhere: not-checked at stage tsig, naming the key.
  in.internal_signing.key_name = "intra-key";
  in.internal_signing.missing = "no key statement for 'intra-key' was readable";
  unsigned keyed = 0;
  for (const auto& q : check::plan_secondaries(in).dns) {
    if (q.secondary->view != "intra") continue;
    ++keyed;
    REQUIRE(q.done.has_value());
    CHECK(q.done->check.stage == "tsig");
    CHECK(q.secondary->key_name == "intra-key");
    CHECK(q.done->check.detail.find("view intra is selected by TSIG key intra-key") != std::string::npos);
    CHECK(q.done->hint.find("--tsig-key") != std::string::npos);
  }
  CHECK(keyed == 1);
  // Given with its secret, the key signs the question.
  in.internal_signing.key = probes::tsig_key{"intra-key", "hmac-sha256", secret};
  for (const auto& q : check::plan_secondaries(in).dns) {
    if (q.secondary->view != "intra") continue;
    CHECK_FALSE(q.done.has_value());
    REQUIRE(q.request.tsig.has_value());
    CHECK(q.request.tsig->name == "intra-key");
  }
}

namespace {

// One secondary question for example.test in view extra, and its result: an authoritative SOA
// answer with `served` as serial. The primary's serial of the view is `mine` (unknown: nullopt).
check::plan one_question(std::optional<std::uint32_t> mine, bool given) {
  check::plan p;
  check::dns_probe_plan d;
  d.request.name = "example.test";
  d.request.service = "dns/udp";
  d.request.path = "direct";
  d.request.target = *ip_endpoint::parse("198.51.100.7", 53);
  d.request.qname = "example.test.";
  d.request.qtype = 6;
  d.expect.zone = "example.test.";
  d.expect.view = "extra";
  d.expect.qtype = 6;
  check::secondary_ask ask;
  ask.server = given ? "--secondary 198.51.100.7#53" : "ns2.example.test (198.51.100.7#53)";
  ask.zone = "example.test.";
  ask.view = "extra";
  ask.other_view = "intra";
  ask.view_serial = mine;
  ask.other_serial = 10u;
  d.secondary = ask;
  p.dns.push_back(d);
  return p;
}

probes::probe_result soa_answer(std::uint32_t served) {
  probes::probe_result r;
  r.check.ok = true;
  r.check.address = "198.51.100.7";
  r.check.port = 53;
  probes::dns_outcome o;
  o.rcode = 0;
  o.aa = true;
  o.answer = {"example.test. 300 IN SOA ns1.example.test. h.example.test. " + std::to_string(served) +
              " 3600 900 604800 300"};
  o.soa_serial = served;
  r.dns = o;
  return r;
}

}  // namespace

TEST_CASE("secondaries judge: the primary's serial of the view unknown is not-checked, never a silent OK") {
  for (const bool given : {true, false}) {
    CAPTURE(given);
    const check::plan p = one_question(std::nullopt, given);
    check::plan_results r;
    r.dns.push_back(soa_answer(7));
    const auto found = check::judge_secondaries(p, r);
    REQUIRE(found.size() == 1);
    const finding& f = found.front();
    CHECK(f.kind == finding_kind::not_checked);
    CHECK(f.sev == severity::unknown);
    CHECK(f.view == "extra");
    CHECK(f.zone == "example.test");
    CHECK(f.address == "198.51.100.7");
    CAPTURE(f.evidence);
    CHECK(f.evidence.find("serves serial 7 for example.test in view extra") != std::string::npos);
    CHECK(f.evidence.find("the primary's serial of example.test in view extra is unknown") != std::string::npos);
    CHECK(f.evidence.find("holds no SOA") != std::string::npos);
  }
  // With the primary's serial known, the same answer is judged (7 is before 20: stale).
  const check::plan known = one_question(20u, true);
  check::plan_results r;
  r.dns.push_back(soa_answer(7));
  const auto judged = check::judge_secondaries(known, r);
  REQUIRE(judged.size() == 1);
  CHECK(judged.front().kind == finding_kind::secondary_stale);
}

TEST_CASE("secondaries judge: a failed question that the probe gave no kind for is still not-checked") {
  const check::plan p = one_question(20u, true);
  check::plan_results r;
  probes::probe_result failed;
  failed.check.ok = false;
  failed.check.detail = "the probe stopped";
  r.dns.push_back(failed);
  const auto found = check::judge_secondaries(p, r);
  REQUIRE_FALSE(found.empty());
  bool unknown = false;
  for (const auto& f : found) unknown |= f.sev >= severity::unknown || f.kind == finding_kind::not_checked;
  CHECK(unknown);
}

TEST_CASE("secondaries plan: a --secondary that is not asked says why in a note") {
  temp_dir d;
  const std::string conf = d.write(
      "named.conf",
      "view \"intra\" { match-clients { 10.0.0.0/8; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
      "view \"extra\" { match-clients { any; }; zone \"other.test\" { type master; file \"db.other\"; }; };\n");
  d.write("db.intra", "$TTL 300\n@ IN SOA ns1 h 10 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 10.0.0.53\n"
                      "web IN A 10.0.0.80\n");
  d.write("db.other", "$TTL 300\n@ IN SOA ns1 h 20 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n");
  diagnostics diags;
  auto cfg = bind::read_named_conf(conf, diags);
  auto zones = zone::load_zones(cfg, diags);
  REQUIRE_FALSE(diags.has_errors());
  check::run_options o;
  o.ipv6 = false;
  o.secondaries = {*ip_endpoint::parse("198.51.100.7", 53)};
  check::plan_inputs in = web_from_loopback(o, cfg, zones);
  const check::plan p = check::plan_secondaries(in);
  CHECK(p.dns.empty());
  bool noted = false;
  for (const auto& n : p.notes) noted |= n.find("--secondary not asked for web.example.test") != std::string::npos;
  CHECK(noted);
  // dns/udp not among the services: a note too.
  o.services = {"https"};
  const check::plan q = check::plan_secondaries(in);
  CHECK(q.dns.empty());
  REQUIRE(q.notes.size() == 1);
  CHECK(q.notes.front().find("dns/udp is not among the services") != std::string::npos);
}
