// Fuzz target: the XML reader (src/core/xml.cpp) and the pfSense / OPNsense config.xml reader on
// what it reads, the prediction on the rules it builds and the fixes in the appliances' menus.
// Every element the XML reader returns must lie within the input's lines and within the depth bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "core/xml.hpp"
#include "fuzz_nat_reader.hpp"
#include "nat/pfsense.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint32_t lines = 1;
  for (char c : text) lines += c == '\n';
  hc::diagnostics diags;
  hc::xml::limits lim;
  if (auto root = hc::xml::parse(text, "fuzz.xml", diags, lim)) {
    if (diags.has_errors()) std::abort();
    std::vector<std::pair<const hc::xml::node*, std::uint32_t>> todo{{&*root, 1}};  // no recursion here either
    while (!todo.empty()) {
      auto [n, depth] = todo.back();
      todo.pop_back();
      if (n->line < 1 || n->line > lines || n->column < 1 || depth > lim.max_depth || n->name.empty()) std::abort();
      for (const auto& e : n->elements) todo.emplace_back(&e, depth + 1);
    }
    (void)root->find_all("nat/rule/destination");
  } else if (!diags.has_errors()) {
    std::abort();  // a refusal always says why
  }
  (void)hc::xml::root_name(text);
  return hc::fuzz::fuzz_nat_reader(data, size, hc::nat::parse_pfsense, "fuzz.xml", {true, true, false});
}
