// Fuzz target: the MikroTik RouterOS reader (an export, .rsc), the
// prediction on the rules it builds and the RouterOS fixes of the findings.
#include <cstddef>
#include <cstdint>

#include "fuzz_nat_reader.hpp"
#include "nat/mikrotik.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // RouterOS fixes are one line of commands each.
  return hc::fuzz::fuzz_nat_reader(data, size, hc::nat::parse_routeros, "fuzz.rsc", {true, true, true});
}
