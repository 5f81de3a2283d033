#include "core/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace hc {

namespace {

template <typename T>
void from_env(T& value, const char* name) {
  const char* s = std::getenv(name);
  if (!s || !*s) return;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v == 0 || s[0] == '-') return;
  if constexpr (sizeof(T) < sizeof(unsigned long long)) {
    if (v > static_cast<unsigned long long>(std::numeric_limits<T>::max())) v = std::numeric_limits<T>::max();
  }
  value = static_cast<T>(v);
}

}  // namespace

input_limits input_limits::from_environment() {
  input_limits l;
  from_env(l.max_file_bytes, "HC_MAX_FILE_BYTES");
  from_env(l.max_total_bytes, "HC_MAX_TOTAL_BYTES");
  from_env(l.max_include_files, "HC_MAX_INCLUDE_FILES");
  from_env(l.max_include_depth, "HC_MAX_INCLUDE_DEPTH");
  from_env(l.max_block_depth, "HC_MAX_BLOCK_DEPTH");
  from_env(l.max_generated_records, "HC_MAX_GENERATED_RECORDS");
  from_env(l.max_diagnostics_per_kind, "HC_MAX_DIAGNOSTICS_PER_KIND");
  from_env(l.max_diagnostics_per_file, "HC_MAX_DIAGNOSTICS_PER_FILE");
  return l;
}

const input_limits& input_limits::current() {
  static const input_limits l = from_environment();
  return l;
}

std::string too_large_message(std::uint64_t max_bytes, const char* variable) {
  return fmt::format("larger than {} bytes ({})", max_bytes, variable);
}

int open_regular_file(const std::string& path, std::uint64_t max_bytes, std::uint64_t& size, std::string& error) {
  // stat first: opening a device can have effects of its own (a tape rewinds, a watchdog arms).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = std::strerror(errno);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    error = S_ISDIR(st.st_mode) ? std::strerror(EISDIR) : "not a regular file";
    return -1;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  // Again on what was opened: the path may have been replaced in between.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "not a regular file";
    return -1;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    error = too_large_message(max_bytes, "HC_MAX_FILE_BYTES");
    return -1;
  }
  size = static_cast<std::uint64_t>(st.st_size);
  return fd;
}

std::optional<std::string> read_descriptor(int fd, std::uint64_t max_bytes, std::string& error, std::size_t expected) {
  std::string out;
  out.reserve(expected);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // a descriptor that would block: wait for it (stdin, a pipe)
        int flags = ::fcntl(fd, F_GETFL);
        if (flags >= 0 && (flags & O_NONBLOCK) && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0) continue;
      }
      error = std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      error = too_large_message(max_bytes, "HC_MAX_FILE_BYTES");
      return std::nullopt;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::optional<std::string> read_regular_file(const std::string& path, std::uint64_t max_bytes, std::string& error) {
  std::uint64_t size = 0;
  int fd = open_regular_file(path, max_bytes, size, error);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> out;
  try {
    // A regular file never blocks; it may grow while it is read, which max_bytes bounds.
    out = read_descriptor(fd, max_bytes, error, static_cast<std::size_t>(size));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

}  // namespace hc
