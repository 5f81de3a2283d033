// Golden files: every writer on every sample. HC_UPDATE_GOLDEN=1 rewrites them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "report/report.hpp"
#include "samples.hpp"

namespace {

const std::string golden_dir = std::string(HC_TEST_DATA) + "/golden/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool updating() {
  const char* v = std::getenv("HC_UPDATE_GOLDEN");
  return v && *v && std::string(v) != "0";
}

void check_golden(const std::string& file, const std::string& actual) {
  const std::string path = golden_dir + file;
  if (updating()) {
    std::ofstream(path, std::ios::binary) << actual;
    MESSAGE("updated " << path);
    return;
  }
  std::ifstream probe(path);
  INFO("golden file " << path << " (HC_UPDATE_GOLDEN=1 regenerates it)");
  REQUIRE(probe.good());
  CHECK(read_file(path) == actual);
}

}  // namespace

TEST_CASE("golden: every writer on every sample") {
  for (const auto& s : hc::report::samples::all()) {
    SUBCASE(s.name) {
      const hc::run_result r = s.make();
      const std::string base = s.name;
      check_golden(base + ".txt", hc::report::render_text(r, {}));
      check_golden(base + ".json", hc::report::render_json(r));
      check_golden(base + ".nagios", hc::report::render_nagios(r, {}));
      check_golden(base + ".prom", hc::report::render_prometheus(r));
    }
  }
}

TEST_CASE("golden: coloured text of the critical sample") {
  check_golden("critical.color.txt", hc::report::render_text(hc::report::samples::critical(), {.color = true}));
}
