#pragma once
// Reading input files that may be hostile: only regular files, never blocking on a FIFO or a
// device, never more than a set number of bytes; and the limits every reader keeps to.

#include <cstdint>
#include <optional>
#include <string>

namespace hc {

// The bounds on what the readers take in. Each has a default and an environment variable that
// overrides it (a positive decimal number; anything else keeps the default). docs/reliability.md
// lists them.
struct input_limits {
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30;   // HC_MAX_FILE_BYTES: one file (1 GiB)
  std::uint64_t max_total_bytes = std::uint64_t{2} << 30;  // HC_MAX_TOTAL_BYTES: a file and all it includes (2 GiB)
  std::uint64_t max_include_files = 10000;  // HC_MAX_INCLUDE_FILES: files one file pulls in, repeats counted
  int max_include_depth = 16;               // HC_MAX_INCLUDE_DEPTH: include (or $INCLUDE) within include
  int max_block_depth = 64;                 // HC_MAX_BLOCK_DEPTH: named.conf `{ }` within `{ }`, over includes
  std::uint64_t max_generated_records = std::uint64_t{1} << 20;  // HC_MAX_GENERATED_RECORDS: per zone file
  std::uint32_t max_diagnostics_per_kind = 10;   // HC_MAX_DIAGNOSTICS_PER_KIND: same message, same file
  std::uint32_t max_diagnostics_per_file = 100;  // HC_MAX_DIAGNOSTICS_PER_FILE

  // The defaults overridden by the environment, read once.
  static const input_limits& current();
  // The defaults overridden by the environment, read now (tests change the environment).
  static input_limits from_environment();
};

// Reads the whole of `path`, which must be a regular file of at most `max_bytes` bytes. The file is
// checked with stat before it is opened (a device is never opened), opened with O_NONBLOCK and
// O_NOCTTY, and checked again with fstat. On failure returns nullopt and sets `error` to a short
// reason: "not a regular file", "larger than N bytes (HC_MAX_FILE_BYTES)" or the strerror text.
std::optional<std::string> read_regular_file(const std::string& path, std::uint64_t max_bytes, std::string& error);

// Reads an already open descriptor (stdin, say) to its end, at most `max_bytes` bytes; the same
// errors as read_regular_file except "not a regular file". `expected`: bytes to reserve.
std::optional<std::string> read_descriptor(int fd, std::uint64_t max_bytes, std::string& error,
                                           std::size_t expected = 0);

// Opens `path` for reading with the checks of read_regular_file and returns the descriptor (the
// caller closes it) and the file's size, or -1 with `error` set.
int open_regular_file(const std::string& path, std::uint64_t max_bytes, std::uint64_t& size, std::string& error);

// "larger than 1073741824 bytes (HC_MAX_FILE_BYTES)".
std::string too_large_message(std::uint64_t max_bytes, const char* variable);

}  // namespace hc
