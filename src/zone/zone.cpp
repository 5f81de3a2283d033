#include "zone/zone.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <new>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "core/dns_text.hpp"
#include "core/ldns.hpp"
#include "zone/reader.hpp"
#include "zone/source.hpp"

namespace hc::zone {
namespace {

constexpr unsigned block_bits = 22;
constexpr std::size_t block_size = std::size_t{1} << block_bits;
constexpr std::uint32_t block_mask = (std::uint32_t{1} << block_bits) - 1;
constexpr std::size_t max_blocks = std::size_t{1} << (32 - block_bits);

// The parent of a canonical name ("a.b." → "b."), or nullopt for the root.
std::optional<std::string_view> parent_of(std::string_view name) {
  if (name.empty() || name == ".") return std::nullopt;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\') {
      ++i;
      continue;
    }
    if (name[i] == '.') {
      std::string_view rest = name.substr(i + 1);
      return rest.empty() ? std::string_view(".") : rest;
    }
  }
  return std::nullopt;
}

bool is_canonical(std::string_view s) {
  if (s.empty() || s.back() != '.') return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string canon(std::string_view s) { return is_canonical(s) ? std::string(s) : canonical_name(s); }

// A canonical view of s: s itself when it already is canonical, else its canonical text in storage.
std::string_view canon_view(std::string_view s, std::string& storage) {
  if (is_canonical(s)) return s;
  storage = canonical_name(s);
  return storage;
}

// Asks for transparent huge pages over the whole pages of [p, p + bytes): the big arrays of a zone
// are filled front to back, and one fault per 2 MiB instead of per 4 KiB is a tenth of the load time
// of a large zone. Only a hint (the kernel may say no, or run without THP).
void advise_huge(const void* p, std::size_t bytes) {
  constexpr std::uintptr_t page = 4096;
  auto b = (reinterpret_cast<std::uintptr_t>(p) + page - 1) & ~(page - 1);
  auto e = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(page - 1);
  if (e > b + (std::uintptr_t{2} << 20)) ::madvise(reinterpret_cast<void*>(b), e - b, MADV_HUGEPAGE);
}

template <typename T>
void advise_huge(const std::vector<T>& v) {
  advise_huge(v.data(), v.capacity() * sizeof(T));
}

// 64-bit hash of a name, eight bytes at a time (names differ mostly in their first labels).
std::uint64_t name_hash(std::string_view s) {
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 29;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

// Sorts (key, index) pairs by key, stably: least significant byte first, skipping the bytes that
// are the same in every key.
void radix_sort(std::vector<std::pair<std::uint64_t, std::uint32_t>>& v) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> tmp(v.size());
  for (unsigned shift = 0; shift < 64; shift += 8) {
    std::size_t count[257] = {};
    for (const auto& e : v) ++count[((e.first >> shift) & 0xff) + 1];
    if (std::any_of(count + 1, count + 257, [&](std::size_t c) { return c == v.size(); })) continue;
    for (int b = 1; b <= 256; ++b) count[b] += count[b - 1];
    for (const auto& e : v) tmp[count[(e.first >> shift) & 0xff]++] = e;
    v.swap(tmp);
  }
}

}  // namespace

std::optional<std::uint32_t> parse_ttl(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t total = 0, cur = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + static_cast<std::uint64_t>(c - '0');
      if (cur > 0xffffffffull) return std::nullopt;
      digits = true;
      continue;
    }
    if (!digits) return std::nullopt;
    std::uint64_t mult = 0;
    switch (std::tolower(static_cast<unsigned char>(c))) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 604800; break;
      default: return std::nullopt;
    }
    total += cur * mult;
    cur = 0;
    digits = false;
  }
  total += cur;
  if (total > 0xffffffffull) return std::nullopt;
  return static_cast<std::uint32_t>(total);
}

std::uint16_t type_from_name(std::string_view name) {
  std::string s(name);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s.size() > 4 && s.compare(0, 4, "TYPE") == 0) {
    unsigned v = 0;
    for (std::size_t i = 4; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return 0;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (v > 65535) return 0;
    }
    return static_cast<std::uint16_t>(v);
  }
  return static_cast<std::uint16_t>(ldns_get_rr_type_by_name(s.c_str()));
}

// ---- zone_data ----

std::string_view zone_data::text(std::uint32_t off, std::uint32_t len) const {
  return {blocks_[off >> block_bits].get() + (off & block_mask), len};
}

std::vector<std::string_view> zone_data::names() const {
  std::vector<std::string_view> out;
  out.reserve(owners_.size());
  for (const auto& o : owners_) out.push_back(text(o.off, o.len));
  return out;
}

std::string_view zone_data::name_at(std::size_t i) const { return text(owners_[i].off, owners_[i].len); }

std::vector<zone_data::record> zone_data::records_at(std::size_t i) const {
  std::vector<record> out;
  for (std::size_t r = owner_first_[i]; r < owner_end_[i]; ++r) {
    const auto& s = records_[r];
    out.push_back({s.type, s.ttl, text(s.rdata_off, s.rdata_len)});
  }
  return out;
}

std::optional<std::size_t> zone_data::find_name(std::string_view owner) const {
  std::string storage;
  return find_canonical(canon_view(owner, storage));
}

std::optional<std::size_t> zone_data::find_canonical(std::string_view owner) const {
  if (index_.empty()) return std::nullopt;  // only a zone_data no builder finished
  const std::uint64_t h = name_hash(owner);
  const std::uint64_t tag = h & 0xffffffff00000000ull;
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = h & mask;; slot = (slot + 1) & mask) {
    std::uint64_t e = index_[slot];
    if (e == 0) return std::nullopt;
    if ((e & 0xffffffff00000000ull) != tag) continue;
    std::size_t i = static_cast<std::uint32_t>(e) - 1;
    if (text(owners_[i].off, owners_[i].len) == owner) return i;
  }
}

void zone_data::build_index() {
  std::size_t size = 16;
  while (size < owners_.size() * 2) size <<= 1;
  index_.reserve(size);
  advise_huge(index_);
  index_.assign(size, 0);
  const std::size_t mask = size - 1;
  // The slots are random places in a table of megabytes: each insertion is a cache miss. The hash
  // of the owner `ahead` places on is computed and its slot prefetched first, so that the misses
  // overlap instead of following one another (same table as inserting one by one).
  constexpr std::size_t ahead = 16;
  std::uint64_t hashes[ahead];
  const std::size_t n = owners_.size();
  auto hash_of = [&](std::size_t i) {
    const std::uint64_t h = name_hash(text(owners_[i].off, owners_[i].len));
    __builtin_prefetch(&index_[h & mask], 1);
    return h;
  };
  for (std::size_t i = 0; i < std::min(n, ahead); ++i) hashes[i] = hash_of(i);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t h = hashes[i % ahead];
    if (i + ahead < n) hashes[i % ahead] = hash_of(i + ahead);
    std::size_t slot = h & mask;
    while (index_[slot] != 0) slot = (slot + 1) & mask;
    index_[slot] = (h & 0xffffffff00000000ull) | static_cast<std::uint32_t>(i + 1);
  }
}

std::pair<std::size_t, std::size_t> zone_data::type_range(std::size_t owner, std::uint16_t type) const {
  auto b = records_.begin() + owner_first_[owner], e = records_.begin() + owner_end_[owner];
  auto lo = std::lower_bound(b, e, type, [](const stored_record& r, std::uint16_t t) { return r.type < t; });
  auto hi = std::upper_bound(lo, e, type, [](std::uint16_t t, const stored_record& r) { return t < r.type; });
  return {static_cast<std::size_t>(lo - records_.begin()), static_cast<std::size_t>(hi - records_.begin())};
}

std::vector<std::string> zone_data::lookup(std::string_view owner, std::uint16_t type) const {
  std::vector<std::string> out;
  auto i = find_name(owner);
  if (!i) return out;
  auto [b, e] = type_range(*i, type);
  for (std::size_t r = b; r < e; ++r) out.emplace_back(text(records_[r].rdata_off, records_[r].rdata_len));
  return out;
}

std::optional<rrset> zone_data::find_rrset(std::string_view owner, std::uint16_t type) const {
  auto i = find_name(owner);
  if (!i) return std::nullopt;
  auto [b, e] = type_range(*i, type);
  if (b == e) return std::nullopt;
  rrset s{std::string(name_at(*i)), type, records_[b].ttl, {}};
  for (std::size_t r = b; r < e; ++r) {
    s.ttl = std::min(s.ttl, records_[r].ttl);
    s.rdata.emplace_back(text(records_[r].rdata_off, records_[r].rdata_len));
  }
  return s;
}

std::vector<rrset> zone_data::rrsets() const {
  std::vector<rrset> out;
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    for (std::size_t r = owner_first_[i]; r < owner_end_[i]; ++r) {
      const auto& s = records_[r];
      if (out.empty() || r == owner_first_[i] || out.back().type != s.type)
        out.push_back({std::string(name_at(i)), s.type, s.ttl, {}});
      out.back().ttl = std::min(out.back().ttl, s.ttl);
      out.back().rdata.emplace_back(text(s.rdata_off, s.rdata_len));
    }
  }
  return out;
}

void zone_data::build_ents() const {
  for (std::size_t i = 0; i < owners_.size(); ++i) {
    std::string_view n = name_at(i);
    while (n.size() > origin_.size()) {
      auto p = parent_of(n);
      if (!p || p->size() <= origin_.size()) break;
      if (find_canonical(*p)) break;
      if (!ents_.emplace(*p).second) break;
      n = *p;
    }
  }
}

bool zone_data::has_name(std::string_view owner) const {
  std::string storage;
  std::string_view key = canon_view(owner, storage);
  if (find_canonical(key)) return true;
  if (!contains(key)) return false;
  // An empty non-terminal is a parent of an owner: only a name with labels below the origin can be.
  if (key.size() <= origin_.size()) return false;
  std::call_once(ents_once_, [this] { build_ents(); });
  return !ents_.empty() && ents_.count(std::string(key)) > 0;
}

std::optional<std::string> zone_data::find_cname(std::string_view owner) const {
  auto v = lookup(owner, rr_type::cname);
  if (v.empty()) return std::nullopt;
  return v.front();
}

bool zone_data::contains(std::string_view owner) const {
  std::string storage;
  std::string_view key = canon_view(owner, storage);
  if (origin_ == "." || key == origin_) return true;
  return key.size() > origin_.size() && key.compare(key.size() - origin_.size(), origin_.size(), origin_) == 0 &&
         key[key.size() - origin_.size() - 1] == '.';
}

std::optional<std::string> zone_data::wildcard_for(std::string_view owner) const {
  std::string storage;
  std::string_view key = canon_view(owner, storage);
  if (!contains(key) || has_name(key)) return std::nullopt;
  std::string_view n = key;
  while (auto p = parent_of(n)) {
    if (has_name(*p)) {
      std::string w = "*." + std::string(*p);
      if (*p == ".") w = "*.";
      if (find_canonical(w)) return w;
      return std::nullopt;
    }
    if (p->size() <= origin_.size()) break;
    n = *p;
  }
  return std::nullopt;
}

bool zone_data::below_cut(std::string_view owner) const {
  if (!has_cuts_) return false;
  std::string storage;
  std::string_view key = canon_view(owner, storage);
  if (!contains(key)) return false;
  std::string_view n = key;
  while (n.size() > origin_.size()) {
    if (auto i = find_canonical(n)) {
      auto [b, e] = type_range(*i, rr_type::ns);
      if (b != e) return true;
    }
    auto p = parent_of(n);
    if (!p) break;
    n = *p;
  }
  return false;
}

// ---- zone_builder ----

zone_builder::zone_builder(std::string origin, std::size_t expected_records) : data_(std::make_unique<zone_data>()) {
  data_->origin_ = canonical_name(origin);
  if (expected_records) {
    data_->records_.reserve(expected_records);
    advise_huge(data_->records_);
  }
}

bool zone_builder::in_zone(std::string_view owner) const {
  const std::string& o = data_->origin_;
  if (o == "." || owner == o) return true;
  return owner.size() > o.size() && owner.compare(owner.size() - o.size(), o.size(), o) == 0 &&
         owner[owner.size() - o.size() - 1] == '.';
}

std::uint32_t zone_builder::store(std::string_view s) {
  auto& blocks = data_->blocks_;
  if (blocks.empty() || block_used_ + s.size() > block_size) {
    if (blocks.size() >= max_blocks) throw input_error("zone too large (more than 4 GiB of record text)");
    blocks.push_back(std::make_unique_for_overwrite<char[]>(block_size));
    advise_huge(blocks.back().get(), block_size);
    block_used_ = 0;
  }
  std::uint32_t off = static_cast<std::uint32_t>(((blocks.size() - 1) << block_bits) | block_used_);
  std::memcpy(blocks.back().get() + block_used_, s.data(), s.size());
  block_used_ += s.size();
  return off;
}

bool zone_builder::add(std::string_view owner, std::uint16_t type, std::uint32_t ttl, std::string_view rdata) {
  if (rdata.size() > 0xffff || owner.size() > 1024) return false;
  auto& d = *data_;
  if (d.owners_.empty() || owner != last_owner_) {
    d.owners_.push_back({store(owner), static_cast<std::uint32_t>(owner.size())});
    last_owner_.assign(owner);
  }
  std::uint32_t roff = store(rdata);
  d.records_.push_back({static_cast<std::uint32_t>(d.owners_.size() - 1), roff, ttl, type,
                        static_cast<std::uint16_t>(rdata.size())});
  if (type == rr_type::soa && owner == d.origin_) {
    // mname rname serial refresh retry expire minimum
    std::size_t sp1 = rdata.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : rdata.find(' ', sp1 + 1);
    if (sp2 != std::string_view::npos) {
      std::size_t sp3 = rdata.find(' ', sp2 + 1);
      std::string_view s = rdata.substr(sp2 + 1, sp3 == std::string_view::npos ? std::string_view::npos : sp3 - sp2 - 1);
      std::uint64_t v = 0;
      bool ok = !s.empty() && s.size() <= 10;
      for (char c : s) {
        if (c < '0' || c > '9') ok = false;
        else v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (ok && v <= 0xffffffffull) d.serial_ = static_cast<std::uint32_t>(v);
    }
  }
  return true;
}

std::unique_ptr<zone_data> zone_builder::finish() {
  auto& d = *data_;
  const std::size_t n = d.owners_.size();
  // Unique owner names in byte order; old owner index → new index.
  std::vector<std::uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  auto owner_text = [&d](std::uint32_t i) { return d.text(d.owners_[i].off, d.owners_[i].len); };
  bool sorted = true;
  for (std::size_t i = 1; i < n && sorted; ++i) sorted = owner_text(static_cast<std::uint32_t>(i - 1)) < owner_text(static_cast<std::uint32_t>(i));
  if (!sorted) {
    // Radix sort by the first 8 bytes (big-endian, so integer order is byte order; canonical text
    // holds no NUL, so the zero padding sorts a shorter name first), then each run of equal keys by
    // the rest of the text.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string_view t = owner_text(i);
      std::uint64_t k = 0;
      for (std::size_t b = 0; b < 8; ++b) k = (k << 8) | (b < t.size() ? static_cast<unsigned char>(t[b]) : 0u);
      keyed[i] = {k, i};
    }
    radix_sort(keyed);
    for (std::size_t lo = 0; lo < n;) {
      std::size_t hi = lo + 1;
      while (hi < n && keyed[hi].first == keyed[lo].first) ++hi;
      if (hi - lo > 1)
        std::sort(keyed.begin() + static_cast<std::ptrdiff_t>(lo), keyed.begin() + static_cast<std::ptrdiff_t>(hi),
                  [&](const auto& a, const auto& b) { return owner_text(a.second) < owner_text(b.second); });
      lo = hi;
    }
    for (std::size_t i = 0; i < n; ++i) perm[i] = keyed[i].second;
  }
  std::vector<std::uint32_t> remap(n);
  std::vector<zone_data::text_ref> owners;
  owners.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    std::uint32_t i = perm[k];
    if (owners.empty() || d.text(owners.back().off, owners.back().len) != owner_text(i)) owners.push_back(d.owners_[i]);
    remap[i] = static_cast<std::uint32_t>(owners.size() - 1);
  }
  std::vector<std::uint32_t>().swap(perm);
  d.owners_ = std::move(owners);
  for (auto& r : d.records_) r.owner = remap[r.owner];
  std::vector<std::uint32_t>().swap(remap);

  auto less = [&d](const zone_data::stored_record& a, const zone_data::stored_record& b) {
    if (a.owner != b.owner) return a.owner < b.owner;
    if (a.type != b.type) return a.type < b.type;
    return d.text(a.rdata_off, a.rdata_len) < d.text(b.rdata_off, b.rdata_len);
  };
  const std::size_t n_owners = d.owners_.size();
  // The records of an owner usually form one run in the file: then they stay where they are and
  // the owner points at its run (no second copy of the records, no scattering). An owner whose
  // records are spread over the file makes us group all records by owner first.
  bool one_run_each = true;
  {
    std::vector<bool> seen(n_owners, false);
    for (std::size_t r = 0; r < d.records_.size() && one_run_each; ++r) {
      std::uint32_t o = d.records_[r].owner;
      if (r > 0 && d.records_[r - 1].owner == o) continue;
      if (seen[o]) one_run_each = false;
      seen[o] = true;
    }
  }
  if (!one_run_each) {
    std::vector<std::uint32_t> pos(n_owners + 1, 0);
    for (const auto& r : d.records_) ++pos[r.owner + 1];
    for (std::size_t i = 1; i <= n_owners; ++i) pos[i] += pos[i - 1];
    std::vector<zone_data::stored_record> by_owner;
    by_owner.reserve(d.records_.size());
    advise_huge(by_owner);
    by_owner.resize(d.records_.size());
    for (const auto& r : d.records_) by_owner[pos[r.owner]++] = r;
    d.records_.swap(by_owner);
  }
  // Each run: sorted by (type, rdata), duplicates once with the smallest TTL, compacted in place.
  d.owner_first_.assign(n_owners, 0);
  d.owner_end_.assign(n_owners, 0);
  std::size_t w = 0;
  for (std::size_t r = 0; r < d.records_.size();) {
    std::size_t e = r + 1;
    const std::uint32_t o = d.records_[r].owner;
    while (e < d.records_.size() && d.records_[e].owner == o) ++e;
    auto b = d.records_.begin() + static_cast<std::ptrdiff_t>(r);
    auto end = d.records_.begin() + static_cast<std::ptrdiff_t>(e);
    if (e - r > 1 && !std::is_sorted(b, end, less)) std::sort(b, end, less);
    d.owner_first_[o] = static_cast<std::uint32_t>(w);
    for (std::size_t k = r; k < e; ++k) {
      if (k > r && !less(d.records_[w - 1], d.records_[k])) {
        d.records_[w - 1].ttl = std::min(d.records_[w - 1].ttl, d.records_[k].ttl);
        continue;
      }
      d.records_[w++] = d.records_[k];
    }
    d.owner_end_[o] = static_cast<std::uint32_t>(w);
    r = e;
  }
  d.records_.resize(w);
  // Unused capacity is never touched, so it costs address space, not memory: no shrink (a copy).
  d.build_index();
  auto apex = d.find_canonical(d.origin_);
  for (const auto& r : d.records_)
    if (r.type == rr_type::ns && (!apex || r.owner != *apex)) d.has_cuts_ = true;
  return std::move(data_);
}

// ---- loading ----

std::unique_ptr<zone_data> load_zone_file(const std::string& file, std::string_view origin, diagnostics& diags,
                                          reader_kind reader, const std::string& directory,
                                          const zone_file_ref* named_at) {
  try {
    detail::zone_source src;
    std::string org = canonical_name(origin);
    if (!detail::expand_zone_source(file, org, directory, src, diags, named_at ? &named_at->where : nullptr,
                                    named_at ? std::string_view(named_at->what) : std::string_view()))
      return nullptr;
    // Generous: pages of the reserve that are never written are never resident.
    zone_builder builder(org, src.bytes / 16 + 16);
    if (reader == reader_kind::fast)
      detail::read_fast(src, org, builder, diags);
    else
      detail::read_ldns(src, org, builder, diags);
    src = {};
    return builder.finish();
  } catch (const std::bad_alloc&) {
    // The zone's memory is freed by now; the run goes on with the other zones.
    diags.error({}, "out of memory while reading " + file);
    return nullptr;
  }
}

void zone_set::add(loaded_zone z) {
  auto key = std::make_pair(z.view, canonical_name(z.decl.name));
  index_[key] = zones_.size();
  zones_.push_back(std::move(z));
}

const loaded_zone* zone_set::entry(std::string_view view, std::string_view zone) const {
  auto it = index_.find(std::make_pair(std::string(view), canon(zone)));
  return it == index_.end() ? nullptr : &zones_[it->second];
}

const zone_data* zone_set::find(std::string_view view, std::string_view zone) const {
  const loaded_zone* e = entry(view, zone);
  return e ? e->data.get() : nullptr;
}

const zone_data* zone_set::best_zone(std::string_view view, std::string_view qname) const {
  std::string key = canon(qname);
  std::optional<std::string_view> n = std::string_view(key);
  while (n) {
    if (const zone_data* z = find(view, *n)) return z;
    n = parent_of(*n);
  }
  return nullptr;
}

std::vector<const loaded_zone*> zone_set::zones_of(std::string_view view) const {
  std::vector<const loaded_zone*> out;
  for (const auto& z : zones_)
    if (z.view == view) out.push_back(&z);
  return out;
}

zone_set load_zones(const bind::config& cfg, diagnostics& diags, const load_options& opts) {
  struct job {
    std::string file, origin;
    std::shared_ptr<const zone_data> data;
    diagnostics diags;
    const bind::zone_decl* decl = nullptr;  // the first zone statement naming the file
    std::vector<std::string> views;         // every view whose zone names it
  };
  std::vector<job> jobs;
  std::map<std::pair<std::string, std::string>, std::size_t> job_of;
  // A hint zone's file is the root hints and a stub zone's file a cache of NS records: neither is
  // data the view answers with, so neither is compared (the root hints as view data gave a false
  // wrong-answer for "." with Debian's per-view default zones); a redirect zone answers only for
  // NXDOMAIN.
  auto is_loaded_type = [](const std::string& t) {
    return t != "forward" && t != "in-view" && t != "delegation-only" && t != "hint" && t != "stub" && t != "redirect";
  };
  for (const auto& v : cfg.views)
    for (const auto& z : v.zones) {
      if (z.file.empty() || !z.in_view.empty() || !is_loaded_type(z.type)) continue;
      auto key = std::make_pair(z.file, canonical_name(z.name));
      auto [at, fresh] = job_of.emplace(key, jobs.size());
      if (fresh) jobs.push_back({z.file, key.second, nullptr, {}, &z, {}});
      jobs[at->second].views.push_back(v.name);
    }
  unsigned threads = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(jobs.size()));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      auto& j = jobs[i];
      try {
        std::optional<zone_file_ref> ref;
        if (!j.decl->file_where.file.empty()) {
          std::string views;
          for (const auto& v : j.views) views += (views.empty() ? "" : ", ") + escape_text(v);
          ref = zone_file_ref{j.decl->file_where,
                              fmt::format("zone {} (view{} {}): file \"{}\"", escape_text(j.decl->name, 255),
                                          j.views.size() > 1 ? "s" : "", views, escape_text(j.decl->file_written, 512))};
        }
        j.data = load_zone_file(j.file, j.origin, j.diags, opts.reader, cfg.options.directory, ref ? &*ref : nullptr);
      } catch (const std::exception& e) {
        j.diags.error({j.file, 0, 0}, e.what());
      }
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  for (const auto& j : jobs) diags.append(j.diags);

  zone_set out;
  for (const auto& v : cfg.views)
    for (const auto& z : v.zones) {
      if (!z.in_view.empty()) continue;
      loaded_zone lz{v.name, z, nullptr};
      if (!z.file.empty() && z.in_view.empty() && is_loaded_type(z.type)) {
        auto it = job_of.find(std::make_pair(z.file, canonical_name(z.name)));
        if (it != job_of.end()) lz.data = jobs[it->second].data;
      }
      out.add(std::move(lz));
    }
  // in-view zones serve the data of the view they name.
  for (const auto& v : cfg.views)
    for (const auto& z : v.zones) {
      if (z.in_view.empty()) continue;
      const loaded_zone* src = out.entry(z.in_view, z.name);
      if (!src) {
        diags.error(z.where, fmt::format("zone '{}': in-view '{}' does not declare it", z.name, z.in_view), z.in_view);
        continue;
      }
      loaded_zone lz{v.name, z, src->data};
      out.add(std::move(lz));
    }
  return out;
}

std::vector<view_summary> view_summaries(const bind::config& cfg, const zone_set& zones) {
  std::vector<view_summary> out;
  for (const auto& v : cfg.views) {
    view_summary vs;
    vs.name = v.name;
    vs.match_clients = bind::match_list_texts(v.match_clients);
    for (const auto& z : v.zones) {
      zone_summary zs;
      zs.name = z.name;
      zs.type = z.type == "master" ? "primary" : z.type == "slave" ? "secondary" : z.type;
      if (zs.type.empty() && !z.in_view.empty()) zs.type = "in-view";
      zs.file = z.file;
      if (const zone_data* d = zones.find(v.name, z.name)) {
        zs.records = d->record_count();
        zs.serial = d->serial();
      }
      vs.zones.push_back(std::move(zs));
    }
    out.push_back(std::move(vs));
  }
  return out;
}

}  // namespace hc::zone
