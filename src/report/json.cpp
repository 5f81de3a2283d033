// JSON schema 1, documented in docs/json-schema.md.
#include <cstdio>
#include <utility>

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

ojson check_json(const check_result& c) {
  ojson j = ojson::object();
  put(j, "name", c.name);
  put(j, "type", c.type);
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

// Appends s as a JSON string: plain printable ASCII directly (nearly every value), anything else as
// nlohmann::json writes it (escapes, and invalid UTF-8 replaced), so the output is the same.
void append_string(std::string& out, const std::string& s) {
  bool plain = true;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += ojson(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

// One finding as dump(2) prints it at depth 2 (no separator before it).
void append_finding(std::string& out, const finding& f) {
  out += "{";
  bool first = true;
  auto field = [&](const char* key, const std::string& value, bool always = false) {
    if (value.empty() && !always) return;
    out += first ? "\n      \"" : ",\n      \"";
    first = false;
    out += key;
    out += "\": ";
    append_string(out, value);
  };
  field("kind", std::string(name(f.kind)), true);
  field("severity", std::string(to_string(f.sev)), true);
  field("name", f.name);
  field("zone", f.zone);
  field("view", f.view);
  field("type", f.type);
  field("service", f.service);
  field("path", f.path);
  field("address", f.address);
  field("evidence", f.evidence);
  field("fix", f.fix);
  if (f.accepted) out += ",\n      \"accepted\": true";
  if (f.count > 0) {
    out += ",\n      \"count\": ";
    out += std::to_string(f.count);
    out += ",\n      \"names\": [";
    for (std::size_t i = 0; i < f.names.size(); ++i) {
      out += i ? ",\n        " : "\n        ";
      append_string(out, f.names[i]);
    }
    out += f.names.empty() ? "]" : "\n      ]";
  }
  out += "\n    }";
}

// The findings array as dump(2) prints it at depth 1, written straight from the findings: a DOM of
// thousands of findings took longer than loading and comparing the zones. `flush` is called with
// the text so far whenever it passes `chunk` bytes (and the text is then cleared).
template <class Flush>
void findings_text(std::string& out, const run_result& result, std::size_t chunk, Flush flush) {
  if (result.finding_count() == 0) {
    out += "[]";
    return;
  }
  out += "[\n";
  bool first_finding = true;
  // The compact ones rendered one at a time, as they are written.
  for_each_finding(result, [&](const finding& f) {
    out += first_finding ? "    " : ",\n    ";
    first_finding = false;
    append_finding(out, f);
    if (out.size() >= chunk) flush(out);
  });
  out += "\n  ]";
}

// The views array as dump(2) prints it at depth 1, written straight from the views: a DOM of
// 100,000 views took as long as reading them.
void append_views(std::string& out, const std::vector<view_summary>& views) {
  if (views.empty()) {
    out += "[]";
    return;
  }
  out += "[";
  for (std::size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    out += i ? ",\n    {\n      \"name\": " : "\n    {\n      \"name\": ";
    append_string(out, v.name);
    out += ",\n      \"match_clients\": [";
    for (std::size_t k = 0; k < v.match_clients.size(); ++k) {
      out += k ? ",\n        " : "\n        ";
      append_string(out, v.match_clients[k]);
    }
    out += v.match_clients.empty() ? "],\n      \"zones\": [" : "\n      ],\n      \"zones\": [";
    for (std::size_t k = 0; k < v.zones.size(); ++k) {
      const auto& z = v.zones[k];
      out += k ? ",\n        {\n          \"name\": " : "\n        {\n          \"name\": ";
      append_string(out, z.name);
      auto field = [&](const char* key, const std::string& value) {
        if (value.empty()) return;
        out += ",\n          \"";
        out += key;
        out += "\": ";
        append_string(out, value);
      };
      field("type", z.type);
      field("file", z.file);
      if (z.records) out += ",\n          \"records\": " + std::to_string(*z.records);
      if (z.serial) out += ",\n          \"serial\": " + std::to_string(*z.serial);
      out += "\n        }";
    }
    out += v.zones.empty() ? "]\n    }" : "\n      ]\n    }";
  }
  out += "\n  ]";
}

// The report around its findings: the text before the findings array and the text after it. A raw
// newline and two spaces before a key only occur at depth 1 (strings escape newlines).
std::pair<std::string, std::string> frame(const run_result& result) {
  const severity status = result.status();
  ojson j = ojson::object();
  j["schema"] = 1;
  j["status"] = status_name(status);
  j["exit_code"] = exit_code(status);
  j["vantage"] = vantage_json(result.vantage);
  j["views"] = ojson::array();  // written by append_views, spliced in below
  j["checks"] = ojson::array();
  for (const auto& c : result.checks) j["checks"].push_back(check_json(c));
  j["findings"] = ojson::array();  // written by findings_text, spliced in
  // Extensions of schema 1.
  j["notes"] = result.notes;
  j["duration_s"] = detail::round_us(result.duration_s);
  if (result.finished_at != 0) j["finished_at"] = result.finished_at;
  // Invalid UTF-8 (a zone file in Latin-1, say) is replaced rather than thrown.
  std::string out = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  if (!result.views.empty()) {
    static const std::string views_slot = "\n  \"views\": []";
    const auto views_at = out.find(views_slot) + views_slot.size() - 2;
    std::string views;
    append_views(views, result.views);
    out.replace(views_at, 2, views);
  }
  static const std::string slot = "\n  \"findings\": []";
  const auto at = out.find(slot) + slot.size() - 2;
  std::string tail = out.substr(at + 2) + "\n";
  out.resize(at);
  return {std::move(out), std::move(tail)};
}

}  // namespace

std::string render_json(const run_result& result) {
  auto parts = frame(result);
  std::string out = std::move(parts.first);
  out.reserve(out.size() + result.finding_count() * 300 + parts.second.size());
  findings_text(out, result, std::string::npos, [](std::string&) {});
  out += parts.second;
  return out;
}

void write_json(const run_result& result, std::FILE* to) {
  // Written in pieces of about 1 MiB: the report of a million-name run is hundreds of megabytes,
  // which need not be held in memory beside the findings.
  constexpr std::size_t chunk = 1 << 20;
  auto parts = frame(result);
  std::string out = std::move(parts.first);
  auto flush = [to](std::string& text) {
    std::fwrite(text.data(), 1, text.size(), to);
    text.clear();
  };
  out.reserve(chunk + 64 * 1024);
  findings_text(out, result, chunk, flush);
  out += parts.second;
  flush(out);
  std::fflush(to);
}

}  // namespace hc::report
