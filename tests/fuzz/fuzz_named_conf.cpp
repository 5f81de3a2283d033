// Fuzz target: the named.conf reader (lexer, parser, model) on arbitrary bytes.
#include <cstdint>
#include <string_view>

#include "bind/config.hpp"
#include "bind/parser.hpp"
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)hc::fuzz::hostile_sandbox();  // first: it sets the limits, which are read once
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes could name any file of the machine: the tree pass alone takes the raw text.
  hc::diagnostics d1;
  (void)hc::bind::parse_text(text, "fuzz.conf", d1);
  // The whole reader on a file: without includes anywhere, or with includes of the sandbox only.
  if (text.find("include") == std::string_view::npos) {
    hc::fuzz::temp_file f(data, size, ".conf");
    hc::diagnostics d2;
    try {
      auto cfg = hc::bind::read_named_conf(f.path(), d2);
      (void)hc::bind::shadowed_views(cfg);
      if (auto a = hc::ip_address::parse("198.18.1.99")) (void)hc::bind::infer_views(cfg, *a);
    } catch (const hc::input_error&) {
    }
  } else if (text.find('/') == std::string_view::npos) {
    // Includes by plain name reach only the hostile sandbox: a FIFO, include bombs, deep blocks.
    hc::fuzz::sandbox_file f(data, size, "input.conf");
    hc::diagnostics d3;
    try {
      (void)hc::bind::read_named_conf(f.path(), d3);
    } catch (const hc::input_error&) {
    }
  }
  return 0;
}
