// hairpin-check: prove a NAT loopback works and split-horizon DNS is consistent.
#include "cli/app.hpp"

int main(int argc, char** argv) { return hc::cli::run(argc, argv); }
