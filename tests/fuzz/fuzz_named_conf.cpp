// Fuzz target: the named.conf reader (lexer, parser, model) on arbitrary bytes.
#include <cstdint>
#include <string_view>

#include "bind/config.hpp"
#include "bind/parser.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes could name any file of the machine: the tree pass alone takes the raw text.
  hc::diagnostics d1;
  (void)hc::bind::parse_text(text, "fuzz.conf", d1);
  // The whole reader on a file, includes disabled by the absence of any readable include target.
  if (text.find("include") == std::string_view::npos) {
    hc::fuzz::temp_file f(data, size, ".conf");
    hc::diagnostics d2;
    try {
      auto cfg = hc::bind::read_named_conf(f.path(), d2);
      (void)hc::bind::shadowed_views(cfg);
      if (auto a = hc::ip_address::parse("198.18.1.99")) (void)hc::bind::infer_views(cfg, *a);
    } catch (const hc::input_error&) {
    }
  }
  return 0;
}
