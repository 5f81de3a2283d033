// hc-zone-gen NAMES DIR [PLANTED]: writes a generated split-horizon pair for the view-diff benchmark:
// DIR/db.bench.intra, DIR/db.bench.extra, DIR/named.conf (views intra and extra) and DIR/manifest.txt
// (the findings diff_views must report, one "kind name type view" a line).
// hc-zone-gen --mix SPLIT,DANGLING,ANOMALY[,TARGETS] NAMES DIR: the realistic mix instead (shares of
// the names: split, MX at a missing host shared by TARGETS names' worth of records, anomalies).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "bench/zone_gen.hpp"

int main(int argc, char** argv) {
  std::optional<hc::bench::mix_options> mix;
  int arg = 1;
  if (argc > 2 && std::string(argv[1]) == "--mix") {
    hc::bench::mix_options m;
    std::stringstream ss(argv[2]);
    std::string part;
    std::vector<double> v;
    while (std::getline(ss, part, ',')) v.push_back(std::strtod(part.c_str(), nullptr));
    if (v.size() > 0) m.split = v[0];
    if (v.size() > 1) m.dangling = v[1];
    if (v.size() > 2) m.anomaly = v[2];
    if (v.size() > 3) m.shared_targets = static_cast<std::size_t>(v[3]);
    mix = m;
    arg = 3;
  }
  if (argc < arg + 2) {
    std::cerr << "usage: hc-zone-gen [--mix SPLIT,DANGLING,ANOMALY[,TARGETS]] NAMES DIR [PLANTED]\n";
    return 2;
  }
  hc::bench::gen_options o;
  o.names = std::strtoull(argv[arg], nullptr, 10);
  o.planted = argc > arg + 2 ? std::strtoull(argv[arg + 2], nullptr, 10) : 10;
  std::filesystem::path dir = argv[arg + 1];
  std::filesystem::create_directories(dir);
  hc::bench::generated_pair g;
  if (mix) {
    mix->names = o.names;
    g = hc::bench::generate_mix(*mix);
  } else {
    g = hc::bench::generate_pair(o);
  }
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
