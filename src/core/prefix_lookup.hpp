#pragma once
// Prefixes with a value each, found by the address or prefix they cover in one hash look-up per
// distinct prefix length (at most 33 for IPv4, 129 for IPv6), whatever their number: the index that
// keeps the NAT rule and view analyses linear in the size of their input. Header only.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/ip.hpp"

namespace hc {

// The address with every bit after the first `length` cleared (IPv4: bytes 4..15 too).
inline ip_address masked(const ip_address& a, unsigned length) {
  ip_address out;
  out.v6 = a.v6;
  unsigned bits = std::min(length, a.bits());
  unsigned full = bits / 8, rest = bits % 8;
  std::memcpy(out.bytes.data(), a.bytes.data(), full);
  if (rest) out.bytes[full] = static_cast<std::uint8_t>(a.bytes[full] & (0xffu << (8 - rest)));
  return out;
}

// A prefix masked to its length, as a hash key (prefix_lookup, the NAT simulator's chain look-ups).
struct prefix_key {
  ip_address net;
  unsigned len = 0;
  bool operator==(const prefix_key&) const = default;
};
struct prefix_key_hash {
  std::size_t operator()(const prefix_key& k) const noexcept {
    std::uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, k.net.bytes.data(), 8);
    std::memcpy(&hi, k.net.bytes.data() + 8, 8);
    std::uint64_t h = (lo ^ (hi * 0x9e3779b97f4a7c15ull)) + (std::uint64_t{k.len} << 1 | k.net.v6);
    h ^= h >> 31;  // splitmix64's finaliser
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h);
  }
};

class prefix_lookup {
 public:
  // Adds `p` with `value`; a prefix may be added several times, with the same or other values.
  void add(const ip_prefix& p, std::uint32_t value) {
    unsigned len = std::min(p.length, p.network.bits());
    map_[prefix_key{masked(p.network, len), len}].push_back(value);
    auto& lens = lengths_[p.network.v6];
    if (std::find(lens.begin(), lens.end(), len) == lens.end()) {  // at most 129 entries
      lens.push_back(len);
      std::sort(lens.begin(), lens.end(), std::greater<>());
    }
    ++size_;
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Calls f(value) for every added prefix that contains all of `p` (for an address: p of full
  // length), longest prefixes first, the values of one prefix in the order they were added.
  template <class F>
  void each_covering(const ip_prefix& p, F&& f) const {
    for (const auto* values : covering(p))
      for (std::uint32_t v : *values) f(v);
  }
  template <class F>
  void each_containing(const ip_address& a, F&& f) const {
    each_covering(ip_prefix{a, a.bits()}, f);
  }
  // The first value each_covering() would give.
  std::optional<std::uint32_t> first_covering(const ip_prefix& p) const {
    for (const auto* values : covering(p))
      if (!values->empty()) return values->front();
    return std::nullopt;
  }
  std::optional<std::uint32_t> first_containing(const ip_address& a) const { return first_covering({a, a.bits()}); }
  // How many values each_covering() would give, without visiting them.
  std::size_t count_covering(const ip_prefix& p) const {
    std::size_t n = 0;
    for (const auto* values : covering(p)) n += values->size();
    return n;
  }
  bool covers(const ip_prefix& p) const { return first_covering(p).has_value(); }
  bool contains(const ip_address& a) const { return covers({a, a.bits()}); }

 private:
  // The value lists of the prefixes that cover p, longest first (at most one per length).
  std::vector<const std::vector<std::uint32_t>*> covering(const ip_prefix& p) const {
    std::vector<const std::vector<std::uint32_t>*> out;
    for (unsigned len : lengths_[p.network.v6]) {
      if (len > p.length) continue;
      auto it = map_.find(prefix_key{masked(p.network, len), len});
      if (it != map_.end()) out.push_back(&it->second);
    }
    return out;
  }

  std::unordered_map<prefix_key, std::vector<std::uint32_t>, prefix_key_hash> map_;
  std::vector<unsigned> lengths_[2];  // the distinct lengths, longest first: [0] IPv4, [1] IPv6
  std::size_t size_ = 0;
};

}  // namespace hc
