// --zones-from axfr|both in whole static runs against a loopback server whose views are selected by
// a TSIG key (intra: `key "intra-key"`, extra: `!key "intra-key"; any;`): with the zone files gone,
// the transferred zones give the same static findings as the files; a view our address does not
// select and that no key reaches is not-checked naming it; with `both`, a record served but not in
// the file is stale-zone listing it.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "axfr_test_server.hpp"
#include "check/inputs.hpp"
#include "check/runner.hpp"
#include "check/vantage.hpp"
#include "core/kinds.hpp"

using namespace hc;
namespace fs = std::filesystem;
using hc::test::axfr_server;

namespace {

const std::string secret = "aW50cmEta2V5LXNlY3JldC1mb3ItdGhlLXRzaWctdGVzdA==";
const char* const soa_text = "example.test. 300 IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300";

struct site {
  fs::path dir;
  explicit site(const std::string& extra_views = {}) {
    dir = fs::temp_directory_path() / ("hc-axfr-run-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
    write("named.conf",
          "key \"intra-key\" { algorithm hmac-sha256; secret \"" + secret + "\"; };\n"
          "view \"intra\" { match-clients { key \"intra-key\"; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n" +
              extra_views +
              "view \"extra\" { match-clients { !key \"intra-key\"; any; }; zone \"example.test\" { type master; file \"db.extra\"; }; };\n");
    const char* soa = "$TTL 300\n@ IN SOA ns.example.test. h.example.test. 7 3600 900 604800 300\n@ IN NS ns\n";
    write("db.intra", std::string(soa) + "ns IN A 127.0.0.53\nweb IN A 127.0.0.5\nonly-inside IN A 127.0.0.7\n");
    write("db.extra", std::string(soa) + "ns IN A 127.0.0.53\nweb IN A 127.0.0.5\n");
  }
  ~site() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }
  std::string conf() const { return (dir / "named.conf").string(); }
};

// The server: the intra zone, signed, to a query signed with intra-key; the extra zone to an
// unsigned one (plus `extra_record` when set), in two messages each.
std::vector<probes::dns_bytes> serve(const probes::dns_bytes& query, const std::string& extra_record = {}) {
  auto q = probes::parse_dns_message(query);
  if (!q.pkt) return {};
  const bool keyed = ldns_pkt_tsig(q.pkt.get()) != nullptr;
  hc::test::script s;
  if (keyed) s.sign_with = probes::tsig_key{"intra-key", "hmac-sha256", secret};
  if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(q.pkt.get()), 0)) == LDNS_RR_TYPE_SOA) {
    s.messages = {{soa_text}};  // the zone of any name asked: example.test
    return hc::test::replies(query, s);
  }
  std::vector<std::string> body = {"ns.example.test. 300 IN A 127.0.0.53", "web.example.test. 300 IN A 127.0.0.5"};
  if (keyed) {
    body.push_back("only-inside.example.test. 300 IN A 127.0.0.7");
    s.sign_with = probes::tsig_key{"intra-key", "hmac-sha256", secret};
  } else if (!extra_record.empty()) {
    body.push_back(extra_record);
  }
  s.messages = {{soa_text, "example.test. 300 IN NS ns.example.test."}, body};
  s.messages.back().push_back(soa_text);
  return hc::test::replies(query, s);
}

check::run_options static_options(const site& st, std::uint16_t port) {
  check::run_options o;
  o.named_conf = st.conf();
  o.named_conf_given = true;
  o.all = true;
  o.static_only = true;
  o.source = ip_address::parse("127.0.0.1");
  o.dns_server = ip_endpoint::parse("127.0.0.1#" + std::to_string(port), 53);
  o.timeout_s = 10;
  return o;
}

using finding_key = std::tuple<std::string, std::string, std::string, std::string>;

std::set<finding_key> keys_of(const run_result& r) {
  std::set<finding_key> out;
  for (const auto& f : r.findings) out.insert({std::string(name(f.kind)), f.name, f.view, f.zone});
  return out;
}

}  // namespace

TEST_CASE("zones by AXFR: with no zone file readable, the transferred views give the file-based run's static findings") {
  site st;
  axfr_server server([](const probes::dns_bytes& q) { return serve(q); }, false);
  auto o = static_options(st, server.port());
  const run_result by_files = check::run(o);
  fs::remove(st.dir / "db.intra");
  fs::remove(st.dir / "db.extra");
  o.zones_from = check::run_options::zone_source::axfr;
  const run_result by_axfr = check::run(o);
  const auto file_keys = keys_of(by_files);
  const auto axfr_keys = keys_of(by_axfr);
  CHECK(file_keys == axfr_keys);
  CHECK(file_keys.count({"intra-only", "only-inside.example.test", "intra", "example.test"}) == 1);
  CHECK(server.connections() == 2);  // one transfer per view
  REQUIRE(by_axfr.views.size() == 2);
  REQUIRE(by_files.views.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(by_axfr.views[i].zones.size() == 1);
    CHECK(by_axfr.views[i].zones[0].records == by_files.views[i].zones[0].records);
    CHECK(by_axfr.views[i].zones[0].serial == by_files.views[i].zones[0].serial);
  }
  for (const auto& n : by_axfr.notes) CHECK(n.find(secret) == std::string::npos);
}

TEST_CASE("zones by AXFR: a view selected by an address ours is not, and by no key, is one not-checked naming it") {
  site st("view \"far\" { match-clients { 192.0.2.0/24; }; zone \"far.test\" { type master; file \"db.far\"; }; };\n");
  axfr_server server([](const probes::dns_bytes& q) { return serve(q); }, false);
  auto o = static_options(st, server.port());
  o.zones_from = check::run_options::zone_source::axfr;
  const check::run_inputs in = check::load_inputs(o);
  const finding* far = nullptr;
  for (const auto& f : in.findings)
    if (f.kind == finding_kind::not_checked && f.view == "far") far = &f;
  REQUIRE(far);
  CHECK(far->evidence.find("view 'far' could not be transferred") != std::string::npos);
  CHECK(far->evidence.find("selected by address") != std::string::npos);
  CHECK(far->names == std::vector<std::string>{"far.test"});
  CHECK(in.zones.entry("far", "far.test"));
  CHECK(!in.zones.find("far", "far.test"));  // declared, no data: never an empty zone
  CHECK(in.zones.find("intra", "example.test"));
  CHECK(in.zones.find("extra", "example.test"));
}

TEST_CASE("zones by AXFR: --view with a key file that holds another secret is tsig-bad for that view's zones") {
  site st;
  axfr_server server([](const probes::dns_bytes& q) { return serve(q); }, false);
  std::ofstream(st.dir / "wrong.key") << "key \"intra-key\" { algorithm hmac-sha256; secret "
                                         "\"d3Jvbmcta2V5LXNlY3JldC1mb3ItdGhlLXRzaWctdGVzdA==\"; };\n";
  auto o = static_options(st, server.port());
  o.zones_from = check::run_options::zone_source::axfr;
  o.transfer_views = {{"intra", (st.dir / "wrong.key").string()}};
  const check::run_inputs in = check::load_inputs(o);
  std::size_t bad = 0;
  for (const auto& f : in.findings)
    if (f.kind == finding_kind::tsig_bad && f.view == "intra" && f.zone == "example.test") ++bad;
  CHECK(bad == 1);
  CHECK(!in.zones.find("intra", "example.test"));
  CHECK(!in.zones.find("extra", "example.test"));  // not named with --view: not transferred
}

TEST_CASE("zones by AXFR: --zones-from both lists the records served that the file lacks as stale-zone") {
  site st;
  axfr_server server([](const probes::dns_bytes& q) { return serve(q, "new.example.test. 300 IN A 127.0.0.9"); },
                     false);
  auto o = static_options(st, server.port());
  o.zones_from = check::run_options::zone_source::both;
  const check::run_inputs in = check::load_inputs(o);
  std::vector<const finding*> stale;
  for (const auto& f : in.findings)
    if (f.kind == finding_kind::stale_zone) stale.push_back(&f);
  REQUIRE(stale.size() == 1);
  CHECK(stale[0]->view == "extra");
  CHECK(stale[0]->evidence.find("served only: new.example.test. A 127.0.0.9") != std::string::npos);
  CHECK(stale[0]->evidence.find("1 record differ") != std::string::npos);
  // The files stay the data the checks use.
  CHECK(in.zones.find("extra", "example.test")->lookup("new.example.test.", 1).empty());
}

TEST_CASE("zones by AXFR: --zones-from both with a zone that has no file says the transfer is not compared") {
  site st;
  // extra's copy of the zone is a secondary without a file: nothing to compare its transfer with.
  st.write("named.conf",
           "key \"intra-key\" { algorithm hmac-sha256; secret \"" + secret + "\"; };\n"
           "view \"intra\" { match-clients { key \"intra-key\"; }; zone \"example.test\" { type master; file \"db.intra\"; }; };\n"
           "view \"extra\" { match-clients { !key \"intra-key\"; any; }; zone \"example.test\" { type slave; masters { 127.0.0.53; }; }; };\n");
  axfr_server server([](const probes::dns_bytes& q) { return serve(q, "new.example.test. 300 IN A 127.0.0.9"); },
                     false);
  auto o = static_options(st, server.port());
  o.zones_from = check::run_options::zone_source::both;
  const check::run_inputs in = check::load_inputs(o);
  for (const auto& f : in.findings) CHECK(f.kind != finding_kind::stale_zone);
  bool noted = false;
  for (const auto& n : in.notes)
    noted |= n.find("view 'extra': zone example.test transferred from") != std::string::npos &&
             n.find("the transfer is not compared with a file") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("zones by AXFR: without named.conf, --view NAME=KEYFILE views get the zones of the names asked, found by SOA") {
  site st;
  std::ofstream(st.dir / "intra.key") << "key \"intra-key\" { algorithm hmac-sha256; secret \"" << secret << "\"; };\n";
  axfr_server server([](const probes::dns_bytes& q) { return serve(q); }, false);
  check::run_options o;
  o.named_conf.clear();  // --no-named-conf
  o.names = {"web.example.test.", "only-inside.example.test."};
  o.source = ip_address::parse("127.0.0.1");
  o.dns_server = ip_endpoint::parse("127.0.0.1#" + std::to_string(server.port()), 53);
  o.zones_from = check::run_options::zone_source::axfr;
  o.transfer_views = {{"intra", (st.dir / "intra.key").string()}, {"extra", ""}};
  const check::run_inputs in = check::load_inputs(o);
  CHECK(in.findings.empty());
  REQUIRE(in.config);
  REQUIRE(in.config->views.size() == 2);
  const auto* intra = in.zones.find("intra", "example.test");
  const auto* extra = in.zones.find("extra", "example.test");
  REQUIRE(intra);
  REQUIRE(extra);
  CHECK(intra->has_name("only-inside.example.test."));
  CHECK(!extra->has_name("only-inside.example.test."));
  // The views are told apart as named.conf's would be: the keyed one inside, the keyless one outside.
  const check::vantage_point vp = check::find_vantage(o, in);
  REQUIRE(vp.internal);
  REQUIRE(vp.external);
  CHECK(vp.internal->name == "intra");
  CHECK(vp.external->name == "extra");
}

TEST_CASE("zones by AXFR: a configuration without views transfers its zones into the default view, naming no file") {
  site st;
  st.write("named.conf", "zone \"example.test\" { type master; file \"db.extra\"; };\n");
  axfr_server server([](const probes::dns_bytes& q) { return serve(q); }, false);
  auto o = static_options(st, server.port());
  o.zones_from = check::run_options::zone_source::axfr;
  const check::run_inputs in = check::load_inputs(o);
  CHECK(in.findings.empty());
  REQUIRE(in.config);
  REQUIRE(in.config->views.size() == 1);
  const auto* z = in.zones.find(in.config->views.front().name, "example.test");
  REQUIRE(z);
  CHECK(z->has_name("web.example.test."));
  REQUIRE(in.views.size() == 1);
  REQUIRE(in.views.front().zones.size() == 1);
  CHECK(in.views.front().zones.front().file.empty());
  CHECK(in.views.front().zones.front().records == std::optional<std::size_t>(4));
}
