// Atomic replacement of a file, for node_exporter's textfile collector and any other output file.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/diagnostics.hpp"
#include "report/report.hpp"

namespace hc::report {
namespace {

// Owns a file descriptor; close errors are reported by close_checked, the destructor ignores them.
class fd_handle {
 public:
  explicit fd_handle(int fd = -1) noexcept : fd_(fd) {}
  fd_handle(const fd_handle&) = delete;
  fd_handle& operator=(const fd_handle&) = delete;
  ~fd_handle() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  // Closes now; returns 0 or the errno of close().
  int close_checked() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd >= 0 && ::close(fd) != 0 ? errno : 0;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw input_error("cannot write " + path + ": " + what + ": " + std::strerror(err));
}

// Removes the temporary file unless released.
class temp_guard {
 public:
  explicit temp_guard(std::string path) : path_(std::move(path)) {}
  temp_guard(const temp_guard&) = delete;
  temp_guard& operator=(const temp_guard&) = delete;
  ~temp_guard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void release() noexcept { path_.clear(); }

 private:
  std::string path_;
};

// The directory and the file name of path ("." for a bare name, "/" for a file in the root).
struct split_path {
  std::string dir;
  std::string base;
};

split_path split(const std::string& path) {
  const auto slash = path.rfind('/');
  return {slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash)),
          slash == std::string::npos ? path : path.substr(slash + 1)};
}

// The suffix mkstemp puts in place of "XXXXXX": six letters or digits.
constexpr std::size_t mkstemp_suffix = 6;

bool is_temporary_of(std::string_view entry, const std::string& base) {
  const std::string prefix = "." + base + ".tmp.";
  if (entry.size() != prefix.size() + mkstemp_suffix || !entry.starts_with(prefix)) return false;
  for (char c : entry.substr(prefix.size()))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace

std::size_t remove_stale_temporaries(const std::string& path, std::chrono::seconds older_than) {
  if (path.empty()) return 0;
  const auto [dir, base] = split(path);
  if (base.empty() || base == "." || base == "..") return 0;
  fd_handle dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return 0;
  // fdopendir takes the descriptor over: give it a duplicate, unlinkat keeps using dfd.
  int listing = ::fcntl(dfd.get(), F_DUPFD_CLOEXEC, 0);
  if (listing < 0) return 0;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(listing), &::closedir);
  if (!d) {
    ::close(listing);
    return 0;
  }
  const std::time_t cutoff = std::time(nullptr) - static_cast<std::time_t>(older_than.count());
  std::size_t removed = 0;
  while (const dirent* e = ::readdir(d.get())) {
    if (!is_temporary_of(e->d_name, base)) continue;
    struct stat st {};
    if (::fstatat(dfd.get(), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_mtime >= cutoff) continue;
    if (::unlinkat(dfd.get(), e->d_name, 0) == 0) ++removed;
  }
  return removed;
}

void write_textfile_atomically(const std::string& path, const std::string& content) {
  if (path.empty()) throw input_error("cannot write an output file with an empty name");
  const auto [dir, base] = split(path);
  if (base.empty() || base == "." || base == "..") throw input_error("cannot write " + path + ": not a file name");

  // ".name.tmp.XXXXXX": hidden and without the .prom suffix, so node_exporter never reads it.
  std::string tmp = (dir == "/" ? "/" : dir + "/") + "." + base + ".tmp.XXXXXX";
  fd_handle fd(::mkstemp(tmp.data()));
  if (fd.get() < 0) fail(path, "cannot create a temporary file in its directory", errno);
  temp_guard guard(tmp);

  // mkstemp makes the file 0600; the exporter may run as another user.
  if (::fchmod(fd.get(), 0644) != 0) fail(path, "fchmod", errno);

  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "write", errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail(path, "fsync", errno);
  if (int err = fd.close_checked()) fail(path, "close", err);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "rename", errno);
  guard.release();

  // Make the rename itself durable. Some file systems refuse fsync on a directory: not an error then.
  fd_handle dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0 && ::fsync(dfd.get()) != 0 && errno != EINVAL && errno != EROFS)
    fail(path, "fsync of the directory", errno);
}

}  // namespace hc::report
