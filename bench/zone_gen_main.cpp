// hc-zone-gen NAMES DIR [PLANTED]: writes a generated split-horizon pair for the view-diff benchmark:
// DIR/db.bench.intra, DIR/db.bench.extra, DIR/named.conf (views intra and extra) and DIR/manifest.txt
// (the findings diff_views must report, one "kind name type view" a line).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench/zone_gen.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: hc-zone-gen NAMES DIR [PLANTED]\n";
    return 2;
  }
  hc::bench::gen_options o;
  o.names = std::strtoull(argv[1], nullptr, 10);
  o.planted = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 10;
  std::filesystem::path dir = argv[2];
  std::filesystem::create_directories(dir);
  auto g = hc::bench::generate_pair(o);
  std::ofstream(dir / "db.bench.intra") << g.intra;
  std::ofstream(dir / "db.bench.extra") << g.extra;
  std::ofstream conf(dir / "named.conf");
  conf << "options { directory \"" << std::filesystem::absolute(dir).string() << "\"; };\n"
       << "view \"intra\" {\n  match-clients { 198.18.0.0/15; };\n  zone \"" << o.origin
       << "\" { type primary; file \"db.bench.intra\"; };\n};\n"
       << "view \"extra\" {\n  match-clients { any; };\n  zone \"" << o.origin
       << "\" { type primary; file \"db.bench.extra\"; };\n};\n";
  std::ofstream man(dir / "manifest.txt");
  for (const auto& p : g.manifest) man << p.summary() << "\n";
  std::cout << "names " << o.names << ", intra " << g.intra.size() << " bytes, extra " << g.extra.size()
            << " bytes, " << g.manifest.size() << " expected findings\n";
  return 0;
}
