#include <doctest/doctest.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "report/report.hpp"
#include "samples.hpp"

namespace samples = hc::report::samples;
using ojson = nlohmann::ordered_json;

namespace {
std::vector<std::string> keys(const ojson& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}
}  // namespace

TEST_CASE("json: top-level keys in the contract's order, then the extensions") {
  const ojson j = ojson::parse(hc::report::render_json(samples::critical()));
  CHECK(keys(j) == std::vector<std::string>{"schema", "status", "exit_code", "vantage", "views", "checks", "findings",
                                            "notes", "duration_s", "finished_at"});
  CHECK(j["schema"] == 1);
  CHECK(j["status"] == "CRITICAL");
  CHECK(j["exit_code"] == 2);
  CHECK(keys(j["vantage"]) == std::vector<std::string>{"source", "internal_view", "external_view"});
}

TEST_CASE("json: status and exit code for every severity") {
  CHECK(ojson::parse(hc::report::render_json(samples::all_ok()))["status"] == "OK");
  CHECK(ojson::parse(hc::report::render_json(samples::all_ok()))["exit_code"] == 0);
  CHECK(ojson::parse(hc::report::render_json(samples::warnings()))["exit_code"] == 1);
  CHECK(ojson::parse(hc::report::render_json(samples::unknown()))["status"] == "UNKNOWN");
  CHECK(ojson::parse(hc::report::render_json(samples::unknown()))["exit_code"] == 3);
}

TEST_CASE("json: views, checks and findings as in the contract, fields that do not apply omitted") {
  const ojson j = ojson::parse(hc::report::render_json(samples::critical()));
  const ojson& zone = j["views"][0]["zones"][0];
  CHECK(keys(zone) == std::vector<std::string>{"name", "type", "file", "records", "serial"});
  CHECK(zone["serial"] == 2024091101u);
  CHECK(j["views"][0]["match_clients"] == ojson::array({"198.18.1.0/24", "localhost"}));
  const ojson& check = j["checks"][2];
  CHECK(check["name"] == "blog.debugo.fr");
  CHECK(check["service"] == "https");
  CHECK(check["port"] == 443);
  CHECK(check["ok"] == true);
  CHECK(check["stage"] == "done");
  CHECK(check["duration_s"] == 0.012);
  CHECK(check["type"] == "A");
  const auto ck = keys(check);
  CHECK(std::vector<std::string>(ck.begin(), ck.begin() + 10) ==
        std::vector<std::string>{"name", "type", "service", "path", "address", "port", "ok", "stage", "duration_s",
                                 "detail"});
  // unexpected-source: every field of the contract's example.
  const ojson* us = nullptr;
  for (const auto& f : j["findings"])
    if (f["kind"] == "unexpected-source") us = &f;
  REQUIRE(us);
  CHECK(keys(*us) == std::vector<std::string>{"kind", "severity", "name", "zone", "view", "type", "service", "path",
                                              "address", "evidence", "fix"});
  CHECK((*us)["severity"] == "critical");
  // leak has no service, path, address: omitted, not empty.
  for (const auto& f : j["findings"])
    if (f["kind"] == "leak") {
      CHECK(!f.contains("service"));
      CHECK(!f.contains("path"));
      CHECK(!f.contains("address"));
    }
  // The static zone without a file, records or serial.
  const ojson s = ojson::parse(hc::report::render_json(samples::static_mode()));
  CHECK(keys(s["views"][1]["zones"][1]) == std::vector<std::string>{"name", "type"});
}

TEST_CASE("json: a check's type comes right after its name, so an A and an AAAA check are told apart") {
  hc::run_result r;
  hc::check_result c;
  c.name = "blog.debugo.fr";
  c.service = "dns/udp";
  c.path = "hairpin";
  c.address = "203.0.113.1";
  c.port = 53;
  c.type = "A";
  r.checks.push_back(c);
  c.type = "AAAA";
  r.checks.push_back(c);
  c.type.clear();
  r.checks.push_back(c);
  const ojson j = ojson::parse(hc::report::render_json(r));
  REQUIRE(j["checks"].size() == 3);
  CHECK(j["checks"][0]["type"] == "A");
  CHECK(j["checks"][1]["type"] == "AAAA");
  CHECK(j["checks"][0] != j["checks"][1]);
  CHECK(keys(j["checks"][0])[1] == "type");
  CHECK(!j["checks"][2].contains("type"));  // omitted when empty, like every field that does not apply
  CHECK(keys(j["checks"][2])[1] == "service");
}

TEST_CASE("json: views and the arrays are present even when empty") {
  const ojson j = ojson::parse(hc::report::render_json(hc::run_result{}));
  CHECK(j["views"].is_array());
  CHECK(j["checks"].is_array());
  CHECK(j["findings"].is_array());
  CHECK(j["vantage"].is_object());
  CHECK(j["vantage"].empty());
  CHECK(!j.contains("finished_at"));
  const ojson u = ojson::parse(hc::report::render_json(samples::unknown()));
  CHECK(u["views"] == ojson::array());
  CHECK(u["checks"] == ojson::array());
}

TEST_CASE("json: special characters and invalid UTF-8 survive as valid JSON") {
  const ojson j = ojson::parse(hc::report::render_json(samples::special_chars()));
  CHECK(j["checks"][0]["name"] == "we\"ird\\name\nx");
  CHECK(j["checks"][0]["duration_s"] == 0.0);
  hc::run_result bad;
  bad.notes = {std::string("latin-1 caf\xE9")};
  const std::string text = hc::report::render_json(bad);
  CHECK(ojson::accept(text));
}

// The findings array is written without a DOM (fast for tens of thousands of findings): its text
// must be exactly what nlohmann::json's dump(2) writes for the same findings, odd strings included.
TEST_CASE("json: the streamed findings are byte for byte what nlohmann::json writes") {
  auto r = samples::critical();
  const std::vector<std::string> odd = {
      "plain",  "quote \" and backslash \\", "tab\tnewline\ncr\r", std::string("nul\0byte", 8), "\x01\x1f\x7f",
      "café ✓", "bad \xff utf-8", "truncated \xe2\x82", "\xc3\x28 overlong?", "\xf0\x9f\x98\x80 emoji", ""};
  for (std::size_t i = 0; i < odd.size(); ++i) {
    hc::finding f;
    f.kind = hc::finding_kind::disagree;
    f.sev = hc::severity::critical;
    f.name = odd[i];
    f.evidence = odd[(i + 3) % odd.size()];
    f.fix = odd[(i + 5) % odd.size()];
    f.view = i % 2 ? "intra,extra" : "";
    if (i % 3 == 0) {  // one cause, many names
      f.count = i / 3 + 1;
      for (std::size_t k = 0; k < i / 3; ++k) f.names.push_back(odd[(i + k) % odd.size()]);
    }
    r.findings.push_back(f);
  }
  ojson expected = ojson::parse(hc::report::render_json(samples::critical()));
  ojson findings = ojson::array();
  for (const auto& f : r.findings) {
    ojson j = ojson::object();
    j["kind"] = std::string(hc::name(f.kind));
    j["severity"] = hc::to_string(f.sev);
    for (auto [key, value] : {std::pair{"name", &f.name}, {"zone", &f.zone}, {"view", &f.view}, {"type", &f.type},
                              {"service", &f.service}, {"path", &f.path}, {"address", &f.address},
                              {"evidence", &f.evidence}, {"fix", &f.fix}})
      if (!value->empty()) j[key] = *value;
    if (f.count > 0) {
      j["count"] = f.count;
      j["names"] = f.names;
    }
    findings.push_back(std::move(j));
  }
  expected["findings"] = findings;
  const std::string want = expected.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  CHECK(hc::report::render_json(r) == want);

  r.findings.clear();
  expected["findings"] = ojson::array();
  expected["status"] = "OK";  // the checks of the sample all passed: its findings made it critical
  expected["exit_code"] = 0;
  CHECK(hc::report::render_json(r) == expected.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

namespace {

std::string written(const hc::run_result& r) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  hc::report::write_json(r, f);
  std::rewind(f);
  std::string text;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  return text;
}

}  // namespace

TEST_CASE("json: write_json streams exactly what render_json returns, also past its 1 MiB pieces") {
  for (const auto& s : samples::all()) {
    CAPTURE(s.name);
    const auto r = s.make();
    CHECK(written(r) == hc::report::render_json(r));
  }
  hc::run_result big = samples::critical();
  for (int i = 0; i < 20000; ++i) {
    hc::finding f;
    f.kind = hc::finding_kind::split;
    f.name = "h" + std::to_string(i) + ".example.net";
    f.evidence = "intra: 198.18.1.1; extra: 203.0.113.1";
    if (i % 1000 == 0) {
      f.kind = hc::finding_kind::dangling_target;
      f.names = {f.name, "z.example.net"};
      f.count = 2;
    }
    big.findings.push_back(f);
  }
  const std::string whole = hc::report::render_json(big);
  REQUIRE(whole.size() > (1u << 21));
  CHECK(written(big) == whole);
  CHECK(ojson::accept(whole));
}

TEST_CASE("json: the views, written without a DOM, read as nlohmann::json dump(2) writes them") {
  hc::run_result r = samples::critical();
  hc::view_summary bare;  // no match-clients, no zones
  bare.name = "bare \"one\"\n";
  hc::view_summary full;
  full.name = "caf\xc3\xa9";
  full.match_clients = {"!10.0.0.0/8", "any"};
  hc::zone_summary z1;
  z1.name = "example.test";
  hc::zone_summary z2;
  z2.name = "other.test";
  z2.type = "primary";
  z2.file = "/etc/bind/db.\xff";  // invalid UTF-8 is replaced
  z2.records = 12;
  z2.serial = 4294967295u;
  full.zones = {z1, z2};
  hc::view_summary clients_only;
  clients_only.name = "c";
  clients_only.match_clients = {"localhost"};
  r.views = {bare, full, clients_only};
  const std::string out = hc::report::render_json(r);
  const ojson j = ojson::parse(out);
  CHECK(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" == out);
  REQUIRE(j["views"].size() == 3);
  CHECK(j["views"][0]["name"] == "bare \"one\"\n");
  CHECK(j["views"][0]["zones"].empty());
  CHECK(j["views"][1]["zones"][1]["serial"] == 4294967295u);
  CHECK(j["views"][1]["zones"][0].size() == 1);
  r.views.clear();
  const std::string none = hc::report::render_json(r);
  CHECK(ojson::parse(none).dump(2) + "\n" == none);
}
