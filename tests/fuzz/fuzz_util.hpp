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

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace hc::fuzz {

// A directory of hostile files that fuzz inputs may include by a plain name (no '/'): "fifo" (a
// FIFO nobody writes to), "b0.conf" ... (each including the next twice), "self.conf" (includes
// itself), "deep.conf" (blocks 100 deep), "z0" ... (zone files each $INCLUDE-ing the next twice).
// Made once per process; the limits are lowered so that a bomb costs milliseconds per input.
inline const std::string& hostile_sandbox() {
  // Removed when the process ends.
  struct owned_dir {
    std::string path;
    ~owned_dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const owned_dir dir{[] {
    ::setenv("HC_MAX_INCLUDE_FILES", "200", 1);
    ::setenv("HC_MAX_GENERATED_RECORDS", "4096", 1);
    ::setenv("HC_MAX_TOTAL_BYTES", "1000000", 1);
    std::string d = "/tmp/hc-fuzz-sandbox-" + std::to_string(::getpid());
    ::mkdir(d.c_str(), 0700);
    ::mkfifo((d + "/fifo").c_str(), 0600);
    for (int i = 0; i < 32; ++i) {
      std::string next = std::to_string(i + 1);
      std::ofstream(d + "/b" + std::to_string(i) + ".conf") << "include \"b" << next << ".conf\";\ninclude \"b" << next
                                                           << ".conf\";\n";
      std::ofstream(d + "/z" + std::to_string(i)) << "$INCLUDE z" << next << "\n$INCLUDE z" << next << "\n";
    }
    std::ofstream(d + "/b32.conf") << "acl x { 10.0.0.0/8; };\n";
    std::ofstream(d + "/z32") << "www IN A 192.0.2.1\n";
    std::ofstream(d + "/self.conf") << "include \"self.conf\";\n";
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "a { ";
    for (int i = 0; i < 100; ++i) deep += "}; ";
    std::ofstream(d + "/deep.conf") << "options { " << deep << "};\n";
    return d;
  }()};
  return dir.path;
}

// Writes data to a file in the hostile sandbox, removed with the object.
class sandbox_file {
 public:
  sandbox_file(const std::uint8_t* data, std::size_t size, const char* name) : path_(hostile_sandbox() + "/" + name) {
    std::ofstream(path_, std::ios::binary).write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  ~sandbox_file() { ::unlink(path_.c_str()); }
  sandbox_file(const sandbox_file&) = delete;
  sandbox_file& operator=(const sandbox_file&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hc::fuzz
