#pragma once
// SMTP reply and IMAP response parsing: pure functions over the bytes received so far, no I/O.
// Each call parses from the start of the buffer; a reply is bounded in bytes and lines so a
// hostile server (an endless banner) is cut off instead of growing memory or time.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hc::probes {

// The most bytes and lines one SMTP reply or one IMAP response may take.
inline constexpr std::size_t mail_max_reply_bytes = 16 * 1024;
inline constexpr std::size_t mail_max_reply_lines = 100;

enum class parse_status {
  incomplete,  // need more bytes
  complete,    // a whole reply was read
  malformed,   // the bytes cannot be a reply
  too_long,    // more than mail_max_reply_bytes or mail_max_reply_lines without an end
};

// "incomplete", "complete", "malformed", "too long".
const char* to_string(parse_status s);

// One SMTP reply (RFC 5321 4.2): "NNN-text" continuation lines, then "NNN text" (or bare "NNN").
struct smtp_reply {
  parse_status status = parse_status::incomplete;
  int code = 0;
  std::vector<std::string> lines;  // the text after "NNN-" / "NNN ", without CR LF
  std::size_t consumed = 0;        // bytes taken by the reply, final line end included
  std::string error;               // why it is malformed or too long
};

// Parses the first reply in bytes. Lines end with CR LF (a bare LF is accepted).
smtp_reply parse_smtp_reply(std::string_view bytes);

// The host name a 220 greeting announces: its first word ("mail.debugo.fr ESMTP Postfix").
std::string smtp_banner_host(const smtp_reply& reply);

// Whether an EHLO reply offers an extension keyword (case-insensitive; "STARTTLS", "PIPELINING").
bool smtp_has_extension(const smtp_reply& ehlo, std::string_view keyword);

// An IMAP server greeting (RFC 9051 7.1): "* OK ...", "* PREAUTH ..." or "* BYE ...".
struct imap_greeting {
  parse_status status = parse_status::incomplete;
  std::string condition;                  // "OK", "PREAUTH", "BYE" (upper case)
  std::string text;                       // the whole line after "* ", without CR LF
  std::vector<std::string> capabilities;  // from a "[CAPABILITY ...]" response code, upper case
  std::size_t consumed = 0;
  std::string error;
};

// Parses the greeting line at the start of bytes.
imap_greeting parse_imap_greeting(std::string_view bytes);

// The tagged completion of a command, with the untagged lines before it.
struct imap_completion {
  parse_status status = parse_status::incomplete;
  std::string condition;                  // "OK", "NO", "BAD" (upper case)
  std::string text;                       // text after the condition
  std::vector<std::string> capabilities;  // from "* CAPABILITY ..." lines or a response code
  bool bye = false;                       // an untagged BYE came first
  std::size_t consumed = 0;
  std::string error;
};

// Parses untagged lines up to the line tagged `tag` ("a1 OK done").
imap_completion parse_imap_completion(std::string_view bytes, std::string_view tag);

}  // namespace hc::probes
