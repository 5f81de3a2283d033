// Fuzz target: the `nft list ruleset` text reader (through its translation to nft JSON), and the
// prediction on what it read. Every rule and diagnostic must name a line of the input.
#include <cstddef>
#include <cstdint>

#include "fuzz_nat_reader.hpp"
#include "nat/nft_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return hc::fuzz::fuzz_nat_reader(data, size, hc::nat::parse_nft_text, "fuzz.nft", {false, false, false});
}
