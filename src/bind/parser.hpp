#pragma once
// The generic named.conf tree: every statement is {keyword, arguments, blocks, location}, whatever
// its meaning. parse() is pure; load_tree() reads files and expands `include` statements.

#include <string>
#include <string_view>
#include <vector>

#include "bind/lexer.hpp"
#include "core/diagnostics.hpp"

namespace hc::bind {

// One statement: `keyword arg arg { block } arg { block } ;`. An anonymous `{ ... };` (a nested
// address match list) has an empty keyword and one block.
struct node {
  std::string keyword;
  bool keyword_quoted = false;
  location where;
  std::vector<token> arguments;         // words and strings, in order, outside the blocks
  std::vector<std::vector<node>> blocks;  // the `{ ... }` parts, in order

  // The first block, or nullptr when the statement has none.
  const std::vector<node>* block() const { return blocks.empty() ? nullptr : &blocks.front(); }
};

// Where a list of statements sits: at the top of named.conf, directly in a view, or in any other
// block. An included file is parsed in the context of its `include` statement.
enum class parse_context { top, view, block };

// Builds the statement list from tokens (the last one kind::end). Syntax errors go to diags and
// parsing resynchronises at the next `;` or `}`. `depth`: the blocks the tokens already sit in (an
// included file inside a view); blocks deeper than input_limits::max_block_depth in all are errors.
std::vector<node> parse(const std::vector<token>& tokens, diagnostics& diags,
                        parse_context context = parse_context::top, int depth = 0);

// lex() then parse().
std::vector<node> parse_text(std::string_view text, const std::string& file, diagnostics& diags,
                             parse_context context = parse_context::top);

// The result of reading a top-level file and everything it includes.
struct tree {
  std::vector<node> statements;     // includes replaced by the statements they hold
  std::vector<std::string> files;   // every file read, in order
  std::string directory;            // options { directory } made absolute, else the top file's directory
  bool opened = false;              // false when the top-level file could not be read
  std::string open_error;           // why, then (strerror text)
};

// Reads `path` and expands every `include` (at any level, glob patterns allowed). Relative include
// paths are resolved against options { directory } when an options statement before the include
// sets it, else against the directory of `path` (named's working directory). Cycles are errors, and
// so is crossing a limit of input_limits (core/input_file.hpp): include depth, files included,
// bytes per file and in all (a file included twice counts twice). Only regular files are read (a
// FIFO or a device is "not a regular file"); included files are private to diagnostics (never
// quoted). Throws std::bad_alloc when memory runs out (read_named_conf reports it).
tree load_tree(const std::string& path, diagnostics& diags);

// Case-insensitive keyword comparison, as BIND compares them.
bool iequals(std::string_view a, std::string_view b);

}  // namespace hc::bind
