#include <string>

#include <doctest/doctest.h>

#include "probes/mail_parse.hpp"

using namespace hc::probes;

TEST_CASE("smtp reply: single-line banner") {
  auto r = parse_smtp_reply("220 mail.debugo.fr ESMTP Postfix (Debian/GNU)\r\n");
  CHECK(r.status == parse_status::complete);
  CHECK(r.code == 220);
  REQUIRE(r.lines.size() == 1);
  CHECK(smtp_banner_host(r) == "mail.debugo.fr");
  CHECK(r.consumed == 47);
}

TEST_CASE("smtp reply: multi-line banner with continuation and what follows it") {
  std::string bytes = "220-mail.debugo.fr ESMTP\r\n220-second line\r\n220 last\r\n250 next";
  auto r = parse_smtp_reply(bytes);
  CHECK(r.status == parse_status::complete);
  CHECK(r.code == 220);
  CHECK(r.lines.size() == 3);
  CHECK(smtp_banner_host(r) == "mail.debugo.fr");
  CHECK(bytes.substr(r.consumed) == "250 next");
}

TEST_CASE("smtp reply: bare code and bare LF line ends") {
  auto r = parse_smtp_reply("250\n");
  CHECK(r.status == parse_status::complete);
  CHECK(r.code == 250);
  CHECK(r.lines.size() == 1);
  CHECK(r.lines[0].empty());
}

TEST_CASE("smtp reply: every split point of a multi-line EHLO reply is incomplete until the end") {
  std::string bytes = "250-mail.debugo.fr\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n250 8BITMIME\r\n";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto r = parse_smtp_reply(std::string_view(bytes).substr(0, i));
    CHECK_MESSAGE(r.status == parse_status::incomplete, "split at " << i);
  }
  auto r = parse_smtp_reply(bytes);
  CHECK(r.status == parse_status::complete);
  CHECK(smtp_has_extension(r, "STARTTLS"));
  CHECK(smtp_has_extension(r, "size"));
  CHECK_FALSE(smtp_has_extension(r, "mail.debugo.fr"));  // the greeting line is no extension
  CHECK_FALSE(smtp_has_extension(r, "AUTH"));
}

TEST_CASE("smtp reply: malformed input") {
  CHECK(parse_smtp_reply("HTTP/1.1 400 Bad Request\r\n").status == parse_status::malformed);
  CHECK(parse_smtp_reply("SSH-2.0-OpenSSH").status == parse_status::malformed);  // early, without a line end
  CHECK(parse_smtp_reply("22").status == parse_status::incomplete);
  CHECK(parse_smtp_reply("22x").status == parse_status::malformed);
  CHECK(parse_smtp_reply("220-a\r\n250 b\r\n").status == parse_status::malformed);  // code changes
  CHECK(parse_smtp_reply("220_a\r\n").status == parse_status::malformed);
  CHECK(parse_smtp_reply("120 too low\r\n").status == parse_status::malformed);
  CHECK(parse_smtp_reply(std::string("220 a\0b\r\n", 9)).status == parse_status::malformed);
  CHECK(parse_smtp_reply("\r\n").status == parse_status::malformed);
}

TEST_CASE("smtp reply: an endless banner is cut off by lines and by bytes") {
  std::string lines;
  for (int i = 0; i < 150; ++i) lines += "220-again\r\n";
  auto r = parse_smtp_reply(lines);
  CHECK(r.status == parse_status::too_long);
  CHECK(r.lines.size() <= mail_max_reply_lines);

  std::string one_line = "220-" + std::string(20000, 'x');  // no line end at all
  CHECK(parse_smtp_reply(one_line).status == parse_status::too_long);
  std::string long_lines;
  for (int i = 0; i < 50; ++i) long_lines += "220-" + std::string(500, 'y') + "\r\n";
  CHECK(parse_smtp_reply(long_lines).status == parse_status::too_long);
}

TEST_CASE("imap greeting: OK with capabilities, PREAUTH, BYE") {
  auto g = parse_imap_greeting("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE AUTH=PLAIN] Dovecot (Debian) ready.\r\n");
  CHECK(g.status == parse_status::complete);
  CHECK(g.condition == "OK");
  CHECK(g.text.starts_with("OK [CAPABILITY"));
  CHECK(g.capabilities.size() == 7);
  CHECK(g.capabilities.front() == "IMAP4REV1");
  CHECK(parse_imap_greeting("* preauth logged in\r\n").condition == "PREAUTH");
  CHECK(parse_imap_greeting("* BYE go away\r\n").condition == "BYE");
  CHECK(parse_imap_greeting("* OK\r\n").status == parse_status::complete);
}

TEST_CASE("imap greeting: split, malformed and endless") {
  std::string bytes = "* OK IMAP ready\r\n";
  for (std::size_t i = 0; i < bytes.size(); ++i)
    CHECK(parse_imap_greeting(std::string_view(bytes).substr(0, i)).status == parse_status::incomplete);
  CHECK(parse_imap_greeting("+OK POP3 ready\r\n").status == parse_status::malformed);
  CHECK(parse_imap_greeting("+OK").status == parse_status::malformed);  // early
  CHECK(parse_imap_greeting("220 smtp here\r\n").status == parse_status::malformed);
  CHECK(parse_imap_greeting("* OKAY\r\n").status == parse_status::malformed);
  CHECK(parse_imap_greeting("* NO\r\n").status == parse_status::malformed);
  CHECK(parse_imap_greeting("*\r\n").status == parse_status::malformed);
  CHECK(parse_imap_greeting("* OK " + std::string(20000, 'z')).status == parse_status::too_long);
}

TEST_CASE("imap completion: untagged capabilities then the tagged OK") {
  std::string bytes = "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK Capability completed.\r\nextra";
  for (std::size_t i = 0; i < bytes.size() - 5; ++i) {
    auto partial = parse_imap_completion(std::string_view(bytes).substr(0, i), "a1");
    CHECK(partial.status == parse_status::incomplete);
  }
  auto c = parse_imap_completion(bytes, "a1");
  CHECK(c.status == parse_status::complete);
  CHECK(c.condition == "OK");
  CHECK(c.capabilities == std::vector<std::string>{"IMAP4REV1", "STARTTLS"});
  CHECK(bytes.substr(c.consumed) == "extra");

  CHECK(parse_imap_completion("a1 NO not now\r\n", "a1").condition == "NO");
  CHECK(parse_imap_completion("* BYE\r\na2 OK bye\r\n", "a2").bye);
  CHECK(parse_imap_completion("a1 WHAT\r\n", "a1").status == parse_status::malformed);
  CHECK(parse_imap_completion("b7 OK other tag\r\n", "a1").status == parse_status::malformed);
  std::string endless;
  for (int i = 0; i < 200; ++i) endless += "* OK noise\r\n";
  CHECK(parse_imap_completion(endless, "a1").status == parse_status::too_long);
}
