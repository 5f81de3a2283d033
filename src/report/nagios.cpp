// Nagios / monitoring-plugins output (https://www.monitoring-plugins.org/doc/guidelines.html):
//   HAIRPIN <STATE> - <summary> | 'label'=value[UOM];warn;crit;min;max ...
//   [CRITICAL] kind name service path: evidence — fix: ...
#include <algorithm>
#include <set>

#include "report/format.hpp"
#include "report/report.hpp"

namespace hc::report {
namespace {

// Text outside perfdata must not contain '|' (it starts perfdata) nor line breaks.
std::string plugin_text(std::string_view text) {
  std::string out;
  for (char c : detail::one_line(detail::valid_utf8(text))) {
    if (c == '|')
      out += "\xC2\xA6";  // U+00A6 BROKEN BAR
    else
      out.push_back(c);
  }
  return out;
}

// A perfdata label: quoted, without ' and = (and without control characters).
std::string perf_label(std::string_view text) {
  std::string out = "'";
  for (char c : detail::one_line(detail::valid_utf8(text))) out.push_back(c == '\'' || c == '=' ? '_' : c);
  out += "'";
  return out;
}

std::string perf(std::string_view label, const std::string& value, const std::string& warn = {},
                 const std::string& crit = {}, const std::string& min = {}, const std::string& max = {}) {
  std::string out = perf_label(label);
  out += '=';
  out += value;
  out += ';' + warn + ';' + crit + ';' + min + ';' + max;
  // Trailing empty fields may be dropped.
  while (!out.empty() && out.back() == ';') out.pop_back();
  return out;
}

std::string summary(const run_result& r) {
  const std::size_t crit = detail::count(r, severity::critical);
  const std::size_t warn = detail::count(r, severity::warning);
  const std::size_t unknown = detail::count(r, severity::unknown);
  std::string s;
  auto add = [&](std::size_t n, const char* word) {
    if (n == 0) return;
    if (!s.empty()) s += ", ";
    s += std::to_string(n) + ' ' + word;
  };
  add(unknown, "unknown");
  add(crit, "critical");
  add(warn, "warning");
  const std::size_t failed =
      std::count_if(r.checks.begin(), r.checks.end(), [](const check_result& c) { return !c.ok; });
  if (s.empty()) {
    if (r.checks.empty())
      s = "no findings, static checks only";
    else
      s = std::to_string(r.checks.size()) + (r.checks.size() == 1 ? " check ok" : " checks ok");
    const std::size_t info = detail::count(r, severity::info);
    if (info) s += ", " + std::to_string(info) + " info";
    return s;
  }
  // The first few of the worst findings: "kind name".
  s += ": ";
  auto sorted = detail::sorted_findings(r);
  std::size_t shown = 0;
  for (const finding* f : sorted) {
    if (f->sev < severity::warning) break;
    if (shown == 3) {
      s += ", ...";
      break;
    }
    if (shown) s += ", ";
    s += name(f->kind);
    if (!f->name.empty())
      s += ' ' + f->name;
    else if (!f->zone.empty())
      s += ' ' + f->zone;
    else if (!f->evidence.empty())  // config-error: where it is, file:line:col
      s += ' ' + detail::truncate_utf8(f->evidence, 120);
    ++shown;
  }
  if (!r.checks.empty()) s += " (" + std::to_string(r.checks.size() - failed) + '/' + std::to_string(r.checks.size()) + " checks ok)";
  return s;
}

const char* tag(severity s) {
  switch (s) {
    case severity::ok: return "[OK]";
    case severity::info: return "[INFO]";
    case severity::warning: return "[WARNING]";
    case severity::critical: return "[CRITICAL]";
    case severity::unknown: return "[UNKNOWN]";
  }
  return "[UNKNOWN]";
}

std::string finding_line(const finding& f) {
  std::string s = tag(f.sev);
  s += ' ';
  s += name(f.kind);
  if (f.name.empty() && !f.zone.empty()) s += " zone " + f.zone;
  for (const std::string* part : {&f.name, &f.type, &f.service, &f.path})
    if (!part->empty()) s += ' ' + *part;
  if (!f.view.empty()) s += " (view " + f.view + ')';
  if (!f.evidence.empty()) s += ": " + f.evidence;
  if (!f.fix.empty()) s += " \xE2\x80\x94 fix: " + f.fix;  // em dash
  return plugin_text(s);
}

}  // namespace

std::string render_nagios(const run_result& r, const nagios_options& o) {
  const severity status = r.status();
  std::string head = std::string("HAIRPIN ") + status_name(status) + " - " + plugin_text(summary(r));
  // Keep room for at least the findings perfdata.
  if (o.max_first_line > 200) head = detail::truncate_utf8(head, o.max_first_line - 200);

  std::vector<std::string> perfdata;
  perfdata.push_back(perf("findings_critical", std::to_string(detail::count(r, severity::critical)), "", "", "0"));
  perfdata.push_back(perf("findings_warning", std::to_string(detail::count(r, severity::warning)), "", "", "0"));
  perfdata.push_back(perf("findings_unknown", std::to_string(detail::count(r, severity::unknown)), "", "", "0"));
  perfdata.push_back(perf("checks_failed",
                          std::to_string(std::count_if(r.checks.begin(), r.checks.end(),
                                                       [](const check_result& c) { return !c.ok; })),
                          "", "", "0", std::to_string(r.checks.size())));
  perfdata.push_back(perf("run_duration", detail::fixed(r.duration_s) + "s", "", "", "0"));

  const std::string warn_s = detail::fixed(o.warn_seconds), crit_s = detail::fixed(o.crit_seconds);
  std::set<std::string> used;
  auto unique_label = [&](std::string label, const std::string& address) {
    if (used.count(label) && !address.empty()) label += '_' + address;
    std::string base = label;
    for (int n = 2; used.count(label); ++n) label = base + '_' + std::to_string(n);
    used.insert(label);
    return label;
  };
  for (const auto& c : r.checks) {
    std::string base = c.name + '_' + c.service + '_' + c.path;
    perfdata.push_back(
        perf(unique_label(base, c.address), detail::fixed(c.duration_s) + "s", warn_s, crit_s, "0"));
    if (c.cert_not_after && r.finished_at != 0) {
      const long long days = detail::days_left(*c.cert_not_after, r.finished_at);
      perfdata.push_back(perf(unique_label(base + "_cert_days", c.address), std::to_string(days),
                              std::to_string(o.cert_warn_days) + ':', std::to_string(o.cert_crit_days) + ':'));
    }
  }

  std::string out = head;
  std::string sep = " | ";
  for (const auto& p : perfdata) {
    if (out.size() + sep.size() + p.size() > o.max_first_line) break;  // whole items only
    out += sep + p;
    sep = " ";
  }
  out += '\n';

  // Long output: one line per finding, worst first, then the notes.
  std::vector<std::string> lines;
  for (const finding* f : detail::sorted_findings(r)) lines.push_back(finding_line(*f));
  for (const auto& c : r.checks)
    if (!c.ok) {
      std::string s = "[FAILED] " + c.name + ' ' + c.service + ' ' + c.path;
      if (!c.address.empty()) {
        const bool v6 = c.address.find(':') != std::string::npos;
        s += ' ' + (c.port && v6 ? '[' + c.address + ']' : c.address) + (c.port ? ':' + std::to_string(c.port) : std::string());
      }
      if (!c.stage.empty()) s += " at " + c.stage;
      if (!c.detail.empty()) s += ": " + c.detail;
      lines.push_back(plugin_text(s));
    }
  for (const auto& n : r.notes) lines.push_back(plugin_text("note: " + n));

  // Bounded in lines and in bytes; the last line then says how many were left out.
  const std::size_t max_lines = std::max<std::size_t>(o.max_long_lines, 1);
  const std::size_t line_max = std::max<std::size_t>(o.max_line_length, 16);
  std::string body;
  std::size_t shown = 0;
  for (; shown < lines.size(); ++shown) {
    const bool last_slot = shown + 1 == max_lines;
    if (shown == max_lines || (last_slot && shown + 1 < lines.size())) break;
    std::string line = detail::truncate_utf8(lines[shown], line_max) + '\n';
    if (body.size() + line.size() + 32 > o.max_long_output && shown + 1 < lines.size()) break;
    if (body.size() + line.size() > o.max_long_output) break;
    body += line;
  }
  if (shown < lines.size()) body += "... and " + std::to_string(lines.size() - shown) + " more\n";
  out += body;
  return out;
}

}  // namespace hc::report
