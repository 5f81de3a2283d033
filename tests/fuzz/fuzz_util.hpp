#pragma once
// Shared by the fuzz targets: a private temporary file holding the input, for readers that take paths.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace hc::fuzz {

// Writes data to a file in /tmp that lives as long as the object.
class temp_file {
 public:
  temp_file(const std::uint8_t* data, std::size_t size, const char* suffix = "") {
    std::string tmpl = std::string("/tmp/hc-fuzz-XXXXXX") + suffix;
    path_.assign(tmpl);
    int fd = ::mkstemps(path_.data(), static_cast<int>(std::char_traits<char>::length(suffix)));
    if (fd < 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  ~temp_file() { ::unlink(path_.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hc::fuzz
