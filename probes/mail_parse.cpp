#include "probes/mail_parse.hpp"

#include <algorithm>
#include <cctype>

namespace hc::probes {

namespace {

// The next line of bytes from pos: its text without CR LF, and where the following line starts.
struct line_cut {
  bool found = false;
  std::string_view text;
  std::size_t next = 0;
};

line_cut next_line(std::string_view bytes, std::size_t pos) {
  line_cut cut;
  auto nl = bytes.find('\n', pos);
  if (nl == std::string_view::npos) return cut;
  cut.found = true;
  std::size_t end = nl;
  if (end > pos && bytes[end - 1] == '\r') --end;
  cut.text = bytes.substr(pos, end - pos);
  cut.next = nl + 1;
  return cut;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view first_word(std::string_view s) {
  auto start = s.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  auto end = s.find_first_of(" \t", start);
  return s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
}

std::vector<std::string> words_upper(std::string_view s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto start = s.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    auto end = s.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(upper(s.substr(start, end - start)));
    pos = end;
  }
  return out;
}

// Capabilities from a "[CAPABILITY a b c]" response code at the start of text, if any.
std::vector<std::string> capability_code(std::string_view text) {
  auto t = text.substr(std::min(text.find_first_not_of(' '), text.size()));
  if (!istarts_with(t, "[CAPABILITY ")) return {};
  auto close = t.find(']');
  if (close == std::string_view::npos) return {};
  return words_upper(t.substr(12, close - 12));
}

bool printable_line(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

// Common limit handling when no end was found yet.
template <typename Result>
bool over_limits(Result& r, std::size_t bytes, std::size_t lines) {
  if (bytes > mail_max_reply_bytes) {
    r.status = parse_status::too_long;
    r.error = "more than " + std::to_string(mail_max_reply_bytes) + " bytes without an end";
    return true;
  }
  if (lines > mail_max_reply_lines) {
    r.status = parse_status::too_long;
    r.error = "more than " + std::to_string(mail_max_reply_lines) + " lines without an end";
    return true;
  }
  return false;
}

}  // namespace

const char* to_string(parse_status s) {
  switch (s) {
    case parse_status::incomplete: return "incomplete";
    case parse_status::complete: return "complete";
    case parse_status::malformed: return "malformed";
    case parse_status::too_long: return "too long";
  }
  return "?";
}

smtp_reply parse_smtp_reply(std::string_view bytes) {
  smtp_reply r;
  std::size_t pos = 0;
  std::size_t count = 0;
  while (true) {
    auto cut = next_line(bytes, pos);
    if (!cut.found) {
      if (!over_limits(r, bytes.size(), count)) r.status = parse_status::incomplete;
      // A partial line can already be malformed: say so early when it cannot start a reply.
      if (r.status == parse_status::incomplete) {
        auto rest = bytes.substr(pos);
        for (std::size_t i = 0; i < rest.size() && i < 3; ++i) {
          if (!std::isdigit(static_cast<unsigned char>(rest[i]))) {
            r.status = parse_status::malformed;
            r.error = "reply line does not start with a 3-digit code";
            break;
          }
        }
      }
      return r;
    }
    ++count;
    if (cut.next > mail_max_reply_bytes || count > mail_max_reply_lines) {
      over_limits(r, cut.next, count);
      return r;
    }
    auto line = cut.text;
    bool digits = line.size() >= 3 && std::all_of(line.begin(), line.begin() + 3, [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c));
                  });
    if (!digits || line[0] < '2' || line[0] > '5' || !printable_line(line)) {
      r.status = parse_status::malformed;
      r.error = "reply line does not start with a 3-digit code: '" + std::string(line.substr(0, 40)) + "'";
      return r;
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (r.code != 0 && code != r.code) {
      r.status = parse_status::malformed;
      r.error = "reply code changes from " + std::to_string(r.code) + " to " + std::to_string(code);
      return r;
    }
    r.code = code;
    bool last;
    if (line.size() == 3) {
      last = true;
    } else if (line[3] == ' ') {
      last = true;
    } else if (line[3] == '-') {
      last = false;
    } else {
      r.status = parse_status::malformed;
      r.error = "no '-' or ' ' after the reply code";
      return r;
    }
    r.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
    pos = cut.next;
    if (last) {
      r.status = parse_status::complete;
      r.consumed = pos;
      return r;
    }
  }
}

std::string smtp_banner_host(const smtp_reply& reply) {
  if (reply.lines.empty()) return {};
  return std::string(first_word(reply.lines.front()));
}

bool smtp_has_extension(const smtp_reply& ehlo, std::string_view keyword) {
  // The first line is the server's greeting to us; extensions follow, one a line.
  for (std::size_t i = 1; i < ehlo.lines.size(); ++i)
    if (iequals(first_word(ehlo.lines[i]), keyword)) return true;
  return false;
}

imap_greeting parse_imap_greeting(std::string_view bytes) {
  imap_greeting g;
  auto cut = next_line(bytes, 0);
  if (!cut.found) {
    if (!over_limits(g, bytes.size(), 0)) {
      auto head = bytes.substr(0, 2);
      if (!std::string_view("* ").starts_with(head)) {
        g.status = parse_status::malformed;
        g.error = "greeting does not start with '* '";
      }
    }
    return g;
  }
  if (cut.next > mail_max_reply_bytes) {
    over_limits(g, cut.next, 0);
    return g;
  }
  auto line = cut.text;
  if (!line.starts_with("* ") || !printable_line(line)) {
    g.status = parse_status::malformed;
    g.error = "greeting does not start with '* ': '" + std::string(line.substr(0, 40)) + "'";
    return g;
  }
  auto rest = line.substr(2);
  auto cond = upper(first_word(rest));
  if (cond != "OK" && cond != "PREAUTH" && cond != "BYE") {
    g.status = parse_status::malformed;
    g.error = "greeting is not OK, PREAUTH or BYE: '" + std::string(line.substr(0, 40)) + "'";
    return g;
  }
  g.status = parse_status::complete;
  g.condition = cond;
  g.text = std::string(rest);
  auto after = rest.substr(std::min(rest.find_first_of(" \t"), rest.size()));
  g.capabilities = capability_code(after);
  g.consumed = cut.next;
  return g;
}

imap_completion parse_imap_completion(std::string_view bytes, std::string_view tag) {
  imap_completion c;
  std::size_t pos = 0;
  std::size_t count = 0;
  while (true) {
    auto cut = next_line(bytes, pos);
    if (!cut.found) {
      over_limits(c, bytes.size(), count);
      return c;
    }
    ++count;
    if (cut.next > mail_max_reply_bytes || count > mail_max_reply_lines) {
      over_limits(c, cut.next, count);
      return c;
    }
    auto line = cut.text;
    pos = cut.next;
    if (!printable_line(line)) {
      c.status = parse_status::malformed;
      c.error = "NUL byte in a response line";
      return c;
    }
    if (line.starts_with("* ")) {
      auto rest = line.substr(2);
      auto word = upper(first_word(rest));
      if (word == "CAPABILITY") {
        auto caps = words_upper(rest.substr(10));
        c.capabilities.insert(c.capabilities.end(), caps.begin(), caps.end());
      } else if (word == "BYE") {
        c.bye = true;
      }
      continue;
    }
    if (line.starts_with("+")) continue;  // a continuation request; not expected here
    auto word = first_word(line);
    if (!tag.empty() && word == tag) {
      auto rest = line.substr(line.find(tag) + tag.size());
      auto cond = upper(first_word(rest));
      if (cond != "OK" && cond != "NO" && cond != "BAD") {
        c.status = parse_status::malformed;
        c.error = "tagged response without OK, NO or BAD";
        return c;
      }
      c.status = parse_status::complete;
      c.condition = cond;
      auto ci = rest.find_first_not_of(' ');
      auto text = rest.substr(std::min(ci + cond.size(), rest.size()));
      if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      c.text = std::string(text);
      auto caps = capability_code(text);
      c.capabilities.insert(c.capabilities.end(), caps.begin(), caps.end());
      c.consumed = pos;
      return c;
    }
    c.status = parse_status::malformed;
    c.error = "unexpected response line: '" + std::string(line.substr(0, 40)) + "'";
    return c;
  }
}

}  // namespace hc::probes
