// Nagios / monitoring-plugins output (https://www.monitoring-plugins.org/doc/guidelines.html):
//   HAIRPIN <STATE> - <summary> | 'label'=value[UOM];warn;crit;min;max ...
//   [CRITICAL] kind name service path: evidence - fix: ...
// ASCII only: Nagios, Icinga and their notification paths do not all handle UTF-8.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "report/format.hpp"
#include "report/report.hpp"

namespace hc::report {
namespace {

// An ASCII stand-in for a code point above U+007F: a look-alike for the punctuation our own
// texts use, '?' for anything else.
const char* ascii_for(char32_t cp) {
  switch (cp) {
    case 0x2192: return "->";  // rightwards arrow
    case 0x2190: return "<-";
    case 0x2194: return "<->";
    case 0x2013: case 0x2014: case 0x2212: return "-";  // en and em dash, minus sign
    case 0x2026: return "...";
    case 0x2018: case 0x2019: return "'";
    case 0x201C: case 0x201D: return "\"";
    case 0x00A0: return " ";
    case 0x00A6: return "/";  // broken bar: what plugin_text makes of a pipe
    case 0x00D7: return "x";
    default: return "?";
  }
}

// One line of printable ASCII: control characters become spaces, invalid UTF-8 and other
// characters '?' (or an ASCII look-alike).
std::string ascii_line(std::string_view text) {
  const std::string utf8 = detail::one_line(detail::valid_utf8(text));
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const auto b = static_cast<unsigned char>(utf8[i]);
    if (b < 0x80) {
      out.push_back(b == 0x7F ? ' ' : static_cast<char>(b));
      ++i;
      continue;
    }
    // valid_utf8 left only well-formed sequences.
    const std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    char32_t cp = b & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < len && i + k < utf8.size(); ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    out += ascii_for(cp);
    i += len;
  }
  return out;
}

// Text outside perfdata: ASCII, one line, without '|' (it starts perfdata).
std::string plugin_text(std::string_view text) {
  std::string out = ascii_line(text);
  std::replace(out.begin(), out.end(), '|', '/');
  return out;
}

// The text of a perfdata label: ASCII, without ' and =. Applied twice, the same.
std::string label_text(std::string_view text) {
  std::string out;
  for (char c : ascii_line(text)) out.push_back(c == '\'' || c == '=' ? '_' : c);
  return out;
}

// A perfdata label: quoted label_text.
std::string perf_label(std::string_view text) { return "'" + label_text(text) + "'"; }

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

std::string summary(const run_result& r, const detail::finding_list& sorted) {
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
  std::size_t shown = 0;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted.sev(i) < severity::warning) break;
    if (shown == 3) {
      s += ", ...";
      break;
    }
    if (shown) s += ", ";
    s += name(sorted.kind(i));
    if (!sorted.name(i).empty()) {
      s += ' ';
      s += sorted.name(i);
      ++shown;
      continue;
    }
    const finding& f = sorted.at(i);  // rendered only when it has no name
    if (f.count > 0)
      s += ' ' + std::to_string(f.count) + (f.count == 1 ? " name" : " names");
    else if (!f.zone.empty())
      s += ' ' + f.zone;
    else if (!f.evidence.empty())  // config-error: where it is, file:line:col
      s += ' ' + detail::truncate_utf8(f.evidence, 120);
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

// " (N names, e.g. a, b, c)" for a finding that one cause explains for many names; the names are
// the first three, each bounded. Empty for a finding about one name.
std::string names_part(const finding& f) {
  if (f.count == 0) return {};
  std::string s = " (" + std::to_string(f.count) + (f.count == 1 ? " name" : " names");
  const std::size_t shown = std::min<std::size_t>(f.names.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) s += (i ? ", " : ", e.g. ") + detail::truncate_utf8(f.names[i], 80);
  return s + ')';
}

std::string finding_line(const finding& f) {
  std::string s = tag(f.sev);
  s += ' ';
  s += name(f.kind);
  if (f.name.empty() && !f.zone.empty()) s += " zone " + f.zone;
  for (const std::string* part : {&f.name, &f.type, &f.service, &f.path})
    if (!part->empty()) s += ' ' + *part;
  if (!f.view.empty()) s += " (view " + f.view + ')';
  s += names_part(f);
  if (!f.evidence.empty()) s += ": " + f.evidence;
  if (!f.fix.empty()) s += " - fix: " + f.fix;
  return plugin_text(s);
}

}  // namespace

std::string render_nagios(const run_result& r, const nagios_options& o) {
  const severity status = r.status();
  // Report order; a compact fact is rendered only for the summary or a line that is printed.
  const auto sorted = detail::sorted_findings(r);
  std::string head = std::string("HAIRPIN ") + status_name(status) + " - " + plugin_text(summary(r, sorted));
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

  // Only the thresholds the run applied: perfdata thresholds that were not checked would mislead graphs.
  const std::string warn_s = o.warning ? o.warning->str() : "", crit_s = o.critical ? o.critical->str() : "";
  // Labels are unique across the whole perfdata, whatever the services, paths and names hold.
  std::set<std::string> used{"findings_critical", "findings_warning", "findings_unknown", "checks_failed",
                             "run_duration"};
  auto unique_label = [&](std::string_view raw, const std::string& address = {}) {
    // Compared as printed: labels that differ only in what label_text replaces are one label.
    std::string label = label_text(raw);
    if (used.count(label) && !address.empty()) label = label_text(label + '_' + address);
    std::string base = label;
    for (int n = 2; used.count(label); ++n) label = base + '_' + std::to_string(n);
    used.insert(label);
    return label;
  };
  const std::string cert_warn_s = std::to_string(o.cert_warn_days) + ':';
  const std::string cert_crit_s = std::to_string(o.cert_crit_days) + ':';

  // The bounded set: per service and path, then the fewest certificate days per service. Its size
  // depends on the services checked, never on the number of names.
  struct group {
    std::size_t checks = 0, failed = 0;
    double worst = 0;
  };
  std::map<std::pair<std::string, std::string>, group> groups;  // (service, path)
  std::map<std::string, long long> cert_days;                   // service -> fewest days left
  for (const auto& c : r.checks) {
    group& g = groups[{c.service, c.path}];
    ++g.checks;
    if (!c.ok) ++g.failed;
    if (std::isfinite(c.duration_s)) g.worst = std::max(g.worst, c.duration_s);
    if (c.cert_not_after && r.finished_at != 0) {
      const long long days = detail::days_left(*c.cert_not_after, r.finished_at);
      auto [it, fresh] = cert_days.try_emplace(c.service, days);
      if (!fresh) it->second = std::min(it->second, days);
    }
  }
  for (const auto& [key, g] : groups) {
    const std::string base = key.first + '_' + key.second;
    perfdata.push_back(perf(unique_label(base + "_checks"), std::to_string(g.checks), "", "", "0"));
    perfdata.push_back(
        perf(unique_label(base + "_failed"), std::to_string(g.failed), "", "", "0", std::to_string(g.checks)));
    perfdata.push_back(perf(unique_label(base + "_worst_time"), detail::fixed(g.worst) + "s", warn_s, crit_s, "0"));
  }
  for (const auto& [service, days] : cert_days)
    perfdata.push_back(perf(unique_label(service + "_cert_days_min"), std::to_string(days), cert_warn_s, cert_crit_s));

  if (o.perfdata == perfdata_set::checks) {
    for (const auto& c : r.checks) {
      // The type is part of the check's identity: an A and an AAAA check get labels of their own,
      // whatever their order, instead of one taking the other's label plus a suffix.
      std::string base = c.name + (c.type.empty() ? "" : '_' + c.type) + '_' + c.service + '_' + c.path;
      perfdata.push_back(
          perf(unique_label(base, c.address), detail::fixed(c.duration_s) + "s", warn_s, crit_s, "0"));
      if (c.cert_not_after && r.finished_at != 0) {
        const long long days = detail::days_left(*c.cert_not_after, r.finished_at);
        perfdata.push_back(perf(unique_label(base + "_cert_days", c.address), std::to_string(days), cert_warn_s,
                                cert_crit_s));
      }
    }
  }

  // Whole items, as many as fit in the length Nagios keeps; the rest are counted, never cut silently.
  std::string out = head;
  std::string sep = " | ";
  std::size_t kept = 0;
  for (const auto& p : perfdata) {
    if (out.size() + sep.size() + p.size() > o.max_first_line) break;
    out += sep + p;
    sep = " ";
    ++kept;
  }
  out += '\n';

  // Long output: one line per finding, worst first, then the notes. The findings' lines are made
  // only for the lines printed (line_at).
  std::vector<std::string> first, lines;
  if (kept < perfdata.size())
    first.push_back("perfdata: " + std::to_string(perfdata.size() - kept) + " items left out, see --perfdata");
  for (const auto& c : r.checks)
    if (!c.ok) {
      std::string s = "[FAILED] " + c.name + (c.type.empty() ? "" : ' ' + c.type) + ' ' + c.service + ' ' + c.path;
      if (!c.address.empty()) {
        const bool v6 = c.address.find(':') != std::string::npos;
        s += ' ' + (c.port && v6 ? '[' + c.address + ']' : c.address) + (c.port ? ':' + std::to_string(c.port) : std::string());
      }
      if (!c.stage.empty()) s += " at " + c.stage;
      if (!c.detail.empty()) s += ": " + c.detail;
      lines.push_back(plugin_text(s));
    }
  for (const auto& n : r.notes) lines.push_back(plugin_text("note: " + n));
  const std::size_t total = first.size() + sorted.size() + lines.size();
  auto line_at = [&](std::size_t k) -> std::string {
    if (k < first.size()) return first[k];
    k -= first.size();
    if (k < sorted.size()) return finding_line(sorted.at(k));
    return lines[k - sorted.size()];
  };

  // Bounded in lines and in bytes; the last line then says how many were left out.
  const std::size_t max_lines = std::max<std::size_t>(o.max_long_lines, 1);
  const std::size_t line_max = std::max<std::size_t>(o.max_line_length, 16);
  std::string body;
  std::size_t shown = 0;
  for (; shown < total; ++shown) {
    const bool last_slot = shown + 1 == max_lines;
    if (shown == max_lines || (last_slot && shown + 1 < total)) break;
    std::string line = detail::truncate_utf8(line_at(shown), line_max) + '\n';
    if (body.size() + line.size() + 32 > o.max_long_output && shown + 1 < total) break;
    if (body.size() + line.size() > o.max_long_output) break;
    body += line;
  }
  if (shown < total) body += "... and " + std::to_string(total - shown) + " more\n";
  out += body;
  return out;
}

std::string render_nagios_unknown(std::string_view reason) {
  std::string text = plugin_text(reason);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.empty()) text = "usage error";
  return detail::truncate_utf8("HAIRPIN UNKNOWN - " + text, 4096) + '\n';
}

}  // namespace hc::report
