// JSON schema 1 of ../shared/CONTRACT.md; documented in docs/json-schema.md.
#include <nlohmann/json.hpp>

#include "report/format.hpp"
#include "report/report.hpp"

namespace hc::report {
namespace {

using ojson = nlohmann::ordered_json;

void put(ojson& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

ojson vantage_json(const vantage_info& v) {
  ojson j = ojson::object();
  put(j, "source", v.source);
  put(j, "internal_view", v.internal_view);
  put(j, "external_view", v.external_view);
  return j;
}

ojson view_json(const view_summary& v) {
  ojson j = ojson::object();
  j["name"] = v.name;
  j["match_clients"] = v.match_clients;
  ojson zones = ojson::array();
  for (const auto& z : v.zones) {
    ojson zj = ojson::object();
    zj["name"] = z.name;
    put(zj, "type", z.type);
    put(zj, "file", z.file);
    if (z.records) zj["records"] = *z.records;
    if (z.serial) zj["serial"] = *z.serial;
    zones.push_back(std::move(zj));
  }
  j["zones"] = std::move(zones);
  return j;
}

ojson check_json(const check_result& c) {
  ojson j = ojson::object();
  put(j, "name", c.name);
  put(j, "service", c.service);
  put(j, "path", c.path);
  put(j, "address", c.address);
  if (c.port != 0) j["port"] = c.port;
  j["ok"] = c.ok;
  put(j, "stage", c.stage);
  j["duration_s"] = detail::round_us(c.duration_s);
  put(j, "detail", c.detail);
  // Extensions of schema 1.
  if (!c.phases.empty()) {
    ojson phases = ojson::object();
    for (const auto& p : c.phases) phases[p.phase] = detail::round_us(p.seconds);
    j["phases"] = std::move(phases);
  }
  if (c.cert_not_after) j["cert_not_after"] = *c.cert_not_after;
  put(j, "zone", c.zone);
  put(j, "view", c.view);
  if (c.file_serial) j["file_serial"] = *c.file_serial;
  if (c.served_serial) j["served_serial"] = *c.served_serial;
  return j;
}

ojson finding_json(const finding& f) {
  ojson j = ojson::object();
  j["kind"] = f.kind;
  j["severity"] = to_string(f.sev);
  put(j, "name", f.name);
  put(j, "zone", f.zone);
  put(j, "view", f.view);
  put(j, "type", f.type);
  put(j, "service", f.service);
  put(j, "path", f.path);
  put(j, "address", f.address);
  put(j, "evidence", f.evidence);
  put(j, "fix", f.fix);
  return j;
}

}  // namespace

std::string render_json(const run_result& result) {
  const severity status = result.status();
  ojson j = ojson::object();
  j["schema"] = 1;
  j["status"] = status_name(status);
  j["exit_code"] = exit_code(status);
  j["vantage"] = vantage_json(result.vantage);
  j["views"] = ojson::array();
  for (const auto& v : result.views) j["views"].push_back(view_json(v));
  j["checks"] = ojson::array();
  for (const auto& c : result.checks) j["checks"].push_back(check_json(c));
  j["findings"] = ojson::array();
  for (const auto& f : result.findings) j["findings"].push_back(finding_json(f));
  // Extensions of schema 1.
  j["notes"] = result.notes;
  j["duration_s"] = detail::round_us(result.duration_s);
  if (result.finished_at != 0) j["finished_at"] = result.finished_at;
  // Invalid UTF-8 (a zone file in Latin-1, say) is replaced rather than thrown.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace hc::report
