#include <doctest/doctest.h>

#include <string>

#include "core/diagnostics.hpp"
#include "core/xml.hpp"

namespace {

// The one error diagnostic reading `text` gives ("" when it reads cleanly), as "line:col: message near".
std::string error_of(const std::string& text, const hc::xml::limits& lim = {}) {
  hc::diagnostics d;
  auto root = hc::xml::parse(text, "c.xml", d, lim);
  if (root) {
    CHECK_FALSE(d.has_errors());
    return {};
  }
  REQUIRE(d.all().size() == 1);
  return d.all().front().str();
}

hc::xml::node read(const std::string& text) {
  hc::diagnostics d;
  auto root = hc::xml::parse(text, "c.xml", d);
  std::string errors;
  for (const auto& x : d.all()) errors += x.str() + "\n";
  INFO(errors);
  REQUIRE(root.has_value());
  return std::move(*root);
}

}  // namespace

TEST_CASE("xml: elements, attributes, text and their positions") {
  auto root = read(
      "<?xml version=\"1.0\"?>\n"
      "<!-- a backup -->\n"
      "<pfsense>\n"
      "  <version>23.3</version>\n"
      "  <nat>\n"
      "    <rule id=\"a\" other='b'><target>192.0.2.10</target><disabled/></rule>\n"
      "    <rule><target> 192.0.2.11 </target></rule>\n"
      "  </nat>\n"
      "</pfsense>\n");
  CHECK(root.name == "pfsense");
  CHECK(root.line == 3);
  CHECK(root.column == 1);
  CHECK(root.child_text("version") == "23.3");
  const auto* nat = root.child("nat");
  REQUIRE(nat != nullptr);
  CHECK(nat->line == 5);
  CHECK(nat->column == 3);
  auto rules = nat->children("rule");
  REQUIRE(rules.size() == 2);
  CHECK(rules[0]->line == 6);
  CHECK(rules[0]->column == 5);
  CHECK(rules[0]->attribute("id") == std::optional<std::string_view>("a"));
  CHECK(rules[0]->attribute("other") == std::optional<std::string_view>("b"));
  CHECK_FALSE(rules[0]->attribute("missing").has_value());
  CHECK(rules[0]->has("disabled"));
  CHECK_FALSE(rules[1]->has("disabled"));
  CHECK(rules[1]->child_text("target") == "192.0.2.11");  // trimmed
  CHECK(rules[1]->child("target")->text == " 192.0.2.11 ");  // as written
  const auto* target = rules[0]->child("target");
  CHECK(target->line == 6);
  CHECK(target->column == 28);
  CHECK(target->where("c.xml").str() == "c.xml:6:28");
  // Path look-ups.
  CHECK(root.find("nat/rule/target")->trimmed_text() == "192.0.2.10");
  CHECK(root.find("nat/rule/missing") == nullptr);
  CHECK(root.find_all("nat/rule").size() == 2);
  CHECK(root.find_all("nat/rule/target").size() == 2);
  CHECK(root.find_all("system/webgui").empty());
  CHECK(root.child_text("absent").empty());
}

TEST_CASE("xml: entities, character references and CDATA are decoded") {
  auto root = read("<a x=\"&lt;&amp;&quot;&apos;&gt;\">&lt;b&gt; &#65;&#x42;&#xe9; <![CDATA[<not> &amp; markup]]></a>");
  CHECK(root.attribute("x") == std::optional<std::string_view>("<&\"'>"));
  CHECK(root.text == "<b> AB\xC3\xA9 <not> &amp; markup");
  // A UTF-8 byte order mark is skipped, CRLF line ends are counted as lines.
  auto bom = read("\xEF\xBB\xBF<r>\r\n <c/>\r\n</r>");
  CHECK(bom.name == "r");
  CHECK(bom.column == 1);
  REQUIRE(bom.child("c") != nullptr);
  CHECK(bom.child("c")->line == 2);
  CHECK(bom.child("c")->column == 2);
}

TEST_CASE("xml: errors name line and column and quote at most the offending token") {
  CHECK(error_of("<a>\n  <b>x</c>\n</a>") == "c.xml:2:7: end tag does not match <b> opened at 2:3 near 'c'");
  CHECK(error_of("<a>&nbsp;</a>") ==
        "c.xml:1:4: unknown entity (only &lt; &gt; &amp; &apos; &quot; and &#N; are read) near '&nbsp;'");
  CHECK(error_of("<a>&#0;</a>") == "c.xml:1:4: character reference to a character XML does not allow near '&#0;'");
  CHECK(error_of("<a>&#xD800;</a>").find("c.xml:1:4: character reference") == 0);
  CHECK(error_of("<a>&#x110000;</a>").find("beyond U+10FFFF") != std::string::npos);
  CHECK(error_of("<a>fish & chips</a>").find("c.xml:1:9: '&' that does not start") == 0);
  CHECK(error_of("<a b='1' b='2'/>") == "c.xml:1:10: attribute given twice near 'b'");
  CHECK(error_of("<a b=1/>").find("c.xml:1:6: expected a quoted attribute value") == 0);
  CHECK(error_of("<a>\x01</a>") == "c.xml:1:4: a control byte 0x01 is not allowed in XML");
  CHECK(error_of("") == "c.xml:1:1: no root element");
  CHECK(error_of("just text") == "c.xml:1:1: text outside the root element near 'j'");
  CHECK(error_of("<a/><b/>") == "c.xml:1:5: markup after the end of the root element near '<b'");
  // A long token is cut: the diagnostic never carries more than max_quoted bytes of the input.
  std::string secret(200, 's');
  auto e = error_of("<a>\n<b>" + secret + "</" + secret + "></a>");
  CHECK(e.find(std::string(40, 's')) == std::string::npos);
  CHECK(e.find("c.xml:2:") == 0);
}

TEST_CASE("xml: truncated input is an error at the element left open") {
  const std::string full = "<pfsense>\n <nat>\n  <rule><descr><![CDATA[web]]></descr><!-- c --></rule>\n </nat>\n</pfsense>\n";
  // Every proper prefix that holds the root's start tag fails; none crashes or reads as complete.
  for (std::size_t n = 0; n + 1 < full.size(); ++n) {
    std::string prefix = full.substr(0, n);
    INFO(prefix);
    if (prefix.find_first_not_of(" \n") == std::string::npos) continue;
    CHECK_FALSE(error_of(prefix).empty());
  }
  CHECK(error_of(full.substr(0, full.find("</nat>"))) == "c.xml:2:2: end of input inside <nat> near 'nat'");
  CHECK(error_of("<a><![CDATA[open") == "c.xml:1:4: CDATA section without its end ']]>'");
  CHECK(error_of("<a><!-- open") == "c.xml:1:4: comment without its end '-->'");
  CHECK(error_of("<a x='open") == "c.xml:1:11: end of input inside an attribute value");
}

TEST_CASE("xml: a depth bomb stops at the depth limit without recursion") {
  std::string bomb;
  for (int i = 0; i < 100000; ++i) bomb += "<a>";
  CHECK(error_of(bomb) == "c.xml:1:193: elements nested deeper than 64 levels");
  // 64 levels are read.
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "<a>";
  for (int i = 0; i < 64; ++i) ok += "</a>";
  CHECK(error_of(ok).empty());
  hc::xml::limits small;
  small.max_depth = 3;
  CHECK(error_of("<a><b><c><d/></c></b></a>", small) == "c.xml:1:10: elements nested deeper than 3 levels");
}

TEST_CASE("xml: the element count, attribute count, name length and input size are bounded") {
  hc::xml::limits lim;
  lim.max_nodes = 3;
  CHECK(error_of("<a><b/><c/></a>", lim).empty());
  CHECK(error_of("<a><b/><c/><d/></a>", lim) == "c.xml:1:12: more than 3 elements");
  lim = {};
  lim.max_attributes = 2;
  CHECK(error_of("<a x='1' y='2' z='3'/>", lim) == "c.xml:1:16: more than 2 attributes on one element");
  lim = {};
  lim.max_name_bytes = 8;
  CHECK(error_of("<abcdefghijk/>", lim) == "c.xml:1:10: an element name longer than 8 bytes");
  lim = {};
  lim.max_bytes = 10;
  CHECK(error_of("<a>0123456789</a>", lim) == "c.xml: input larger than 10 bytes (HC_MAX_FILE_BYTES)");
}

TEST_CASE("xml: a DOCTYPE (billion laughs, external entities) is refused") {
  const std::string laughs =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE lolz [\n"
      " <!ENTITY lol \"lol\">\n"
      " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
      " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
      "]>\n"
      "<lolz>&lol2;</lolz>\n";
  CHECK(error_of(laughs).find("c.xml:2:1: a DOCTYPE is refused") == 0);
  const std::string external =
      "<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/shadow\"> ]>\n<foo>&xxe;</foo>";
  CHECK(error_of(external).find("c.xml:1:1: a DOCTYPE is refused") == 0);
  // An entity used without a DOCTYPE is unknown, never looked up.
  CHECK(error_of("<foo>&xxe;</foo>").find("unknown entity") != std::string::npos);
  // A declaration inside an element is refused as well.
  CHECK(error_of("<a><!ENTITY x 'y'></a>").find("c.xml:1:4: a declaration is not allowed") == 0);
}

TEST_CASE("xml: root_name detects the document element cheaply") {
  CHECK(hc::xml::root_name("<?xml version=\"1.0\"?>\n<!-- c -->\n<pfsense>\n") == "pfsense");
  CHECK(hc::xml::root_name("\xEF\xBB\xBF<opnsense>") == "opnsense");
  CHECK(hc::xml::root_name("*nat\n:PREROUTING ACCEPT").empty());
  CHECK(hc::xml::root_name("{\"nftables\": []}").empty());
  CHECK(hc::xml::root_name("<?xml never closed").empty());
}
