// Fuzz target: the zone readers (fast path and ldns) on arbitrary bytes, which must agree.
#include <cstdint>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "zone/zone.hpp"

namespace {

// Text on which ldns's file reader and BIND's lexer (which the fast reader follows) legitimately
// read different records, so the oracle does not compare them. Both found by this target:
// - a quote that does not start a token ("b"it: ...): BIND ends the token and starts a quoted
//   string, ldns keeps the quote inside the token;
// - control characters other than tab, CR and LF: ldns takes \v and \f for blanks (isspace), BIND
//   keeps them in the token ("mail\011.example." for "Mail\v");
// - raw bytes above 0x7e around unbalanced parentheses, where ldns's file reader made a record
//   of type 23 with no data out of garbage that BIND refuses.
// - quotes where no TXT or SPF type came before them on the line (a quoted owner name, say): ldns
//   reads a name with a quote in it where BIND refuses the line;
// - a carriage return that does not end a line (CR CR ... 6 pt1e.net): ldns takes the line for an
//   owner "6", the fast reader for a record of the origin.
// So the oracle compares printable ASCII text (tab, CR, LF allowed), which is what zone files
// hold: other bytes appear there only escaped (\DDD); and quotes only in TXT and SPF data.
bool readers_differ_on(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if ((u < 0x20 && text[i] != '\t' && text[i] != '\n' && text[i] != '\r') || u > 0x7e) return true;
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return true;
  }
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (auto q = line.find('"'); q != std::string_view::npos) {
      std::string before(line.substr(0, q));
      for (auto& ch : before) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (before.find(" TXT ") == std::string::npos && before.find("\tTXT") == std::string::npos &&
          before.find(" TXT\t") == std::string::npos && before.find("SPF") == std::string::npos)
        return true;
    }
    start = end + 1;
  }
  bool quoted = false, comment = false;
  char prev = '\n';
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') comment = false;
    if (comment) {
      prev = c;
      continue;
    }
    if (c == '\\' && i + 1 < text.size()) {
      prev = text[++i];
      continue;
    }
    if (quoted) {
      if (c == '"') quoted = false;
    } else if (c == ';') {
      comment = true;
    } else if (c == '"') {
      if (prev != ' ' && prev != '\t' && prev != '\n' && prev != '\r' && prev != '(' && prev != ')') return true;
      quoted = true;
    }
    prev = c;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)hc::fuzz::hostile_sandbox();  // first: it sets the limits, which are read once
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > 64 * 1024) return 0;
  std::string upper(text.substr(0, std::min<std::size_t>(size, 64 * 1024)));
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.find("$INCLUDE") != std::string::npos) {
    // $INCLUDE by plain name reaches only the hostile sandbox (a FIFO, $INCLUDE bombs); the fast
    // reader alone, no oracle.
    if (text.find('/') != std::string_view::npos) return 0;
    hc::fuzz::sandbox_file f(data, size, "input.zone");
    hc::diagnostics d;
    (void)hc::zone::load_zone_file(f.path(), "example.", d, hc::zone::reader_kind::fast, hc::fuzz::hostile_sandbox());
    return 0;
  }
  hc::fuzz::temp_file f(data, size, ".zone");
  hc::diagnostics d1, d2;
  auto fast = hc::zone::load_zone_file(f.path(), "example.", d1, hc::zone::reader_kind::fast);
  auto slow = hc::zone::load_zone_file(f.path(), "example.", d2, hc::zone::reader_kind::ldns);
  // Differential oracle: on input both read without error, they hold the same RRsets.
  if (fast && slow && !d1.has_errors() && !d2.has_errors() && !readers_differ_on(text) &&
      fast->rrsets() != slow->rrsets())
    std::abort();
  return 0;
}
