#pragma once
// The command line (docs/hairpin-check.1): parse, run, print, return the exit status.

namespace hc::cli {

// Runs hairpin-check with these arguments; returns the process exit status (0-3).
int run(int argc, char** argv) noexcept;

}  // namespace hc::cli
