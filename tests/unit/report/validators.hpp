#pragma once
// Grammar checks of the Nagios plugin output and the Prometheus text exposition, used by the unit
// tests. Each returns the list of violations (empty when the text is valid).

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace hc::report::testing {

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// The monitoring-plugins development guidelines, "Plugin output" and "Performance data":
//   SERVICE STATUS - text | 'label'=value[UOM];[warn];[crit];[min];[max] ...
//   long output lines (no '|', which would start more perfdata); printable ASCII throughout
inline std::vector<std::string> validate_nagios(const std::string& out, std::size_t max_first = 4096,
                                                std::size_t max_total = 8192) {
  std::vector<std::string> errors;
  if (out.empty() || out.back() != '\n') errors.push_back("output does not end with a newline");
  if (out.size() > max_total) errors.push_back("output longer than " + std::to_string(max_total) + " bytes");
  const auto lines = split_lines(out);
  if (lines.empty()) {
    errors.push_back("no output");
    return errors;
  }
  const std::string& first = lines[0];
  if (first.size() > max_first) errors.push_back("first line longer than " + std::to_string(max_first));
  // Parsed by hand: libstdc++'s std::regex recurses per character and is slow on 4 KiB lines.
  std::string state_text, perfdata;
  bool has_perf = false;
  {
    static const char* states[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    bool head_ok = false;
    for (const char* st : states) {
      const std::string prefix = std::string("HAIRPIN ") + st + " - ";
      if (first.rfind(prefix, 0) == 0) {
        head_ok = true;
        state_text = first.substr(prefix.size());
      }
    }
    if (!head_ok) {
      errors.push_back("first line does not start with 'HAIRPIN <STATE> - ': " + first);
      return errors;
    }
    const auto bar = state_text.find('|');
    if (bar != std::string::npos) {
      if (bar == 0 || state_text.compare(bar - 1, 3, " | ") != 0)
        errors.push_back("perfdata not separated by ' | ': " + first);
      has_perf = true;
      perfdata = state_text.substr(std::min(bar + 2, state_text.size()));
      state_text = state_text.substr(0, bar == 0 ? 0 : bar - 1);
    }
    if (state_text.empty()) errors.push_back("empty status text");
  }
  const std::string num = R"(-?[0-9]+(?:\.[0-9]+)?)";
  const std::string range = "@?(?:~|" + num + ")?(?::(?:" + num + ")?)?";
  static const std::regex perf("^'[^'=]+'=" + num + "(?:s|ms|us|%|B|KB|MB|TB|c)?(?:;(?:" + range + ")?(?:;(?:" +
                               range + ")?(?:;(?:" + num + ")?(?:;(?:" + num + ")?)?)?)?)?$");
  if (has_perf) {
    // Items: a quoted label, '=', then everything up to the next space.
    std::size_t i = 0;
    while (i < perfdata.size()) {
      if (perfdata[i] != '\'') {
        errors.push_back("perfdata item does not start with a quoted label at: " + perfdata.substr(i, 40));
        break;
      }
      const auto close = perfdata.find('\'', i + 1);
      if (close == std::string::npos) {
        errors.push_back("unterminated perfdata label");
        break;
      }
      auto end = perfdata.find(' ', close);
      if (end == std::string::npos) end = perfdata.size();
      const std::string one = perfdata.substr(i, end - i);
      if (!std::regex_match(one, perf)) errors.push_back("bad perfdata item: " + one);
      i = end + 1;
    }
  }
  for (std::size_t i = 1; i < lines.size(); ++i)
    if (lines[i].find('|') != std::string::npos) errors.push_back("long output line has '|': " + lines[i]);
  // Printable ASCII only: Nagios, Icinga and their notification paths do not all handle UTF-8.
  for (std::size_t i = 0; i < lines.size(); ++i)
    for (char c : lines[i]) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b == 0x7F) errors.push_back("control character in line " + std::to_string(i));
      if (b >= 0x80) {
        errors.push_back("non-ASCII byte in line " + std::to_string(i) + ": " + lines[i]);
        break;
      }
    }
  return errors;
}

// The state word of the first line ("OK", ...).
inline std::string nagios_state(const std::string& out) {
  if (out.rfind("HAIRPIN ", 0) != 0) return {};
  const auto end = out.find(" - ", 8);
  return end == std::string::npos ? std::string() : out.substr(8, end - 8);
}

// One sample of an exposition: name, label values unescaped, value text.
struct prom_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

// Text exposition format 0.0.4: HELP and TYPE once per family before its samples, families
// contiguous, valid names, escaped label values, float values, no duplicate series.
inline std::vector<std::string> validate_prometheus(const std::string& text, std::vector<prom_sample>* samples = nullptr) {
  std::vector<std::string> errors;
  if (!text.empty() && text.back() != '\n') errors.push_back("does not end with a newline");
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex name_re(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*)");
  static const std::regex value_re(R"(^(?:[-+]?[0-9]+(?:\.[0-9]+)?|NaN|[+-]Inf)$)");
  std::set<std::string> families_done;
  std::string current;  // family whose TYPE came last
  std::set<std::string> helped;
  std::set<std::string> series;
  std::size_t n = 0;
  for (const auto& line : split_lines(text)) {
    ++n;
    const std::string at = "line " + std::to_string(n) + ": ";
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, m, help)) { errors.push_back(at + "bad HELP"); continue; }
      if (helped.count(m[1].str())) errors.push_back(at + "second HELP for " + m[1].str());
      helped.insert(m[1].str());
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, type)) { errors.push_back(at + "bad TYPE"); continue; }
      if (families_done.count(m[1].str())) errors.push_back(at + "family repeated: " + m[1].str());
      families_done.insert(m[1].str());
      current = m[1].str();
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    prom_sample s;
    if (!std::regex_search(line, m, name_re)) { errors.push_back(at + "no metric name"); continue; }
    s.name = m[0].str();
    if (s.name != current) errors.push_back(at + "sample of " + s.name + " outside its family " + current);
    if (!helped.count(s.name)) errors.push_back(at + "no HELP for " + s.name);
    std::size_t i = s.name.size();
    std::string key = s.name + "{";
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        std::size_t eq = line.find("=\"", i);
        if (eq == std::string::npos) { errors.push_back(at + "bad label"); break; }
        std::string lname = line.substr(i, eq - i);
        static const std::regex label_name("[a-zA-Z_][a-zA-Z0-9_]*");
        if (!std::regex_match(lname, label_name)) errors.push_back(at + "bad label name " + lname);
        i = eq + 2;
        std::string v;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '\\') {
            if (i >= line.size()) break;
            char e = line[i++];
            if (e == 'n') v += '\n';
            else if (e == '\\' || e == '"') v += e;
            else errors.push_back(at + "bad escape \\" + std::string(1, e));
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            v += c;
          }
        }
        if (!closed) { errors.push_back(at + "unterminated label value"); break; }
        if (s.labels.count(lname)) errors.push_back(at + "label repeated: " + lname);
        s.labels[lname] = v;
        key += lname + "=" + v + ",";
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') { errors.push_back(at + "labels not closed"); continue; }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') { errors.push_back(at + "no space before the value"); continue; }
    s.value = line.substr(i + 1);
    if (!std::regex_match(s.value, value_re)) errors.push_back(at + "bad value '" + s.value + "'");
    if (!series.insert(key).second) errors.push_back(at + "duplicate series " + key);
    if (samples) samples->push_back(std::move(s));
  }
  return errors;
}

}  // namespace hc::report::testing
