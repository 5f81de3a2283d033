#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "check/dnssec_parity.hpp"

using namespace hc;
using namespace hc::check;

namespace {

const std::string dir = std::string(HC_TEST_DATA) + "/zones/dnssec";

// The zone files of tests/data/zones/dnssec (README.md there says how they were made).
const std::string unsigned_zone = dir + "/db.signed.example";
const std::string signed_a = dir + "/db.signed.example.signed-a";  // KSK 22226, ZSK 17153
const std::string signed_b = dir + "/db.signed.example.signed-b";  // KSK 55366, ZSK 15204

bind::view_decl view(const std::string& name) {
  bind::view_decl v;
  v.name = name;
  return v;
}

// Views intra and extra serving signed.example from the two files, and, when given, the parent
// zone example from `parent` in `parent_view`.
struct setup {
  bind::view_decl intra = view("intra"), extra = view("extra");
  zone::zone_set zones;
  diagnostics diags;

  void add(const std::string& v, const std::string& name, const std::string& file, const std::string& type = "primary") {
    zone::loaded_zone z;
    z.view = v;
    z.decl.name = name;
    z.decl.type = type;
    z.decl.file = file;
    z.data = file.empty() ? nullptr : zone::load_zone_file(file, name, diags);
    zones.add(std::move(z));
  }

  setup(const std::string& intra_file, const std::string& extra_file, const std::string& parent = {},
        const std::string& parent_view = "extra") {
    add("intra", "signed.example", intra_file);
    add("extra", "signed.example", extra_file);
    if (!parent.empty()) add(parent_view, "example", dir + "/" + parent);
  }

  std::vector<finding> run(const parity_options& o = {}) {
    REQUIRE(diags.all().empty());
    return dnssec_parity(zones, intra, extra, o);
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A live lookup that answers every zone with `ds` and counts what it was asked.
struct fake_live {
  parent_ds ds;
  std::vector<std::string> asked;
  ds_lookup fn() {
    return [this](const std::vector<std::string>& zones) {
      asked.insert(asked.end(), zones.begin(), zones.end());
      return std::vector<parent_ds>(zones.size(), ds);
    };
  }
};

const char* ds_a = "22226 13 2 5DCC7F5B7ED6E0172675B14758A991D2900456695BEDFCCEA376C7A4879701A7";

}  // namespace

TEST_CASE("dnssec parity: both views unsigned give nothing, even with a DS at the parent") {
  setup s(unsigned_zone, unsigned_zone, "db.example.ds-a");
  CHECK(s.run().empty());
}

TEST_CASE("dnssec parity: both views signed with the same keys give nothing, and ask nothing live") {
  setup s(signed_a, signed_a);
  fake_live live;
  parity_options o;
  o.live = live.fn();
  CHECK(s.run(o).empty());
  CHECK(live.asked.empty());
}

TEST_CASE("dnssec parity: external signed, internal unsigned, DS in the parent zone is critical for the internal view") {
  setup s(unsigned_zone, signed_a, "db.example.ds-a");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.kind == finding_kind::dnssec_split);
  CHECK(f.sev == severity::critical);
  CHECK(f.zone == "signed.example");
  CHECK(f.name == "signed.example");
  CHECK(f.view == "intra");
  CHECK(has(f.evidence, "view extra signed with DNSKEY tags 22226 (KSK), 17153 (ZSK), algorithm 13"));
  CHECK(has(f.evidence, "view intra unsigned (no DNSKEY at the apex)"));
  CHECK(has(f.evidence, "parent zone example of view extra"));
  CHECK(has(f.evidence, "22226/13/2"));
  CHECK(has(f.evidence, "the DS names view extra's key 22226"));
  CHECK(has(f.fix, "dnssec-policy"));
  CHECK(has(f.fix, "validate-except { \"signed.example\"; }"));
  CHECK(has(f.fix, "rndc nta signed.example"));
}

TEST_CASE("dnssec parity: the internal view's parent zone is preferred to the external one's") {
  setup s(unsigned_zone, signed_a, "db.example.ds-a", "extra");
  s.add("intra", "example", dir + "/db.example.nods");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.sev == severity::info);
  CHECK(has(f.evidence, "no DS at the parent (parent zone example of view intra"));
}

TEST_CASE("dnssec parity: without a DS at the parent the split is info only") {
  setup s(unsigned_zone, signed_a, "db.example.nods");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.sev == severity::info);
  CHECK(f.view == "intra,extra");
  CHECK(has(f.evidence, "no DS at the parent"));
}

TEST_CASE("dnssec parity: different keys in the views with the DS of the external keys fail the internal view") {
  setup s(signed_b, signed_a, "db.example.ds-a");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.sev == severity::critical);
  CHECK(f.view == "intra");
  CHECK(has(f.evidence, "view intra signed with DNSKEY tags 55366 (KSK), 15204 (ZSK)"));
  CHECK(has(f.evidence, "view intra has no DNSKEY the DS names"));
}

TEST_CASE("dnssec parity: a DS that matches the internal view only fails the external view") {
  setup s(signed_b, signed_a, "db.example.ds-b");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.sev == severity::critical);
  CHECK(f.view == "extra");
  CHECK(has(f.evidence, "the DS names view intra's key 55366"));
  CHECK(has(f.fix, "resolvers on the Internet fail"));
}

TEST_CASE("dnssec parity: a DS for each view's keys lets both validate") {
  setup s(signed_b, signed_a, "db.example.ds-ab");
  CHECK(s.run().empty());
}

TEST_CASE("dnssec parity: a DS matching neither view fails both") {
  setup s(unsigned_zone, signed_b, "db.example.ds-a");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].sev == severity::critical);
  CHECK(fs[0].view == "intra,extra");
}

TEST_CASE("dnssec parity: --static without the parent zone is a warning saying the DS could not be checked") {
  setup s(unsigned_zone, signed_a);
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.sev == severity::warning);
  CHECK(f.view == "intra,extra");
  CHECK(has(f.evidence, "the parent's DS could not be checked"));
  CHECK(has(f.evidence, "--static"));
  CHECK(has(f.fix, "dig DS signed.example"));
}

TEST_CASE("dnssec parity: live, the DS asked when no parent zone is configured decides") {
  setup s(unsigned_zone, signed_a);
  fake_live live;
  live.ds.known = true;
  live.ds.records = {ds_a};
  live.ds.source = "resolver 192.0.2.1#53";
  parity_options o;
  o.live = live.fn();
  auto fs = s.run(o);
  CHECK(live.asked == std::vector<std::string>{"signed.example."});
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].sev == severity::critical);
  CHECK(fs[0].view == "intra");
  CHECK(has(fs[0].evidence, "resolver 192.0.2.1#53"));

  live.ds.records.clear();
  live.asked.clear();
  auto none = s.run(o);
  REQUIRE(none.size() == 1);
  CHECK(none[0].sev == severity::info);
}

TEST_CASE("dnssec parity: live, a parent zone in the configuration is read, not asked") {
  setup s(unsigned_zone, signed_a, "db.example.ds-a");
  fake_live live;
  parity_options o;
  o.live = live.fn();
  auto fs = s.run(o);
  CHECK(live.asked.empty());
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].sev == severity::critical);
}

TEST_CASE("dnssec parity: a parent zone declared without data is asked live, else could not be checked") {
  setup s(unsigned_zone, signed_a);
  s.add("intra", "example", "", "secondary");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].sev == severity::warning);
  CHECK(has(fs[0].evidence, "parent zone example of view intra is declared but its data did not load"));

  fake_live live;
  live.ds.known = true;
  live.ds.records = {ds_a};
  parity_options o;
  o.live = live.fn();
  auto live_fs = s.run(o);
  CHECK(live.asked.size() == 1);
  REQUIRE(live_fs.size() == 1);
  CHECK(live_fs[0].sev == severity::critical);
}

TEST_CASE("dnssec parity: hint and stub zones are neither compared nor taken as the parent") {
  setup s(unsigned_zone, signed_a);
  s.add("intra", "example", dir + "/db.example.ds-a", "stub");
  s.add("extra", "other.example", unsigned_zone, "hint");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].sev == severity::warning);  // the stub's DS is not the parent's word
}

TEST_CASE("dnssec parity: with checked names, only the zones that hold one are looked at") {
  setup s(unsigned_zone, signed_a, "db.example.ds-a");
  parity_options o;
  o.names = std::vector<std::string>{"www.elsewhere.example."};
  CHECK(s.run(o).empty());
  o.names = std::vector<std::string>{"www.signed.example."};
  CHECK(s.run(o).size() == 1);
}

TEST_CASE("dnssec parity: DS answers from a resolver") {
  probes::probe_result r;
  r.dns = probes::dns_outcome{};
  r.dns->rcode = 0;
  r.dns->answer = {std::string("signed.example. DS ") + ds_a};
  auto with = ds_from_answer("signed.example.", r, "resolver 192.0.2.1#53");
  CHECK(with.known);
  CHECK(with.records == std::vector<std::string>{ds_a});

  r.dns->answer.clear();
  r.dns->authority = {"example. SOA ns1.example. hostmaster.example. 1 3600 600 604800 300"};
  auto nodata = ds_from_answer("signed.example.", r, "resolver");
  CHECK(nodata.known);
  CHECK(nodata.records.empty());

  r.dns->authority = {"signed.example. SOA ns1.signed.example. hostmaster.signed.example. 1 3600 600 604800 300"};
  auto child = ds_from_answer("signed.example.", r, "resolver");
  CHECK_FALSE(child.known);
  CHECK(has(child.reason, "from the zone signed.example itself"));

  r.dns->authority.clear();
  r.dns->rcode = 3;
  CHECK(ds_from_answer("signed.example.", r, "resolver").known);

  r.dns->rcode = 2;
  auto servfail = ds_from_answer("signed.example.", r, "resolver");
  CHECK_FALSE(servfail.known);
  CHECK(has(servfail.reason, "SERVFAIL"));

  probes::probe_result lost;
  lost.check.stage = "timeout";
  auto timeout = ds_from_answer("signed.example.", lost, "resolver");
  CHECK_FALSE(timeout.known);
  CHECK(has(timeout.reason, "got no answer (timeout)"));
}

TEST_CASE("dnssec parity: the resolver lookup sends one recursive DS question per zone in one call") {
  std::vector<probes::probe_request> sent;
  int calls = 0;
  send_fn send = [&](const std::vector<probes::probe_request>& reqs) {
    ++calls;
    sent = reqs;
    std::vector<probes::probe_result> out(reqs.size());
    for (auto& r : out) {
      r.dns = probes::dns_outcome{};
      r.dns->rcode = 3;
    }
    return out;
  };
  const ip_endpoint resolver{*ip_address::parse("192.0.2.1"), 53};
  auto lookup = ds_from_resolver(resolver, send);
  auto got = lookup({"a.example.", "b.example."});
  CHECK(calls == 1);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].qtype == 43);
  CHECK(sent[0].qname == "a.example.");
  CHECK(sent[1].qname == "b.example.");
  CHECK(sent[0].recursion_desired);
  CHECK(sent[0].service == "dns/udp");
  CHECK(sent[0].path == "resolver");
  REQUIRE(got.size() == 2);
  CHECK(got[0].known);
  CHECK(has(got[0].source, "192.0.2.1"));

  auto none = ds_unavailable("no resolver")({"a.example."});
  REQUIRE(none.size() == 1);
  CHECK_FALSE(none[0].known);
  CHECK(none[0].reason == "no resolver");
}

TEST_CASE("dnssec parity: a view that named signs itself is read from its FILE.signed copy") {
  setup s(unsigned_zone, dir + "/inline/db.signed.example", "db.example.ds-a");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  const finding& f = fs[0];
  CHECK(f.sev == severity::critical);
  CHECK(f.view == "intra");
  CHECK(has(f.evidence, "view extra signed with DNSKEY tags 22226 (KSK), 17153 (ZSK), algorithm 13"));
  CHECK(has(f.evidence, "inline/db.signed.example.signed"));

  setup same(signed_a, dir + "/inline/db.signed.example", "db.example.ds-a");
  CHECK(same.run().empty());
}

TEST_CASE("dnssec parity: a signed file configured as such is not called named's signed copy") {
  setup s(unsigned_zone, dir + "/inline/db.signed.example.signed", "db.example.ds-a");
  auto fs = s.run();
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].sev == severity::critical);
  CHECK(has(fs[0].evidence, "view extra signed with DNSKEY tags 22226 (KSK), 17153 (ZSK), algorithm 13"));
  CHECK_FALSE(has(fs[0].evidence, "named's signed copy"));
}

TEST_CASE("dnssec parity: a FILE.signed copy that is not text leaves that view's keys unknown") {
  namespace fs = std::filesystem;
  const fs::path tmp = fs::temp_directory_path() / ("hc-dnssec-parity-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string file = (tmp / "db.signed.example").string();
  fs::copy_file(unsigned_zone, file, fs::copy_options::overwrite_existing);
  {
    std::ofstream raw(file + ".signed", std::ios::binary);
    raw << std::string("\0\0\0\1raw", 7);
  }
  // The other view unsigned, a DS at the parent: the unsigned view fails whatever the unknown keys are.
  setup unsigned_inside(unsigned_zone, file, "db.example.ds-a");
  auto critical = unsigned_inside.run();
  // Both views' keys beyond comparison with the DS: a warning, not an OK.
  setup signed_inside(signed_a, file, "db.example.ds-a");
  auto warning = signed_inside.run();
  fs::remove_all(tmp);

  REQUIRE(critical.size() == 1);
  CHECK(critical[0].sev == severity::critical);
  CHECK(critical[0].view == "intra");
  CHECK(has(critical[0].evidence, "DNSKEYs that could not be read"));
  REQUIRE(warning.size() == 1);
  CHECK(warning[0].sev == severity::warning);
  CHECK(has(warning[0].evidence, "view extra's keys could not be compared with the DS"));
}

TEST_CASE("dnssec parity: hostile zones: hundreds of DNSKEYs and DS records give a bounded evidence") {
  namespace fs = std::filesystem;
  const fs::path tmp = fs::temp_directory_path() / ("hc-dnssec-hostile-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string keys = "$TTL 300\n@ IN SOA ns1 h 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n";
  std::string parent = "$TTL 300\n@ IN SOA ns1 h 1 3600 600 604800 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n"
                       "signed IN NS ns1.signed\nns1.signed IN A 192.0.2.53\n";
  for (int i = 0; i < 300; ++i) {
    std::string key(88, 'A');
    for (int j = 0; j < 88; ++j) key[static_cast<std::size_t>(j)] = b64[(i * 7 + j * 13) % 64];
    key[0] = b64[i % 64];  // 300 different keys
    key[1] = b64[i / 64];
    keys += "@ IN DNSKEY 256 3 13 " + key + "\n";
    parent += "signed IN DS " + std::to_string(1000 + i) + " 13 2 " + std::string(64, "0123456789ABCDEF"[i % 16]) + "\n";
  }
  std::ofstream(tmp / "db.keys") << keys;
  std::ofstream(tmp / "db.parent") << parent;
  setup s(unsigned_zone, (tmp / "db.keys").string());
  s.add("extra", "example", (tmp / "db.parent").string());
  auto fs_found = s.run();
  fs::remove_all(tmp);

  REQUIRE(fs_found.size() == 1);
  const finding& f = fs_found[0];
  CHECK(f.sev == severity::critical);
  CHECK(f.view == "intra,extra");  // no DS names a key of either view
  CHECK(has(f.evidence, "digest type 1000/13/2, 1001/13/2"));
  CHECK(has(f.evidence, "(ZSK) and 292 more, algorithm 13"));  // the DNSKEYs
  CHECK(has(f.evidence, "1007/13/2 and 292 more"));             // the DS records
  CHECK(f.evidence.size() < 2000);
}
