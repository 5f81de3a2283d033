#include "zone/source.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "core/input_file.hpp"

namespace hc::zone::detail {

open_error::open_error(const std::string& path, std::string reason)
    : input_error(fmt::format("cannot open {}: {}", path, reason)), reason_(std::move(reason)) {}

mapped_file::mapped_file(const std::string& path, std::uint64_t max_bytes) {
  std::string error;
  std::uint64_t size = 0;
  int fd = open_regular_file(path, max_bytes, size, error);
  if (fd < 0) throw open_error(path, error);
  size_ = static_cast<std::size_t>(size);
  if (size_ > 0) {
    addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr_ == MAP_FAILED) {
      addr_ = nullptr;
      int e = errno;
      ::close(fd);
      throw open_error(path, fmt::format("cannot map it: {}", std::strerror(e)));
    }
    ::madvise(addr_, size_, MADV_SEQUENTIAL);
  }
  ::close(fd);
}

mapped_file::~mapped_file() {
  if (addr_) ::munmap(addr_, size_);
}

void mapped_file::release_before(const char* upto) const {
  if (!addr_) return;
  auto base = reinterpret_cast<std::uintptr_t>(addr_);
  auto end = reinterpret_cast<std::uintptr_t>(upto);
  long page = ::sysconf(_SC_PAGESIZE);
  if (end <= base) return;
  std::uintptr_t len = (end - base) / static_cast<std::uintptr_t>(page) * static_cast<std::uintptr_t>(page);
  if (len > 0) ::madvise(addr_, len, MADV_DONTNEED);
}

std::string absolute_name(std::string_view name, std::string_view origin) {
  if (name.empty()) return {};
  if (name == "@") return std::string(origin);
  if (name.back() == '.') {
    // An escaped final dot ("a\.") is part of the label, not the root.
    std::size_t slashes = 0;
    for (std::size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++slashes;
    if (slashes % 2 == 0) return std::string(name);
  }
  std::string out(name);
  if (origin != ".") out += '.';
  out += origin;
  return out;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The most bytes of a path an error about the zone file named.conf names shows (escaped).
constexpr std::size_t max_path_shown = 512;

// Splits a directive line into tokens, stopping at a comment; quotes group.
std::vector<std::pair<std::string_view, std::size_t>> split_tokens(std::string_view line) {
  std::vector<std::pair<std::string_view, std::size_t>> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i >= line.size() || line[i] == ';') break;
    std::size_t start = i;
    if (line[i] == '"') {
      ++i;
      while (i < line.size() && line[i] != '"') i += (line[i] == '\\' && i + 1 < line.size()) ? 2 : 1;
      std::size_t end_content = std::min(i, line.size());
      if (i < line.size()) ++i;
      out.emplace_back(line.substr(start + 1, end_content - start - 1), start);
      continue;
    }
    while (i < line.size() && !is_space(line[i]) && line[i] != ';') i += (line[i] == '\\' && i + 1 < line.size()) ? 2 : 1;
    out.emplace_back(line.substr(start, i - start), start);
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<unsigned long> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  unsigned long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  return v;
}

// Substitutes the iterator into a $GENERATE template; false on a malformed ${...}.
bool substitute(std::string_view tmpl, long value, std::string& out, std::string& error) {
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '\\' && i + 1 < tmpl.size()) {
      if (tmpl[i + 1] == '$') {
        out += '$';
      } else {
        out += c;
        out += tmpl[i + 1];
      }
      ++i;
      continue;
    }
    if (c != '$') {
      out += c;
      continue;
    }
    long offset = 0;
    unsigned long width = 0;
    char base = 'd';
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      std::size_t close = tmpl.find('}', i + 2);
      if (close == std::string_view::npos) {
        error = "unterminated ${ in $GENERATE";
        return false;
      }
      std::string_view spec = tmpl.substr(i + 2, close - i - 2);
      std::vector<std::string_view> parts;
      std::size_t s = 0;
      while (true) {
        std::size_t comma = spec.find(',', s);
        parts.push_back(spec.substr(s, comma == std::string_view::npos ? std::string_view::npos : comma - s));
        if (comma == std::string_view::npos) break;
        s = comma + 1;
      }
      if (parts.size() > 3) {
        error = "too many fields in ${} of $GENERATE";
        return false;
      }
      std::string_view off = parts[0];
      bool neg = false;
      if (!off.empty() && (off[0] == '-' || off[0] == '+')) {
        neg = off[0] == '-';
        off.remove_prefix(1);
      }
      auto ov = parse_uint(off);
      if (!ov) {
        error = "bad offset in ${} of $GENERATE";
        return false;
      }
      offset = neg ? -static_cast<long>(*ov) : static_cast<long>(*ov);
      if (parts.size() > 1) {
        auto wv = parse_uint(parts[1]);
        if (!wv || *wv > 255) {
          error = "bad width in ${} of $GENERATE";
          return false;
        }
        width = *wv;
      }
      if (parts.size() > 2) {
        if (parts[2].size() != 1 || std::string_view("doxX").find(parts[2][0]) == std::string_view::npos) {
          error = "bad base in ${} of $GENERATE (d, o, x or X)";
          return false;
        }
        base = parts[2][0];
      }
      i = close;
    }
    long v = value + offset;
    if (v < 0) {
      error = "negative value in $GENERATE";
      return false;
    }
    char fmtspec[8] = {'%', '0', '*', 'l', base == 'd' ? 'l' : base, 0};
    if (base == 'd') fmtspec[4] = 'd';
    char buf[300];
    std::snprintf(buf, sizeof buf, fmtspec, static_cast<int>(width), v);
    out += buf;
  }
  return true;
}

// The token of `line` that starts at `col` (up to the next blank), for a diagnostic.
std::string token_at(std::string_view line, std::size_t col) {
  if (col >= line.size()) return {};
  std::size_t end = col;
  while (end < line.size() && !is_space(line[end])) ++end;
  return std::string(line.substr(col, end - col));
}

struct expander {
  zone_source& out;
  diagnostics& diags;
  std::string directory;
  const source_location* named_at = nullptr;  // the named.conf `file` statement naming the top file
  std::string_view context;                   // "zone X (view V): file \"F\"", when named_at is set
  const input_limits& limits = input_limits::current();
  bool stopped = false;              // a limit on the whole zone was reached (and reported)
  std::uint64_t includes = 0;        // files read through $INCLUDE, repeats counted
  std::uint64_t total_bytes = 0;     // bytes of every file read, repeats counted
  std::uint64_t generated_records = 0;

  const std::string* own_name(std::string name) { return &out.owned.emplace_back(std::move(name)); }

  void generated(std::string text, const std::string* file, std::uint32_t line) {
    // Every line of generated text reports the directive's line (see chunk readers).
    std::string& t = out.owned.emplace_back(std::move(text));
    if (t.empty()) return;
    if (t.back() != '\n') t += '\n';
    out.chunks.push_back({t, file, line, nullptr, true});
    out.bytes += t.size();
  }

  void plain(std::string_view text, const std::string* file, std::uint32_t line, const mapped_file* m) {
    if (text.empty()) return;
    if (text.back() != '\n') {
      std::string& t = out.owned.emplace_back(text);
      t += '\n';
      text = t;
      m = nullptr;
    }
    out.chunks.push_back({text, file, line, m, false});
    out.bytes += text.size();
  }

  // The records of a $GENERATE, made when they are read.
  void generate(std::string_view line, std::size_t body_col, const std::string& path, const std::string* fname,
                std::uint32_t dline) {
    std::string_view body = line.substr(std::min(line.size(), body_col));
    generate_spec spec;
    std::string error;
    std::size_t col = 0;
    if (!parse_generate(body, spec, error, col)) {
      diags.error({path, dline, static_cast<std::uint32_t>(body_col + col + 1)}, error, token_at(body, col));
      return;
    }
    std::uint64_t n = spec.count();
    if (n > limits.max_generated_records - std::min(limits.max_generated_records, generated_records)) {
      auto range_col = body.find_first_not_of(" \t");
      diags.error({path, dline, static_cast<std::uint32_t>(body_col + range_col + 1)},
                  fmt::format("$GENERATE would make {} records, more than the {} left of {} per zone file "
                              "(HC_MAX_GENERATED_RECORDS); not read",
                              n, limits.max_generated_records - std::min(limits.max_generated_records, generated_records),
                              limits.max_generated_records),
                  token_at(body, range_col));
      return;
    }
    generated_records += n;
    const generate_spec& kept = out.generates.emplace_back(std::move(spec));
    chunk c{{}, fname, dline, nullptr, true};
    c.generate = &kept;
    out.chunks.push_back(c);
    out.bytes += n * 32;
  }

  bool expand(const std::string& path, std::string origin, int depth, const source_location* from) {
    if (from) {
      if (stopped) return false;
      if (++includes > limits.max_include_files) {
        diags.error(*from,
                    fmt::format("too many $INCLUDE files (more than {}, HC_MAX_INCLUDE_FILES, the same file counted "
                                "each time); no further $INCLUDE is read",
                                limits.max_include_files),
                    path);
        stopped = true;
        return false;
      }
      // A file reached through $INCLUDE may be anybody's: its text never appears in a message.
      diags.mark_private(path);
    }
    std::unique_ptr<mapped_file> mf;
    std::uint64_t left = limits.max_total_bytes - std::min(limits.max_total_bytes, total_bytes);
    std::uint64_t cap = std::min(limits.max_file_bytes, left);
    try {
      mf = std::make_unique<mapped_file>(path, cap);
    } catch (const open_error& e) {
      std::string msg = e.what();
      if (cap < limits.max_file_bytes && e.reason() == too_large_message(cap, "HC_MAX_FILE_BYTES")) {
        msg = fmt::format("cannot read {}: the zone file with its $INCLUDEs is {}", path,
                          too_large_message(limits.max_total_bytes, "HC_MAX_TOTAL_BYTES"));
        stopped = true;
      } else if (!from && named_at) {
        // The zone file named.conf names: said where named.conf names it, since that is where it
        // is fixed (the path, the `directory` option) as often as the file itself.
        diags.error(*named_at, fmt::format("{}: cannot read {}: {}", context, escape_text(path, max_path_shown), e.reason()));
        return false;
      }
      diags.error(from ? *from : source_location{path, 0, 0}, msg, from ? path : std::string());
      return false;
    }
    const mapped_file* m = mf.get();
    total_bytes += m->text().size();
    out.files.push_back(std::move(mf));
    const std::string* fname = own_name(path);
    std::string_view text = m->text();
    // A binary file (raw or map masterfile-format) is not zone file text.
    // (An empty file maps to no memory at all: memchr must not see its null pointer.)
    if (!text.empty() && std::memchr(text.data(), '\0', std::min<std::size_t>(text.size(), 512))) {
      if (!from && named_at)
        diags.error(*named_at, fmt::format("{}: {} is not a text zone file (raw or map masterfile-format?)", context,
                                           escape_text(path, max_path_shown)));
      else
        diags.error({path, 0, 0}, "not a text zone file (raw or map masterfile-format?)");
      return false;
    }
    std::size_t seg = 0;
    std::uint32_t seg_line = 1;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t d;
      if (pos == 0 && text[0] == '$') {
        d = 0;
      } else {
        // A directive starts a line; '$' is rare elsewhere, and memchr is faster than memmem.
        const char* hit = nullptr;
        for (std::size_t from = pos; from < text.size();) {
          const void* dollar = std::memchr(text.data() + from, '$', text.size() - from);
          if (!dollar) break;
          const char* c = static_cast<const char*>(dollar);
          if (c > text.data() && c[-1] == '\n') {
            hit = c;
            break;
          }
          from = static_cast<std::size_t>(c - text.data()) + 1;
        }
        if (!hit) break;
        d = static_cast<std::size_t>(hit - text.data());
      }
      std::size_t e = text.find('\n', d);
      if (e == std::string_view::npos) e = text.size();
      std::string_view line = text.substr(d, e - d);
      auto toks = split_tokens(line);
      std::string_view kw = toks.empty() ? std::string_view() : toks[0].first;
      bool handled = iequals(kw, "$ORIGIN") || iequals(kw, "$INCLUDE") || iequals(kw, "$GENERATE");
      if (!handled) {
        pos = e;
        continue;
      }
      std::uint32_t dline = seg_line + static_cast<std::uint32_t>(std::count(text.begin() + seg, text.begin() + d, '\n'));
      plain(text.substr(seg, d - seg), fname, seg_line, m);
      source_location here{path, dline, 1};
      if (iequals(kw, "$ORIGIN")) {
        if (toks.size() < 2) {
          diags.error(here, "$ORIGIN without a name", std::string(kw));
        } else {
          origin = absolute_name(toks[1].first, origin);
          generated("$ORIGIN " + origin + "\n", fname, dline);
        }
      } else if (iequals(kw, "$INCLUDE")) {
        source_location at{path, dline, toks.size() >= 2 ? static_cast<std::uint32_t>(toks[1].second + 1) : 1};
        if (toks.size() < 2) {
          diags.error(here, "$INCLUDE without a file name", std::string(kw));
        } else if (depth >= limits.max_include_depth) {
          diags.error(at, fmt::format("$INCLUDE nested too deeply (more than {}, HC_MAX_INCLUDE_DEPTH)",
                                      limits.max_include_depth),
                      std::string(toks[1].first));
        } else if (!stopped) {
          std::filesystem::path inc(std::string(toks[1].first));
          if (inc.is_relative()) inc = std::filesystem::path(directory) / inc;
          std::string inner = origin;
          if (toks.size() >= 3) {
            inner = absolute_name(toks[2].first, origin);
            generated("$ORIGIN " + inner + "\n", fname, dline);
          }
          expand(inc.string(), inner, depth + 1, &at);
          // BIND restores the origin after an included file.
          generated("$ORIGIN " + origin + "\n", fname, dline);
        }
      } else {
        generate(line, toks[0].second + toks[0].first.size(), path, fname, dline);
      }
      seg = e < text.size() ? e + 1 : text.size();
      seg_line = dline + 1;
      pos = e;
    }
    plain(text.substr(seg), fname, seg_line, m);
    return true;
  }
};

}  // namespace

bool parse_generate(std::string_view body, generate_spec& spec, std::string& error, std::size_t& error_col) {
  auto toks = split_tokens(body);
  if (toks.size() < 4) {
    error = "$GENERATE needs: range lhs [ttl] [class] type rhs";
    error_col = toks.empty() ? 0 : toks.back().second;
    return false;
  }
  std::string_view range = toks[0].first;
  error_col = toks[0].second;
  std::size_t dash = range.find('-');
  if (dash == std::string_view::npos) {
    error = "bad $GENERATE range (start-stop[/step])";
    return false;
  }
  std::size_t slash = range.find('/', dash);
  auto start = parse_uint(range.substr(0, dash));
  auto stop = parse_uint(range.substr(dash + 1, slash == std::string_view::npos ? std::string_view::npos : slash - dash - 1));
  std::optional<unsigned long> step = 1;
  if (slash != std::string_view::npos) step = parse_uint(range.substr(slash + 1));
  if (!start || !stop || !step || *step == 0 || *stop < *start) {
    error = "bad $GENERATE range (start-stop[/step])";
    return false;
  }
  spec.start = *start;
  spec.stop = *stop;
  spec.step = *step;
  spec.lhs = toks[1].first;
  spec.rhs = toks.back().first;
  spec.middle.clear();
  for (std::size_t i = 2; i + 1 < toks.size(); ++i) {
    spec.middle += ' ';
    spec.middle += toks[i].first;
  }
  // The templates once with the first value: a malformed ${...} or a negative value (the offset
  // is fixed and the values only grow) shows here, before any record is made.
  std::string probe;
  if (!substitute(spec.lhs, static_cast<long>(spec.start), probe, error)) {
    error_col = toks[1].second;
    return false;
  }
  if (!substitute(spec.rhs, static_cast<long>(spec.start), probe, error)) {
    error_col = toks.back().second;
    return false;
  }
  return true;
}

void generate_spec::lines(std::uint64_t first, std::uint64_t n, std::string& out) const {
  std::string error;  // parse_generate checked the templates
  for (std::uint64_t i = first; i < first + n; ++i) {
    long v = static_cast<long>(start + i * step);
    substitute(lhs, v, out, error);
    out += middle;
    out += ' ';
    substitute(rhs, v, out, error);
    out += '\n';
  }
}

bool expand_generate(std::string_view body, std::string& out, std::string& error, std::size_t& error_col,
                     std::uint64_t max_records) {
  generate_spec spec;
  if (!parse_generate(body, spec, error, error_col)) return false;
  if (spec.count() > max_records) {
    error = "$GENERATE range too large";
    return false;
  }
  spec.lines(0, spec.count(), out);
  return true;
}

bool expand_zone_source(const std::string& file, std::string_view origin, const std::string& directory,
                        zone_source& out, diagnostics& diags, const source_location* named_at,
                        std::string_view context) {
  std::string dir = directory;
  if (dir.empty()) dir = std::filesystem::path(file).parent_path().string();
  expander ex{out, diags, dir, named_at, context};
  return ex.expand(file, std::string(origin), 0, nullptr);
}

}  // namespace hc::zone::detail
