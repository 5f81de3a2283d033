#pragma once
// Zone file text before it is read: the file mapped into memory, with $INCLUDE and $GENERATE
// expanded into a list of chunks that each remember the file and line they come from.
// Internal to the zone layer.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"

namespace hc::zone::detail {

// Why a file could not be opened: what() is "cannot open PATH: REASON", reason() the REASON alone
// ("No such file or directory", "Permission denied", "Is a directory", "not a regular file", or
// too_large_message()).
class open_error : public input_error {
 public:
  open_error(const std::string& path, std::string reason);
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// A read-only memory mapping of a whole file; empty files map to an empty view.
class mapped_file {
 public:
  // Throws open_error when the file cannot be opened or mapped, is not a regular file (checked
  // before it is opened, and opened with O_NONBLOCK: a FIFO never blocks) or is larger than
  // max_bytes.
  explicit mapped_file(const std::string& path, std::uint64_t max_bytes);
  ~mapped_file();
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  std::string_view text() const { return {static_cast<const char*>(addr_), size_}; }
  // Tells the kernel the bytes before `upto` are no longer needed (keeps the peak memory low).
  void release_before(const char* upto) const;

 private:
  void* addr_ = nullptr;
  std::size_t size_ = 0;
};

// One $GENERATE directive, checked: the records it stands for are made when they are read, a
// batch at a time, so that they cost what the same records written out cost (no text of them all).
struct generate_spec {
  unsigned long start = 0, stop = 0, step = 1;
  std::string lhs;     // owner template
  std::string middle;  // " [ttl] [class] type", as written
  std::string rhs;     // rdata template
  // How many records it makes.
  std::uint64_t count() const { return (stop - start) / step + 1; }
  // Appends the record lines for iterations [first, first + n) (indexes, not values).
  void lines(std::uint64_t first, std::uint64_t n, std::string& out) const;
};

// A run of zone file text from one file; text always ends with a newline. A chunk of a $GENERATE
// has no text but `generate`; its readers make the lines.
struct chunk {
  std::string_view text;
  const std::string* file = nullptr;
  std::uint32_t first_line = 1;
  const mapped_file* mapping = nullptr;  // set when text lies in a mapped file
  bool fixed_line = false;  // generated text: every line reports first_line (the directive's)
  const generate_spec* generate = nullptr;
};

// The expanded text of one zone file.
struct zone_source {
  std::vector<chunk> chunks;
  std::deque<std::string> owned;        // generated text and file names
  std::deque<generate_spec> generates;
  std::vector<std::unique_ptr<mapped_file>> files;
  std::size_t bytes = 0;
};

// Maps `file` and expands $INCLUDE (relative paths against `directory`) and $GENERATE. The reader
// sees only records, $ORIGIN and $TTL. Returns false when `file` itself cannot be read. Bounded by
// input_limits (core/input_file.hpp): $INCLUDE depth, files included, bytes per file and in all
// (repeats counted), records generated. Files reached through $INCLUDE are private to diags (their
// text is never quoted).
// `named_at`, when given, is the named.conf `file` statement that names `file`, and `context` says
// which ("zone debugo.fr (view intra): file \"db.x\""): when `file` itself cannot be read or is not
// zone file text, the error is reported there, "CONTEXT: cannot read PATH: REASON" or "CONTEXT:
// PATH is not a text zone file (...)"; without it, at `file` itself.
bool expand_zone_source(const std::string& file, std::string_view origin, const std::string& directory,
                        zone_source& out, diagnostics& diags, const source_location* named_at = nullptr,
                        std::string_view context = {});

// Reads one $GENERATE line body ("1-3 host$ A 198.18.1.$") into spec; false with an error (column
// relative to body) when it is malformed.
bool parse_generate(std::string_view body, generate_spec& spec, std::string& error, std::size_t& error_col);

// parse_generate, then every record line appended to out (for tests and the ldns reader); false
// as parse_generate, or when it would make more than max_records.
bool expand_generate(std::string_view body, std::string& out, std::string& error, std::size_t& error_col,
                     std::uint64_t max_records = std::uint64_t{1} << 22);

// Makes a $ORIGIN / $INCLUDE name absolute against origin ("lan" + "debugo.fr." → "lan.debugo.fr.");
// the text keeps its escapes. Returns empty for an empty name.
std::string absolute_name(std::string_view name, std::string_view origin);

}  // namespace hc::zone::detail
