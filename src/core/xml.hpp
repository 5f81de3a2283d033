#pragma once
// A bounded reader for the XML subset that appliance backups (pfSense and OPNsense config.xml) use:
// elements, attributes, text, CDATA sections, comments, processing instructions (the XML
// declaration), the five predefined entities and numeric character references. A DOCTYPE is
// refused (it is where internal and external entities are defined), and so is any other entity.
//
// Input is untrusted: the input size, element depth, element count, attributes per element and
// name lengths are bounded, nothing recurses, and an error names file:line:col with at most the
// offending token (escaped and cut by hc::diagnostics). Reading stops at the first error: XML has
// no safe place to resume.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/diagnostics.hpp"

namespace hc::xml {

// One element: its name, attributes and character data (entities decoded, CDATA included), its
// child elements in document order, and where its start tag begins (line and column from 1, the
// column counted in bytes).
struct node {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // all character data directly inside, as written (whitespace kept)
  std::vector<node> elements;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  // The first child element called `name`, or null.
  const node* child(std::string_view name) const;
  // Every child element called `name`, in document order.
  std::vector<const node*> children(std::string_view name) const;
  // The text of the first child called `name` with leading and trailing whitespace removed; empty
  // when there is no such child.
  std::string_view child_text(std::string_view name) const;
  // Does a child called `name` exist (pfSense's flags: <disabled/>, <enable></enable>)?
  bool has(std::string_view name) const { return child(name) != nullptr; }
  // The value of attribute `name`, or nullopt.
  std::optional<std::string_view> attribute(std::string_view name) const;
  // `text` without leading and trailing whitespace.
  std::string_view trimmed_text() const;
  // The first element reached by the '/'-separated path of child names ("nat/rule"), or null.
  const node* find(std::string_view path) const;
  // Every element reached by the path: all matches at every step ("nat/rule" gives each rule of
  // each <nat>).
  std::vector<const node*> find_all(std::string_view path) const;
  // "file:line:col" of this element.
  source_location where(const std::string& file) const { return {file, line, column}; }
};

// The bounds (docs/reliability.md). max_bytes defaults to HC_MAX_FILE_BYTES.
struct limits {
  std::uint64_t max_bytes = 0;      // 0: input_limits::current().max_file_bytes
  std::uint32_t max_depth = 64;     // elements within elements, the root at depth 1
  std::uint64_t max_nodes = 1u << 21;  // elements in the document (2,097,152)
  std::uint32_t max_attributes = 256;  // attributes of one element
  std::uint32_t max_name_bytes = 1024; // one element or attribute name
};

// Reads `text` (from `file`, for the diagnostics) and returns its root element, or nullopt after one
// error diagnostic in `diags`. A UTF-8 byte order mark at the start is skipped.
std::optional<node> parse(std::string_view text, const std::string& file, diagnostics& diags, const limits& lim = {});

// The name of the root element without reading the whole document (after the XML declaration,
// comments and whitespace), or empty when the text does not start like XML. For detection by content.
std::string_view root_name(std::string_view text);

}  // namespace hc::xml
