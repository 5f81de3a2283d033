#include "bind/parser.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/input_file.hpp"

namespace hc::bind {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

using tk = token::kind;

// Statements after whose block nothing but `;` may come (every top-level statement, and zones in
// a view): a missing `;` is reported there instead of swallowing the next statement. Elsewhere
// words may follow a block (`response-policy { ... } break-dnssec yes;`, catalog-zones' zone).
bool closes_after_block(const node& n, parse_context ctx) {
  return ctx == parse_context::top || (ctx == parse_context::view && iequals(n.keyword, "zone"));
}

// The context of the statements inside the block of `n`, itself in context `ctx`.
parse_context inner_context(const node& n, parse_context ctx) {
  return ctx == parse_context::top && iequals(n.keyword, "view") ? parse_context::view : parse_context::block;
}

class parser {
 public:
  // `depth`: the blocks the tokens already sit in (an included file inside `view { }`).
  parser(const std::vector<token>& tokens, diagnostics& diags, int depth)
      : t_(tokens), diags_(diags), depth_(depth), max_block_depth_(input_limits::current().max_block_depth) {}

  std::vector<node> run(parse_context ctx) {
    std::vector<node> out;
    statements(out, true, nullptr, ctx);
    return out;
  }

 private:
  const token& peek() const { return t_[pos_]; }
  const token& take() { return pos_ + 1 < t_.size() ? t_[pos_++] : t_[pos_]; }

  // Statements until `}` (not consumed) or the end. `file_level`: the file's own list, where a `}`
  // is stray.
  void statements(std::vector<node>& out, bool file_level, const token* opened, parse_context ctx) {
    for (;;) {
      const token& t = peek();
      switch (t.what) {
        case tk::end:
          if (opened)
            diags_.error(t.where, "'}' expected at end of file, to close the '{' of line " +
                                      std::to_string(opened->where.line));
          return;
        case tk::rbrace:
          if (!file_level) return;
          diags_.error(t.where, "unexpected token", "}");
          take();
          continue;
        case tk::semicolon:  // an empty statement, harmless
          take();
          continue;
        case tk::lbrace: {
          node n;
          n.where = t.where;
          bool allowed = ctx == parse_context::block;  // nested address match lists
          if (!allowed) diags_.error(t.where, "unexpected token", "{");
          rest(n, file_level, ctx);
          if (allowed) out.push_back(std::move(n));
          continue;
        }
        default: {
          node n;
          const token& k = take();
          n.keyword = k.text;
          n.keyword_quoted = k.what == tk::string;
          n.where = k.where;
          rest(n, file_level, ctx);
          out.push_back(std::move(n));
        }
      }
    }
  }

  // Arguments and blocks up to the closing `;`.
  void rest(node& n, bool file_level, parse_context ctx) {
    for (;;) {
      const token& t = peek();
      switch (t.what) {
        case tk::word:
        case tk::string:
          if (!n.blocks.empty() && closes_after_block(n, ctx)) {
            diags_.error(t.where, "missing ';'", describe(t));
            return;
          }
          n.arguments.push_back(take());
          continue;
        case tk::lbrace: {
          const token& open = take();
          if (depth_ >= max_block_depth_) {
            diags_.error(open.where,
                         "blocks nested too deeply (more than " + std::to_string(max_block_depth_) + ", HC_MAX_BLOCK_DEPTH)",
                         "{");
            skip_block();
            continue;
          }
          ++depth_;
          n.blocks.emplace_back();
          statements(n.blocks.back(), false, &open, inner_context(n, ctx));
          --depth_;
          if (peek().what != tk::rbrace) return;  // end of file, already reported
          take();
          continue;
        }
        case tk::semicolon:
          take();
          return;
        case tk::rbrace:
          if (!file_level) diags_.error(t.where, "missing ';'", "}");  // else a stray '}', reported by the caller
          return;
        case tk::end:
          diags_.error(t.where, "missing ';' at end of file");
          return;
      }
    }
  }

  // Skips to after the `}` that closes an already opened block, without recursion.
  void skip_block() {
    for (std::size_t open = 1; open > 0 && peek().what != tk::end;) {
      const token& t = take();
      if (t.what == tk::lbrace) ++open;
      if (t.what == tk::rbrace) --open;
    }
  }

  const std::vector<token>& t_;
  diagnostics& diags_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  const int max_block_depth_;
};

namespace fs = std::filesystem;

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

class loader {
 public:
  loader(diagnostics& diags, tree& out) : diags_(diags), out_(out), limits_(input_limits::current()) {}

  // Parses one file whose statements sit `depth` blocks deep; nullopt when it cannot be read
  // (error set).
  std::optional<std::vector<node>> parse_file(const std::string& path, std::string& error, parse_context ctx,
                                              int depth) {
    // Every read counts against the total, the same file read twice too: 32 files that each
    // include the next one twice stop here, not after 2^32 reads.
    std::uint64_t left = limits_.max_total_bytes - std::min(limits_.max_total_bytes, total_bytes_);
    std::uint64_t cap = std::min(limits_.max_file_bytes, left);
    auto text = read_regular_file(path, cap, error);
    if (!text) {
      if (cap < limits_.max_file_bytes && error == too_large_message(cap, "HC_MAX_FILE_BYTES")) {
        error = "the configuration with its includes is " + too_large_message(limits_.max_total_bytes, "HC_MAX_TOTAL_BYTES");
        stopped_ = true;
      }
      return std::nullopt;
    }
    total_bytes_ += text->size();
    out_.files.push_back(path);
    return parse(lex(*text, path, diags_), diags_, ctx, depth);
  }

  // Replaces includes in `nodes` (recursively, blocks too) by what they include; `depth`: the
  // blocks `nodes` sit in.
  std::vector<node> expand(std::vector<node> nodes, parse_context ctx, int depth) {
    std::vector<node> out;
    out.reserve(nodes.size());
    for (auto& n : nodes) {
      if (!n.keyword_quoted && iequals(n.keyword, "include")) {
        include(n, ctx, depth, out);
        continue;
      }
      for (auto& b : n.blocks) b = expand(std::move(b), inner_context(n, ctx), depth + 1);
      if (ctx == parse_context::top && iequals(n.keyword, "options") && !directory_set_) note_directory(n);
      out.push_back(std::move(n));
    }
    return out;
  }

  std::vector<std::string> stack;  // canonical paths of the files being read
  std::string base;                // where relative includes are resolved

 private:
  void note_directory(const node& options) {
    if (auto b = options.block())
      for (const auto& s : *b)
        if (iequals(s.keyword, "directory") && s.arguments.size() == 1 && s.arguments[0].is_text()) {
          fs::path d = s.arguments[0].text;
          if (d.is_relative()) d = fs::path(base) / d;
          base = d.lexically_normal().string();
          if (base.size() > 1 && base.back() == '/') base.pop_back();
          out_.directory = base;
          directory_set_ = true;
        }
  }

  void include(const node& n, parse_context ctx, int depth, std::vector<node>& out) {
    // After a limit on the whole configuration was reached (and reported once), no more files.
    if (stopped_) return;
    if (n.arguments.size() != 1 || !n.arguments[0].is_text() || !n.blocks.empty()) {
      diags_.error(n.where, "'include' expects one file name", n.arguments.empty() ? ";" : describe(n.arguments[0]));
      return;
    }
    const std::string& written = n.arguments[0].text;
    fs::path p = written;
    if (p.is_relative()) p = fs::path(base) / p;
    std::string pattern = p.lexically_normal().string();

    std::vector<std::string> paths;
    if (has_glob_chars(written)) {
      glob_t g{};
      int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
      if (rc == 0)
        for (std::size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
      ::globfree(&g);
      if (rc != 0 && rc != GLOB_NOMATCH) {
        diags_.error(n.where, "cannot open '" + pattern + "': glob failed", written);
        return;
      }
      if (paths.empty()) {
        diags_.error(n.where, "cannot open '" + pattern + "': no file matches", written);
        return;
      }
    } else {
      paths.push_back(pattern);
    }

    for (const auto& path : paths) {
      std::error_code ec;
      std::string canon = fs::weakly_canonical(path, ec).string();
      if (ec) canon = path;
      if (std::find(stack.begin(), stack.end(), canon) != stack.end()) {
        diags_.error(n.where, "include cycle: '" + path + "' is already being read", written);
        continue;
      }
      if (static_cast<int>(stack.size()) > limits_.max_include_depth) {
        diags_.error(n.where,
                     "includes nested too deeply (more than " + std::to_string(limits_.max_include_depth) +
                         ", HC_MAX_INCLUDE_DEPTH)",
                     written);
        continue;
      }
      if (++includes_ > limits_.max_include_files) {
        diags_.error(n.where,
                     "too many included files (more than " + std::to_string(limits_.max_include_files) +
                         ", HC_MAX_INCLUDE_FILES, the same file counted each time); no further include is read",
                     written);
        stopped_ = true;
        return;
      }
      // An included file may be anybody's: its text never appears in a message.
      diags_.mark_private(path);
      std::string error;
      auto nodes = parse_file(path, error, ctx, depth);
      if (!nodes) {
        diags_.error(n.where, "cannot open '" + path + "': " + error, written);
        if (stopped_) return;
        continue;
      }
      stack.push_back(canon);
      auto expanded = expand(std::move(*nodes), ctx, depth);
      stack.pop_back();
      for (auto& e : expanded) out.push_back(std::move(e));
    }
  }

  diagnostics& diags_;
  tree& out_;
  const input_limits& limits_;
  bool directory_set_ = false;
  bool stopped_ = false;           // a limit on the whole configuration was reached
  std::uint64_t includes_ = 0;     // files included so far, repeats counted
  std::uint64_t total_bytes_ = 0;  // bytes read so far, repeats counted
};

}  // namespace

std::vector<node> parse(const std::vector<token>& tokens, diagnostics& diags, parse_context context, int depth) {
  return parser(tokens, diags, depth).run(context);
}

std::vector<node> parse_text(std::string_view text, const std::string& file, diagnostics& diags,
                             parse_context context) {
  return parse(lex(text, file, diags), diags, context);
}

tree load_tree(const std::string& path, diagnostics& diags) {
  tree out;
  std::error_code ec;
  fs::path top = fs::absolute(path, ec);
  if (ec) top = path;
  top = top.lexically_normal();
  std::string dir = top.parent_path().string();
  out.directory = dir;
  loader l(diags, out);
  l.base = dir;
  std::string error;
  auto nodes = l.parse_file(path, error, parse_context::top, 0);
  if (!nodes) {
    out.open_error = error;
    return out;
  }
  out.opened = true;
  std::string canon = fs::weakly_canonical(top, ec).string();
  l.stack.push_back(ec ? top.string() : canon);
  out.statements = l.expand(std::move(*nodes), parse_context::top, 0);
  return out;
}

}  // namespace hc::bind
