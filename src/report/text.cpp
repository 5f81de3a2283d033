// The text report, for people reading a terminal or a cron mail.
#include <algorithm>
#include <map>
#include <string_view>
#include <vector>

#include "report/format.hpp"
#include "report/report.hpp"

namespace hc::report {
namespace {

class painter {
 public:
  explicit painter(bool on) : on_(on) {}
  std::string operator()(std::string_view text, const char* code) const {
    if (!on_ || text.empty()) return std::string(text);
    return std::string("\x1b[") + code + 'm' + std::string(text) + "\x1b[0m";
  }

 private:
  bool on_;
};

const char* colour(severity s) {
  switch (s) {
    case severity::ok: return "32";         // green
    case severity::info: return "36";       // cyan
    case severity::warning: return "33";    // yellow
    case severity::critical: return "1;31"; // bold red
    case severity::unknown: return "35";    // magenta
  }
  return "0";
}

const char* heading(severity s) {
  switch (s) {
    case severity::ok: return "OK";
    case severity::info: return "INFO";
    case severity::warning: return "WARNING";
    case severity::critical: return "CRITICAL";
    case severity::unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

// Display width of UTF-8 text: code points, a close enough measure for names and addresses.
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string pad(std::string_view s, std::size_t w) {
  std::string out(s);
  for (std::size_t n = width(s); n < w; ++n) out.push_back(' ');
  return out;
}

// A table: left-aligned columns two spaces apart, the last column not padded; `paint` colours a cell after padding.
struct table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<const char*>> colours;  // per row, per cell, nullptr for none

  std::string render(const painter& p, const std::string& indent) const {
    std::vector<std::size_t> w(header.size(), 0);
    for (std::size_t i = 0; i < header.size(); ++i) w[i] = width(header[i]);
    for (const auto& r : rows)
      for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
    auto line = [&](const std::vector<std::string>& cells, const std::vector<const char*>* cols, bool bold) {
      std::string s = indent;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        const bool last = i + 1 == cells.size();
        std::string cell = last ? cells[i] : pad(cells[i], w[i]);
        const char* c = bold ? "1" : (cols && i < cols->size() ? (*cols)[i] : nullptr);
        if (c) {
          // Colour the text, not the padding.
          std::string text = cells[i];
          cell = p(text, c) + std::string(cell.size() - text.size(), ' ');
        }
        s += cell;
        if (!last) s += "  ";
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s + '\n';
    };
    std::string out = line(header, nullptr, true);
    for (std::size_t r = 0; r < rows.size(); ++r) out += line(rows[r], r < colours.size() ? &colours[r] : nullptr, false);
    return out;
  }
};

std::string where_of(const finding& f) {
  std::string s;
  auto add = [&](const std::string& v) {
    if (v.empty()) return;
    if (!s.empty()) s += ' ';
    s += v;
  };
  add(f.name);
  add(f.type);
  add(f.service);
  add(f.path);
  add(f.address);
  std::string ctx;
  if (!f.zone.empty()) ctx += "zone " + f.zone;
  if (!f.view.empty()) ctx += std::string(ctx.empty() ? "" : ", ") + "view " + f.view;
  if (!ctx.empty()) s += (s.empty() ? "" : " ") + ("[" + ctx + "]");
  return s.empty() ? "(run)" : detail::one_line(s);
}

// Continuation lines of a multi-line text indented under its label.
std::string indent_lines(std::string_view text, const std::string& indent) {
  std::string out;
  for (char c : text) {
    if (c == '\r') continue;
    out.push_back(c);
    if (c == '\n') out += indent;
  }
  return out;
}

// Text report bounds without -v: causes shown in full per kind, names and examples per line.
constexpr std::size_t max_causes = 25;
constexpr std::size_t max_examples = 5;
constexpr std::size_t max_names = 10;

// The names finding i stands for: count when it is one cause for many, else one.
std::size_t names_of(const detail::finding_list& l, std::size_t i) { return l.count(i) > 0 ? l.count(i) : 1; }

// 470000 -> "470,000".
std::string thousands(std::size_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0) out += ',';
    out += digits[k];
  }
  return out;
}

// "3 names: a, b, c" or "140,000 names: a, b, ... and 139,990 more (every name in --format json)".
std::string names_line(const finding& f) {
  const std::size_t total = std::max(f.count, f.names.size());
  std::string out = thousands(total) + " names: ";
  const std::size_t shown = std::min(f.names.size(), max_names);
  for (std::size_t n = 0; n < shown; ++n) out += (n ? ", " : "") + detail::one_line(f.names[n]);
  if (total > shown) out += " and " + thousands(total - shown) + " more (every name in --format json)";
  return out;
}

}  // namespace

std::string render_text(const run_result& r, const text_options& o) {
  const severity status = r.status();
  if (o.quiet && exit_code(status) == 0) return {};
  const painter p(o.color);
  std::string out;

  // Headline: status, counts, vantage.
  out += "hairpin-check: " + p(status_name(status), colour(status == severity::info ? severity::ok : status));
  {
    std::string counts;
    for (severity s : {severity::unknown, severity::critical, severity::warning, severity::info}) {
      std::size_t n = detail::count(r, s);
      if (!n) continue;
      counts += std::string(counts.empty() ? "" : ", ") + std::to_string(n) + ' ' + to_string(s);
    }
    out += counts.empty() ? " (no findings)" : " (" + counts + ")";
    const std::size_t failed =
        std::count_if(r.checks.begin(), r.checks.end(), [](const check_result& c) { return !c.ok; });
    if (r.checks.empty())
      out += ", no live checks";
    else
      out += ", " + std::to_string(r.checks.size() - failed) + '/' + std::to_string(r.checks.size()) + " checks ok";
    out += '\n';
  }
  if (!r.vantage.source.empty() || !r.vantage.internal_view.empty() || !r.vantage.external_view.empty()) {
    std::string v;
    auto add = [&v](const std::string& part) { v += (v.empty() ? "" : ", ") + part; };
    if (!r.vantage.source.empty()) add("vantage " + r.vantage.source);
    if (!r.vantage.internal_view.empty()) add("internal view " + r.vantage.internal_view);
    if (!r.vantage.external_view.empty()) add("external view " + r.vantage.external_view);
    out += v + '\n';
  }

  // Findings, by severity (worst first) then kind, with counts. Sized for people: info kinds are one
  // line each unless -v, the other kinds show their first causes in full and say what was left out;
  // the full list is in the JSON output.
  if (r.finding_count() != 0) {
    const auto sorted = detail::sorted_findings(r);
    std::size_t i = 0;
    while (i < sorted.size()) {
      const severity s = sorted.sev(i);
      std::size_t end = i;
      while (end < sorted.size() && sorted.sev(end) == s) ++end;
      out += '\n' + p(std::string(heading(s)) + " (" + std::to_string(end - i) + ")", colour(s)) + '\n';
      while (i < end) {
        const finding_kind kind = sorted.kind(i);
        std::size_t kend = i;
        while (kend < end && sorted.kind(kend) == kind) ++kend;
        const std::size_t causes = kend - i;
        std::size_t names = 0;
        for (std::size_t k = i; k < kend; ++k) names += names_of(sorted, k);
        if (s == severity::info && !o.verbose) {
          // split: 470,000 names, e.g. a, b, c
          out += "  " + p(std::string(name(kind)), "1") + ": " + thousands(names) + (names == 1 ? " name" : " names");
          if (names != causes) out += " (" + thousands(causes) + " findings)";
          std::vector<std::string_view> eg;
          for (std::size_t k = i; k < kend && eg.size() < max_examples; ++k) {
            // Names only: a compact fact is not rendered.
            const finding* f = sorted.plain(k);
            if (f == nullptr || f->names.empty()) {
              const std::string_view own = sorted.name(k);
              if (!own.empty()) eg.push_back(own);
            } else {
              for (std::size_t n = 0; n < f->names.size() && eg.size() < max_examples; ++n) eg.push_back(f->names[n]);
            }
          }
          if (!eg.empty()) {
            out += ", e.g. ";
            for (std::size_t n = 0; n < eg.size(); ++n) out += (n ? ", " : "") + detail::one_line(eg[n]);
          }
          out += '\n';
          i = kend;
          continue;
        }
        out += "  " + p(std::string(name(kind)), "1") + " (" + std::to_string(causes) + ")";
        if (names != causes) out += ": " + thousands(names) + " names";
        out += '\n';
        const std::size_t shown = o.verbose ? causes : std::min(causes, max_causes);
        for (std::size_t k = 0; k < shown; ++k, ++i) {
          const finding& f = sorted.at(i);  // rendered as it is written
          out += "    " + where_of(f) + '\n';
          if (f.count > 1 || f.names.size() > 1) out += "      names:    " + names_line(f) + '\n';
          if (!f.evidence.empty()) out += "      evidence: " + indent_lines(f.evidence, "                ") + '\n';
          if (!f.fix.empty()) out += "      fix:      " + indent_lines(f.fix, "                ") + '\n';
        }
        if (i < kend) {
          std::size_t left = 0;
          for (std::size_t k = i; k < kend; ++k) left += names_of(sorted, k);
          out += "    ... and " + thousands(kend - i) + " more " + std::string(name(kind)) + " finding" +
                 (kend - i == 1 ? "" : "s") + " (" + thousands(left) + (left == 1 ? " name" : " names") + ", e.g. ";
          for (std::size_t k = i; k < kend && k < i + max_examples; ++k)
            out += (k > i ? ", " : "") + detail::one_line(sorted.name(k).empty() ? where_of(sorted.at(k)) : std::string(sorted.name(k)));
          out += "): every one with -v or in --format json\n";
          i = kend;
        }
      }
    }
  }

  // Checks table.
  if (!r.checks.empty()) {
    table t;
    t.header = {"NAME", "TYPE", "SERVICE", "PATH", "ADDRESS", "OK", "TIME", "DETAIL"};
    for (const auto& c : r.checks) {
      std::string addr = c.address;
      if (c.port) addr = (addr.find(':') != std::string::npos ? '[' + addr + ']' : addr) + ':' + std::to_string(c.port);
      std::string detail_text = c.detail;
      if (!c.ok && !c.stage.empty() && c.stage != "done")
        detail_text = "failed at " + c.stage + (detail_text.empty() ? "" : ": " + detail_text);
      // The type is part of the check's identity: an A and an AAAA check are otherwise the same row.
      t.rows.push_back({detail::one_line(c.name), c.type.empty() ? "-" : detail::one_line(c.type),
                        detail::one_line(c.service), detail::one_line(c.path), addr, c.ok ? "ok" : "FAIL",
                        detail::fixed(c.duration_s, 3) + " s", detail::one_line(detail_text)});
      t.colours.push_back({nullptr, nullptr, nullptr, nullptr, nullptr,
                           colour(c.ok ? severity::ok : severity::critical), nullptr, nullptr});
    }
    out += "\nchecks\n" + t.render(p, "  ");
  }

  // Views and zones.
  out += "\nviews\n";
  if (r.views.empty()) out += "  (none)\n";
  for (const auto& v : r.views) {
    out += "  " + p(v.name, "1");
    if (v.name == r.vantage.internal_view) out += " (internal)";
    if (v.name == r.vantage.external_view) out += " (external)";
    out += ": match-clients ";
    if (v.match_clients.empty()) out += "any";
    for (std::size_t i = 0; i < v.match_clients.size(); ++i) out += (i ? ", " : "") + v.match_clients[i];
    out += '\n';
    if (v.zones.empty()) {
      out += "    (no zones)\n";
      continue;
    }
    table t;
    t.header = {"ZONE", "TYPE", "RECORDS", "SERIAL", "FILE"};
    for (const auto& z : v.zones)
      t.rows.push_back({z.name, z.type, z.records ? std::to_string(*z.records) : "-",
                        z.serial ? std::to_string(*z.serial) : "-", z.file.empty() ? "-" : z.file});
    out += t.render(p, "    ");
  }

  if (!r.notes.empty()) {
    out += "\nnotes\n";
    for (const auto& n : r.notes) out += "  - " + indent_lines(n, "    ") + '\n';
  }

  out += "\nfinished in " + detail::fixed(r.duration_s, 3) + " s";
  if (r.finished_at != 0) out += " at " + detail::iso8601_utc(r.finished_at);
  out += '\n';
  return detail::valid_utf8(out);
}

}  // namespace hc::report
