// TSIG key statements: in named.conf (top level and in views) and in key files as tsig-keygen
// writes them. Errors name file:line:col and the kind of token; the secret is never in a message.
#include <doctest/doctest.h>

#include <algorithm>

#include "bind/config.hpp"
#include "test_files.hpp"

using bind_test::all_text;
using bind_test::scratch_dir;

namespace {

// A secret in valid base64 that must never be printed.
const std::string secret_b64 = "SEMtU0VDUkVULTdmM2E5Yy1kby1ub3QtcHJpbnQtMDAwMDA=";

}  // namespace

TEST_CASE("keys: key statements at the top and in a view are read, with algorithm, secret and position") {
  scratch_dir dir;
  auto path = dir.write("named.conf",
                        "key \"intra-key\" {\n"
                        "    algorithm HMAC-SHA256;\n"
                        "    secret \"" + secret_b64 + "\";\n"
                        "};\n"
                        "view \"intra\" {\n"
                        "    key \"intra-key.\" { algorithm hmac-sha512; secret \"AAAA BBBB\"; };\n"
                        "    match-clients { key \"intra-key\"; };\n"
                        "};\n"
                        "view \"extra\" { match-clients { !key \"intra-key\"; any; }; };\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(path, d);
  CHECK(all_text(d).empty());
  REQUIRE(cfg.keys.size() == 2);
  CHECK(cfg.keys[0].name == "intra-key");
  CHECK(cfg.keys[0].algorithm == "hmac-sha256");
  CHECK(cfg.keys[0].secret == secret_b64);
  CHECK(cfg.keys[0].view.empty());
  CHECK(cfg.keys[0].where.str() == path + ":1:1");
  CHECK(cfg.keys[1].name == "intra-key");  // the trailing dot dropped
  CHECK(cfg.keys[1].view == "intra");
  CHECK(cfg.keys[1].secret == "AAAABBBB");  // white space inside the secret removed
  // A view's own key first, else the top-level one; names compare as domain names.
  const auto* in_view = hc::bind::find_key(cfg.keys, "INTRA-KEY.", "intra");
  REQUIRE(in_view);
  CHECK(in_view->algorithm == "hmac-sha512");
  const auto* top = hc::bind::find_key(cfg.keys, "intra-key", "extra");
  REQUIRE(top);
  CHECK(top->algorithm == "hmac-sha256");
  CHECK(hc::bind::find_key(cfg.keys, "other-key") == nullptr);
}

TEST_CASE("keys: a bad key statement is an error at its position that never shows the secret") {
  scratch_dir dir;
  auto path = dir.write("named.conf",
                        "key \"a\" { algorithm hmac-sha256; };\n"
                        "key \"b\" { algorithm hmac-foo; secret \"" + secret_b64 + "\"; };\n"
                        "key \"c\" { algorithm hmac-sha256; secret \"" + secret_b64 + "!\"; };\n"
                        "key \"d\" { algorithm hmac-sha256; secret \"" + secret_b64 + "\" \"" + secret_b64 + "\"; };\n"
                        "key \"e\" { algorithm hmac-sha256; secret \"" + secret_b64 + "\"; };\n"
                        "key \"e\" { algorithm hmac-sha256; secret \"" + secret_b64 + "\"; };\n"
                        "key \"f\" { algorithm hmac-sha256; secret \"" + secret_b64 + "\n");
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(path, d);
  auto text = all_text(d);
  CAPTURE(text);
  CHECK(text.find(path + ":1:1: key 'a' must have both 'secret' and 'algorithm' defined") != std::string::npos);
  CHECK(text.find(path + ":2:21: key 'b': unknown algorithm near 'hmac-foo'") != std::string::npos);
  CHECK(text.find(path + ":3:41: key 'c': the secret (a quoted string) is not valid base64") != std::string::npos);
  CHECK(text.find(path + ":4:34: key 'd': 'secret' expects one value (then a quoted string)") != std::string::npos);
  CHECK(text.find(path + ":6:1: key 'e' already defined at " + path + ":5:1") != std::string::npos);
  CHECK(text.find(path + ":7:41: unterminated quoted string (a key's secret)") != std::string::npos);
  CHECK(text.find(secret_b64.substr(0, 8)) == std::string::npos);
  // Only the first "e" is a valid key statement among a to e.
  std::vector<std::string> names;
  for (const auto& k : cfg.keys) names.push_back(k.name);
  CHECK(std::count(names.begin(), names.end(), "e") == 1);
  for (const char* n : {"a", "b", "c", "d"}) CHECK(std::find(names.begin(), names.end(), n) == names.end());
}

TEST_CASE("keys: a key file as tsig-keygen writes it, and its errors, which quote nothing of it") {
  scratch_dir dir;
  auto good = dir.write("intra.key",
                        "key \"intra-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + secret_b64 + "\";\n};\n");
  hc::diagnostics d;
  auto keys = hc::bind::read_key_file(good, d);
  CHECK(all_text(d).empty());
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].name == "intra-key");
  CHECK(keys[0].secret == secret_b64);
  CHECK(keys[0].where.str() == good + ":1:1");

  auto bad = dir.write("bad.key", "options { directory \"/tmp\"; };\nkey \"x\" { algorithm hmac-sha256; secret \"" +
                                      secret_b64 + "#\"; };\n");
  hc::diagnostics d2;
  CHECK(hc::bind::read_key_file(bad, d2).empty());
  auto text = all_text(d2);
  CAPTURE(text);
  CHECK(text.find(bad + ":1:1: only key statements belong in a key file") != std::string::npos);
  CHECK(text.find(bad + ":2:41: key (a word of 1 bytes): the secret (a quoted string) is not valid base64") !=
        std::string::npos);
  CHECK(text.find(secret_b64.substr(0, 8)) == std::string::npos);

  auto empty = dir.write("empty.key", "// nothing\n");
  hc::diagnostics d3;
  CHECK(hc::bind::read_key_file(empty, d3).empty());
  CHECK(all_text(d3).find("no key statement in the key file") != std::string::npos);

  hc::diagnostics d4;
  CHECK_THROWS_AS(hc::bind::read_key_file(dir.str() + "/missing.key", d4), hc::input_error);
}

TEST_CASE("keys: the algorithms BIND knows") {
  for (const char* a : {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "HMAC-SHA512"})
    CHECK(hc::bind::known_tsig_algorithm(a));
  CHECK_FALSE(hc::bind::known_tsig_algorithm("hmac-sha3"));
  CHECK_FALSE(hc::bind::known_tsig_algorithm(""));
}

TEST_CASE("keys: many key statements are all read, a repeated name once an error") {
  scratch_dir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "key \"k" + std::to_string(i) + "\" { algorithm hmac-sha256; secret \"" + secret_b64 + "\"; };\n";
  text += "key \"K17.\" { algorithm hmac-sha256; secret \"" + secret_b64 + "\"; };\n";
  auto path = dir.write("named.conf", text);
  hc::diagnostics d;
  auto cfg = hc::bind::read_named_conf(path, d);
  CHECK(cfg.keys.size() == 5000);
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].str().find(path + ":5001:1: key 'K17.' already defined at " + path + ":18:1") == 0);
}
