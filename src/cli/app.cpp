#include "cli/app.hpp"

#include <cstdio>

namespace hc::cli {

int run(int, char**) noexcept {
  std::puts("hairpin-check " HC_VERSION);
  return 3;
}

}  // namespace hc::cli
