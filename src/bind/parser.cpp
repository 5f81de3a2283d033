#include "bind/parser.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

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
  parser(const std::vector<token>& tokens, diagnostics& diags) : t_(tokens), diags_(diags) {}

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
          if (depth_ >= max_block_depth) {
            diags_.error(open.where, "blocks nested too deeply (more than " + std::to_string(max_block_depth) + ")", "{");
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

  static constexpr int max_block_depth = 64;
  const std::vector<token>& t_;
  diagnostics& diags_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

namespace fs = std::filesystem;

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = std::strerror(EISDIR);
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno ? errno : ENOENT);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    error = std::strerror(errno ? errno : EIO);
    return std::nullopt;
  }
  return std::move(ss).str();
}

class loader {
 public:
  loader(diagnostics& diags, tree& out) : diags_(diags), out_(out) {}

  // Parses one file; nullopt when it cannot be read (error set).
  std::optional<std::vector<node>> parse_file(const std::string& path, std::string& error, parse_context ctx) {
    auto text = read_file(path, error);
    if (!text) return std::nullopt;
    out_.files.push_back(path);
    return parse_text(*text, path, diags_, ctx);
  }

  // Replaces includes in `nodes` (recursively, blocks too) by what they include.
  std::vector<node> expand(std::vector<node> nodes, parse_context ctx) {
    std::vector<node> out;
    out.reserve(nodes.size());
    for (auto& n : nodes) {
      if (!n.keyword_quoted && iequals(n.keyword, "include")) {
        include(n, ctx, out);
        continue;
      }
      for (auto& b : n.blocks) b = expand(std::move(b), inner_context(n, ctx));
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

  void include(const node& n, parse_context ctx, std::vector<node>& out) {
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
      if (static_cast<int>(stack.size()) > max_include_depth) {
        diags_.error(n.where, "includes nested too deeply (more than " + std::to_string(max_include_depth) + ")",
                     written);
        continue;
      }
      std::string error;
      auto nodes = parse_file(path, error, ctx);
      if (!nodes) {
        diags_.error(n.where, "cannot open '" + path + "': " + error, written);
        continue;
      }
      stack.push_back(canon);
      auto expanded = expand(std::move(*nodes), ctx);
      stack.pop_back();
      for (auto& e : expanded) out.push_back(std::move(e));
    }
  }

  diagnostics& diags_;
  tree& out_;
  bool directory_set_ = false;
};

}  // namespace

std::vector<node> parse(const std::vector<token>& tokens, diagnostics& diags, parse_context context) {
  return parser(tokens, diags).run(context);
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
  auto nodes = l.parse_file(path, error, parse_context::top);
  if (!nodes) {
    out.open_error = error;
    return out;
  }
  out.opened = true;
  std::string canon = fs::weakly_canonical(top, ec).string();
  l.stack.push_back(ec ? top.string() : canon);
  out.statements = l.expand(std::move(*nodes), parse_context::top);
  return out;
}

}  // namespace hc::bind
