// Fuzz target: the OpenWrt UCI reader (/etc/config/firewall with /etc/config/network appended), the
// prediction on the rules it builds and the uci fixes of the findings.
#include <cstddef>
#include <cstdint>

#include "fuzz_nat_reader.hpp"
#include "nat/openwrt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return hc::fuzz::fuzz_nat_reader(data, size, hc::nat::parse_openwrt, "fuzz.firewall", {true, true, false});
}
