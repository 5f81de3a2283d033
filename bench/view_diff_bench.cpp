// view_diff_bench DIR [--ldns] [--threads N]: loads DIR/db.bench.intra and DIR/db.bench.extra (as
// hc-zone-gen writes them) in views intra (198.18.0.0/15) and extra, runs diff_views, and compares the
// findings with DIR/manifest.txt. Prints the time of each phase and the peak memory.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "zone/view_diff.hpp"

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: view_diff_bench DIR [--ldns] [--threads N]\n";
    return 2;
  }
  std::string dir = argv[1];
  hc::zone::load_options lo;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--ldns") lo.reader = hc::zone::reader_kind::ldns;
    if (a == "--threads" && i + 1 < argc) lo.threads = static_cast<unsigned>(std::atoi(argv[++i]));
  }
  hc::bind::config cfg;
  cfg.options.directory = dir;
  hc::bind::view_decl intra, extra;
  intra.name = "intra";
  hc::bind::address_match_element lan;
  lan.prefix = *hc::ip_prefix::parse("198.18.0.0/15");
  lan.text = "198.18.0.0/15";
  intra.match_clients.elements.push_back(lan);
  extra.name = "extra";
  hc::bind::zone_decl zi, ze;
  zi.name = ze.name = "bench.example";
  zi.type = ze.type = "primary";
  zi.file = dir + "/db.bench.intra";
  ze.file = dir + "/db.bench.extra";
  intra.zones.push_back(zi);
  extra.zones.push_back(ze);
  cfg.views = {intra, extra};

  auto t0 = std::chrono::steady_clock::now();
  hc::diagnostics diags;
  auto zones = hc::zone::load_zones(cfg, diags, lo);
  double t_load = since(t0);
  auto t1 = std::chrono::steady_clock::now();
  auto findings = hc::zone::diff_views(zones, cfg, cfg.views[0], cfg.views[1]);
  double t_diff = since(t1);
  double total = since(t0);

  std::vector<std::string> got, want;
  for (const auto& f : findings) got.push_back(std::string(hc::name(f.kind)) + " " + f.name + " " + f.type + " " + f.view);
  std::ifstream man(dir + "/manifest.txt");
  for (std::string line; std::getline(man, line);)
    if (!line.empty()) want.push_back(line);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());

  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const auto* zin = zones.find("intra", "bench.example");
  const auto* zex = zones.find("extra", "bench.example");
  std::cout << "records intra " << (zin ? zin->record_count() : 0) << " extra " << (zex ? zex->record_count() : 0)
            << "\nload " << t_load << " s, diff " << t_diff << " s, total " << total << " s, peak "
            << ru.ru_maxrss / 1024 << " MiB\nfindings " << findings.size() << " (manifest " << want.size() << "): "
            << (got == want ? "match" : "MISMATCH") << ", diagnostics " << diags.all().size() << "\n";
  for (const auto& d : diags.all()) std::cerr << d.str() << "\n";
  return got == want && !diags.has_errors() ? 0 : 1;
}
