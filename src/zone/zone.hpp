#pragma once
// Zones as BIND would load them from their files: RRsets per (owner, type) in the canonical text of
// core/dns_text.hpp, so that they compare with each other across views and with DNS answers.
//
// Two readers fill the same model: a fast reader for the common zone file syntax, which hands every
// record it is not sure of to ldns, and a reader that gives every record to ldns (the oracle, used by
// the differential tests). $INCLUDE and $GENERATE are expanded before either reader runs.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bind/config.hpp"
#include "core/diagnostics.hpp"
#include "core/result.hpp"

namespace hc::zone {

// DNS type numbers used across the zone layer.
namespace rr_type {
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16,
                               aaaa = 28, srv = 33, dname = 39, rrsig = 46, nsec = 47, dnskey = 48,
                               nsec3 = 50, nsec3param = 51, spf = 99, caa = 257;
}

// Which reader turns zone file text into records.
enum class reader_kind {
  fast,  // own tokenizer; any record it is not sure of goes to ldns
  ldns,  // every record through ldns_rr_new_frm_fp_l (slow, the reference)
};

// One RRset: owner and rdata texts canonical, rdata sorted and unique, ttl the smallest of the set.
struct rrset {
  std::string owner;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::vector<std::string> rdata;
  bool operator==(const rrset&) const = default;
};

// The records of one zone, compact: texts in an arena, owners sorted, each owner's records sorted by (type, rdata).
class zone_data {
 public:
  // One record as stored: type, ttl and canonical rdata text (valid while the zone_data lives).
  struct record {
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::string_view rdata;
  };

  zone_data() = default;
  zone_data(const zone_data&) = delete;
  zone_data& operator=(const zone_data&) = delete;

  // The zone's name, canonical ("debugo.fr.").
  const std::string& origin() const { return origin_; }
  // The serial of the apex SOA, when there is one.
  std::optional<std::uint32_t> serial() const { return serial_; }
  // Number of unique records (duplicates in the file count once).
  std::size_t record_count() const { return records_.size(); }
  // Number of owner names (empty non-terminals not included).
  std::size_t name_count() const { return owners_.size(); }

  // Owner names, canonical, in byte order.
  std::vector<std::string_view> names() const;
  std::string_view name_at(std::size_t i) const;
  // The records of owner name i (see name_at), sorted by type then rdata.
  std::vector<record> records_at(std::size_t i) const;
  // Allocation-free access: the records of owner i are record_at(r) for r in [first_record(i), end_record(i)).
  std::size_t first_record(std::size_t i) const { return owner_first_[i]; }
  std::size_t end_record(std::size_t i) const { return owner_end_[i]; }
  // Has owner i a record of `type`? (No lookup by name: for walks over every owner.)
  bool has_type(std::size_t i, std::uint16_t type) const {
    auto [b, e] = type_range(i, type);
    return b != e;
  }
  record record_at(std::size_t r) const {
    const auto& s = records_[r];
    return {s.type, s.ttl, text(s.rdata_off, s.rdata_len)};
  }
  // Index of an owner name (any case, trailing dot optional), or nullopt.
  std::optional<std::size_t> find_name(std::string_view owner) const;

  // Canonical rdata texts of (owner, type), sorted; empty when there is no such RRset.
  std::vector<std::string> lookup(std::string_view owner, std::uint16_t type) const;
  // The RRset of (owner, type), or nullopt.
  std::optional<rrset> find_rrset(std::string_view owner, std::uint16_t type) const;
  // Every RRset of the zone, in (owner, type) order.
  std::vector<rrset> rrsets() const;
  // Does the name exist in the zone: an owner, or an empty non-terminal above one.
  bool has_name(std::string_view owner) const;
  // The CNAME target of owner (canonical), or nullopt.
  std::optional<std::string> find_cname(std::string_view owner) const;
  // For a name that does not exist, the wildcard owner ("*.debugo.fr.") that would answer for it.
  std::optional<std::string> wildcard_for(std::string_view owner) const;
  // Is the name at or below a delegation (NS records at an owner other than the apex)?
  bool below_cut(std::string_view owner) const;
  // Is the name inside this zone (the origin itself or below)?
  bool contains(std::string_view owner) const;

 private:
  friend class zone_builder;
  struct text_ref {
    std::uint32_t off = 0;
    std::uint32_t len = 0;
  };
  struct stored_record {
    std::uint32_t owner = 0;
    std::uint32_t rdata_off = 0;
    std::uint32_t ttl = 0;
    std::uint16_t type = 0;
    std::uint16_t rdata_len = 0;
  };
  std::string_view text(std::uint32_t off, std::uint32_t len) const;
  std::pair<std::size_t, std::size_t> type_range(std::size_t owner, std::uint16_t type) const;
  std::optional<std::size_t> find_canonical(std::string_view owner) const;
  void build_index();
  void build_ents() const;

  std::string origin_;
  std::optional<std::uint32_t> serial_;
  bool has_cuts_ = false;  // NS records below the apex (delegations)
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<text_ref> owners_;          // sorted, unique
  // The records of owner i: [owner_first_[i], owner_end_[i]), sorted by (type, rdata). The runs of
  // different owners need not be in owner order (they stay in file order when they can).
  std::vector<std::uint32_t> owner_first_, owner_end_;
  std::vector<stored_record> records_;
  // Owner names by hash (open addressing, linear probing): the upper 32 bits of the name's hash,
  // the lower 32 bits the owner index + 1 (0: empty slot).
  std::vector<std::uint64_t> index_;
  mutable std::once_flag ents_once_;
  mutable std::unordered_set<std::string> ents_;  // empty non-terminals
};

// Collects records while a zone file is read, then sorts them into a zone_data.
class zone_builder {
 public:
  explicit zone_builder(std::string origin, std::size_t expected_records = 0);
  // Adds one record; owner and rdata canonical. Returns false when a text is too long to store.
  bool add(std::string_view owner, std::uint16_t type, std::uint32_t ttl, std::string_view rdata);
  std::size_t added() const { return data_->records_.size(); }
  // Is a canonical owner at or below the zone's origin?
  bool in_zone(std::string_view owner) const;
  // Sorts, removes duplicates (keeping the smallest TTL) and hands the zone over.
  std::unique_ptr<zone_data> finish();

 private:
  std::uint32_t store(std::string_view s);
  std::unique_ptr<zone_data> data_;
  std::size_t block_used_ = 0;
  std::string last_owner_;
};

// How load_zones reads zone files.
struct load_options {
  reader_kind reader = reader_kind::fast;
  unsigned threads = 0;  // 0: one per core, at most one per zone file
};

// Where named.conf names a zone file: its `file` statement and which zone and views it serves.
struct zone_file_ref {
  source_location where;  // the `file` statement
  std::string what;       // "zone debugo.fr (view intra): file \"db.x\"" (texts escaped)
};

// Reads one zone file (with its $INCLUDEs relative to `directory`, the directory named works in;
// empty: the file's own directory). Errors go to diags with file:line:col; records that cannot be
// read are skipped, the rest is kept. Returns nullptr when the file itself cannot be read, is not
// zone file text (null bytes in its first 512 bytes: a raw or map masterfile-format file), or when
// memory runs out ("out of memory while reading FILE"). Bounded by core/input_file.hpp's limits.
// With `named_at`, those errors about the file itself are reported at the `file` statement
// ("named.conf:12:5: zone debugo.fr (view intra): file \"db.x\": cannot read /etc/bind/db.x: REASON").
std::unique_ptr<zone_data> load_zone_file(const std::string& file, std::string_view origin,
                                          diagnostics& diags, reader_kind reader = reader_kind::fast,
                                          const std::string& directory = {},
                                          const zone_file_ref* named_at = nullptr);

// One zone of one view, as loaded.
struct loaded_zone {
  std::string view;
  bind::zone_decl decl;
  std::shared_ptr<const zone_data> data;  // nullptr: no file, not loadable, or in-view not found
};

// Every zone of every view of a configuration.
class zone_set {
 public:
  // The zone `zone` (any case, trailing dot optional) of view `view`, or nullptr when not loaded.
  const zone_data* find(std::string_view view, std::string_view zone) const;
  // The declaration and data of a zone of a view, or nullptr when the view does not declare it.
  const loaded_zone* entry(std::string_view view, std::string_view zone) const;
  // The loaded zone of `view` with the longest origin that contains qname, or nullptr.
  const zone_data* best_zone(std::string_view view, std::string_view qname) const;
  // The zones of a view in declaration order.
  std::vector<const loaded_zone*> zones_of(std::string_view view) const;
  // Adds a zone (load_zones uses it; tests may too).
  void add(loaded_zone z);

 private:
  std::vector<loaded_zone> zones_;
  std::map<std::pair<std::string, std::string>, std::size_t> index_;  // (view, canonical zone)
};

// Loads every zone with a file of every view (files shared by several views are read once), the
// files in parallel. `in-view` zones share the data of the view they point to.
zone_set load_zones(const bind::config& cfg, diagnostics& diags, const load_options& opts = {});

// The `views` section of the result (docs/json-schema.md): every view in order with its match-clients texts
// and its zones, with records and serial for the zones that loaded; master → primary, slave → secondary.
std::vector<view_summary> view_summaries(const bind::config& cfg, const zone_set& zones);

// Parses a TTL with BIND's units ("300", "1h", "1w2d"); nullopt when it is not one.
std::optional<std::uint32_t> parse_ttl(std::string_view text);

// "A" → 1, "TYPE65534" → 65534; 0 when unknown.
std::uint16_t type_from_name(std::string_view name);

}  // namespace hc::zone
