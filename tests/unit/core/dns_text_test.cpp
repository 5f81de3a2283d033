#include <doctest/doctest.h>

#include "core/dns_text.hpp"

using hc::canonical_name;
using hc::display_name;

TEST_CASE("display_name drops the trailing dot of an absolute name and nothing else") {
  CHECK(display_name("blog.debugo.fr.") == "blog.debugo.fr");
  CHECK(display_name("blog.debugo.fr") == "blog.debugo.fr");
  CHECK(display_name("Blog.Debugo.FR.") == "Blog.Debugo.FR");
  CHECK(display_name("fr.") == "fr");
  CHECK(display_name("a.") == "a");
  CHECK(display_name("blog.debugo.fr..") == "blog.debugo.fr.");
}

TEST_CASE("display_name keeps the root, the empty name and an escaped final dot") {
  CHECK(display_name(".") == ".");
  CHECK(display_name("") == "");
  CHECK(display_name("a\\.") == "a\\.");
  CHECK(display_name("a\\..") == "a\\.");
  CHECK(display_name("a\\\\.") == "a\\\\");
}

TEST_CASE("display_name undoes canonical_name up to case") {
  for (const char* n : {"blog.debugo.fr", "debugo.fr.", ".", "_dmarc.debugo.fr", "xn--bcher-kva.example."}) {
    CAPTURE(n);
    CHECK(canonical_name(display_name(canonical_name(n))) == canonical_name(n));
  }
  CHECK(display_name(canonical_name("Blog.Debugo.FR")) == "blog.debugo.fr");
}
