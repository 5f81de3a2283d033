#include "probes/dns_wire.hpp"

#include <cctype>
#include <optional>
#include <random>
#include <utility>

#include <openssl/rand.h>

#include "core/dns_text.hpp"

namespace hc::probes {
namespace {

// An algorithm name for an error message: printable ASCII only, cut.
std::string escape_algorithm(std::string_view a) {
  std::string out;
  for (char c : a.substr(0, 32)) out += std::isgraph(static_cast<unsigned char>(c)) ? c : '?';
  return out.empty() ? std::string("(empty)") : out;
}

}  // namespace

std::uint16_t random_dns_id() {
  unsigned char b[2];
  if (RAND_bytes(b, sizeof b) == 1) return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
  return static_cast<std::uint16_t>(std::random_device{}() & 0xffff);
}

std::optional<std::string> dns_name_problem(std::string_view name) {
  if (name == ".") return std::nullopt;
  std::size_t label = 0, wire = 1;  // the root's zero octet
  bool any = false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return std::string("empty label");
      wire += 1 + label;
      label = 0;
      continue;
    }
    if (c == '\\' && i + 1 < name.size()) {
      bool digits = i + 3 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1])) &&
                    std::isdigit(static_cast<unsigned char>(name[i + 2])) &&
                    std::isdigit(static_cast<unsigned char>(name[i + 3]));
      i += digits ? 3 : 1;
    }
    ++label;
    any = true;
    if (label > 63) return std::string("label longer than 63 octets");
  }
  if (label > 0) wire += 1 + label;
  if (!any) return std::string("empty name");
  if (wire > 255) return std::string("name longer than 255 octets");
  return std::nullopt;
}

std::optional<dns_bytes> build_dns_query(const dns_question& q, bool recursion_desired, std::uint16_t edns_size) {
  std::string name = q.qname;
  if (name.empty() || name.back() != '.') name += '.';
  ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
  if (!owner) return std::nullopt;
  // ldns_pkt_query_new takes ownership of owner.
  ldns_pkt_ptr pkt(ldns_pkt_query_new(owner, static_cast<ldns_rr_type>(q.qtype),
                                      static_cast<ldns_rr_class>(q.qclass), recursion_desired ? LDNS_RD : 0));
  if (!pkt) return std::nullopt;
  ldns_pkt_set_id(pkt.get(), q.id);
  ldns_pkt_set_rd(pkt.get(), recursion_desired);
  if (edns_size > 0) ldns_pkt_set_edns_udp_size(pkt.get(), edns_size);
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt.get(), &size) != LDNS_STATUS_OK || !wire) {
    std::free(wire);
    return std::nullopt;
  }
  c_string_ptr owned(reinterpret_cast<char*>(wire));
  return dns_bytes(wire, wire + size);
}

std::optional<std::string> tsig_algorithm_for_ldns(std::string_view bind_name) {
  std::string n(bind_name);
  for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (n == "hmac-md5" || n == "hmac-md5.sig-alg.reg.int") return std::string("hmac-md5.sig-alg.reg.int.");
  if (n == "hmac-sha1" || n == "hmac-sha256" || n == "hmac-sha512") return n + ".";
  return std::nullopt;
}

namespace {

// The wire form of pkt, or nullopt.
std::optional<dns_bytes> to_wire(const ldns_pkt* pkt) {
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK || !wire) {
    std::free(wire);
    return std::nullopt;
  }
  c_string_ptr owned(reinterpret_cast<char*>(wire));
  return dns_bytes(wire, wire + size);
}

// A TSIG key name as a domain name, absolute.
std::string key_dname(const std::string& name) {
  return name.empty() || name.back() != '.' ? name + "." : name;
}

bool valid_base64(std::string_view s) {
  std::size_t n = 0, pad = 0;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '=') {
      ++pad;
      ++n;
      continue;
    }
    if (pad || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) return false;
    ++n;
  }
  return n > 0 && n % 4 == 0 && pad <= 2;
}

// The secret without the white space BIND allows inside it.
std::string compact_secret(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out += c;
  return out;
}

}  // namespace

std::optional<signed_query> build_signed_query(const dns_question& q, bool recursion_desired, std::uint16_t edns_size,
                                               const tsig_key& key, std::string& error) {
  auto algorithm = tsig_algorithm_for_ldns(key.algorithm.empty() ? "hmac-sha256" : key.algorithm);
  if (!algorithm) {
    error = "TSIG algorithm " + escape_algorithm(key.algorithm) + " is not supported";
    return std::nullopt;
  }
  if (!valid_base64(key.secret)) {
    error = "the secret of TSIG key " + key.name + " is not valid base64";
    return std::nullopt;
  }
  std::string name = q.qname;
  if (name.empty() || name.back() != '.') name += '.';
  ldns_rdf* owner = ldns_dname_new_frm_str(name.c_str());
  if (!owner) {
    error = "cannot encode " + q.qname;
    return std::nullopt;
  }
  ldns_pkt_ptr pkt(ldns_pkt_query_new(owner, static_cast<ldns_rr_type>(q.qtype),
                                      static_cast<ldns_rr_class>(q.qclass), recursion_desired ? LDNS_RD : 0));
  if (!pkt) {
    error = "cannot encode " + q.qname;
    return std::nullopt;
  }
  ldns_pkt_set_id(pkt.get(), q.id);
  ldns_pkt_set_rd(pkt.get(), recursion_desired);
  if (edns_size > 0) ldns_pkt_set_edns_udp_size(pkt.get(), edns_size);
  const std::string secret = compact_secret(key.secret);
  const std::string dname = key_dname(key.name);
  if (ldns_pkt_tsig_sign(pkt.get(), dname.c_str(), secret.c_str(), 300, algorithm->c_str(), nullptr) != LDNS_STATUS_OK ||
      !ldns_pkt_tsig(pkt.get())) {
    error = "cannot sign with TSIG key " + key.name;
    return std::nullopt;
  }
  auto wire = to_wire(pkt.get());
  const ldns_rdf* mac = ldns_rr_rdf(ldns_pkt_tsig(pkt.get()), 3);
  if (!wire || !mac) {
    error = "cannot encode " + q.qname;
    return std::nullopt;
  }
  signed_query out;
  out.wire = std::move(*wire);
  out.mac.reset(ldns_rdf_clone(mac));
  return out;
}

std::string tsig_error_name(int error) {
  switch (error) {
    case 16: return "BADSIG";
    case 17: return "BADKEY";
    case 18: return "BADTIME";
    case 19: return "BADMODE";
    case 20: return "BADNAME";
    case 21: return "BADALG";
    case 22: return "BADTRUNC";
    default: return "TSIG error " + std::to_string(error);
  }
}

std::string tsig_reply_problem(const ldns_pkt* pkt, std::span<const std::uint8_t> wire, const tsig_key& key,
                               const ldns_rdf* query_mac) {
  if (!pkt) return "no reply";
  const ldns_rr* tsig = ldns_pkt_tsig(pkt);
  const int rcode = static_cast<int>(ldns_pkt_get_rcode(pkt));
  if (!tsig) {
    if (rcode == 9) return "the reply is NOTAUTH and not signed (the server does not accept key " + key.name + ")";
    return "the reply is not signed";
  }
  if (ldns_rr_rd_count(tsig) < 6) return "the reply's TSIG record is malformed";
  const ldns_rdf* err = ldns_rr_rdf(tsig, 5);
  if (err && ldns_rdf_size(err) == 2) {
    int e = ldns_rdf2native_int16(err);
    if (e != 0) return "the server answered " + tsig_error_name(e) + " (" + rcode_name(rcode) + ") to key " + key.name;
  }
  if (const ldns_rdf* owner = ldns_rr_owner(tsig)) {
    c_string_ptr text(ldns_rdf2str(owner));
    if (!text || canonical_name(text.get()) != canonical_name(key_dname(key.name)))
      return "the reply is signed with another key";
  }
  const std::string secret = compact_secret(key.secret);
  const std::string dname = key_dname(key.name);
  // ldns takes the packet as non-const but puts everything back; work on a copy all the same.
  ldns_pkt_ptr copy(ldns_pkt_clone(pkt));
  if (!copy) return "the reply's TSIG could not be checked (out of memory)";
  if (!ldns_pkt_tsig_verify(copy.get(), wire.data(), wire.size(), dname.c_str(), secret.c_str(), query_mac))
    return "the reply's TSIG does not verify with key " + key.name;
  if (rcode == 9) return "the reply is NOTAUTH";
  return {};
}

namespace {

// Whether the additional section of wire holds a TSIG record anywhere but last. RFC 8945 allows one
// TSIG, the last record; a message with another is malformed (a server answers it FORMERR). It also
// matters for memory: ldns 1.8.3's ldns_wire2pkt keeps only the last TSIG it meets and leaks the
// ones before, and it shortens its walk of the additional section by one at each TSIG, so that what
// follows a TSIG is partly never read.
// The walk is ldns's own, ldns_wire2rr record by record in ldns_wire2pkt's order (wire2host.c): up to
// the first TSIG it is the walk ldns will make, so a message that passes here leaks nothing there. A
// walk of our own by RDLENGTH would not be: ldns reads RDATA field by field and does not skip what
// its fields leave of RDLENGTH, so its records can start elsewhere and hide a TSIG from us (the
// fuzzer found one so). A record ldns cannot read before any TSIG is left to ldns_wire2pkt, which
// fails on it the same way and frees what it read.
bool tsig_not_last(std::span<const std::uint8_t> wire) {
  if (wire.size() < dns_header_size) return false;
  auto u16 = [&](std::size_t at) { return static_cast<std::size_t>(wire[at]) << 8 | wire[at + 1]; };
  std::size_t pos = dns_header_size;
  // Reads one record at pos: its type, or nothing if ldns fails on it.
  auto read_type = [&](ldns_pkt_section section) -> std::optional<ldns_rr_type> {
    ldns_rr* rr = nullptr;
    if (ldns_wire2rr(&rr, wire.data(), wire.size(), &pos, section) != LDNS_STATUS_OK || !rr) return std::nullopt;
    const ldns_rr_type type = ldns_rr_get_type(rr);
    ldns_rr_free(rr);
    return type;
  };
  const std::pair<std::size_t, ldns_pkt_section> before[] = {
      {u16(4), LDNS_SECTION_QUESTION}, {u16(6), LDNS_SECTION_ANSWER}, {u16(8), LDNS_SECTION_AUTHORITY}};
  for (const auto& [count, section] : before)
    for (std::size_t i = 0; i < count; ++i)
      if (!read_type(section)) return false;
  for (std::size_t i = 0, n = u16(10); i < n; ++i) {
    const auto type = read_type(LDNS_SECTION_ADDITIONAL);
    if (!type) return false;
    if (*type == LDNS_RR_TYPE_TSIG) return i + 1 < n;
  }
  return false;
}

}  // namespace

dns_parse_result parse_dns_message(std::span<const std::uint8_t> wire) {
  dns_parse_result r;
  if (wire.size() < dns_header_size) {
    r.error = "message too short (" + std::to_string(wire.size()) + " bytes)";
    return r;
  }
  if (wire.size() > dns_max_message) {
    r.error = "message too long (" + std::to_string(wire.size()) + " bytes)";
    return r;
  }
  if (tsig_not_last(wire)) {
    r.error = "malformed message: a TSIG record that is not the last record";
    return r;
  }
  ldns_pkt* raw = nullptr;
  ldns_status st = ldns_wire2pkt(&raw, wire.data(), wire.size());
  if (st != LDNS_STATUS_OK || !raw) {
    if (raw) ldns_pkt_ptr drop(raw);
    r.error = std::string("malformed message: ") + ldns_get_errorstr_by_id(st);
    return r;
  }
  r.pkt.reset(raw);
  return r;
}

bool dns_reply_matches(const ldns_pkt* pkt, const dns_question& q) {
  if (!pkt || !ldns_pkt_qr(pkt) || ldns_pkt_id(pkt) != q.id) return false;
  const ldns_rr_list* question = ldns_pkt_question(pkt);
  if (!question || ldns_rr_list_rr_count(question) != 1) return false;
  const ldns_rr* rr = ldns_rr_list_rr(question, 0);
  if (ldns_rr_get_type(rr) != q.qtype || ldns_rr_get_class(rr) != q.qclass) return false;
  const ldns_rdf* owner = ldns_rr_owner(rr);
  if (!owner) return false;
  c_string_ptr text(ldns_rdf2str(owner));
  return text && canonical_name(text.get()) == canonical_name(q.qname);
}

namespace {

void add_section(const ldns_rr_list* list, std::vector<std::string>& out, std::optional<std::uint32_t>& serial) {
  if (!list) return;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(list, i);
    out.push_back(canonical_rr(rr));
    if (!serial && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 3) {
      const ldns_rdf* f = ldns_rr_rdf(rr, 2);
      if (f && ldns_rdf_size(f) == 4) serial = ldns_rdf2native_int32(f);
    }
  }
}

}  // namespace

void fill_dns_outcome(const ldns_pkt* pkt, dns_outcome& out) {
  out.rcode = static_cast<int>(ldns_pkt_get_rcode(pkt));
  out.aa = ldns_pkt_aa(pkt);
  out.tc = ldns_pkt_tc(pkt);
  out.answer.clear();
  out.authority.clear();
  out.additional.clear();
  out.soa_serial.reset();
  add_section(ldns_pkt_answer(pkt), out.answer, out.soa_serial);
  std::optional<std::uint32_t> auth_serial;
  add_section(ldns_pkt_authority(pkt), out.authority, auth_serial);
  std::optional<std::uint32_t> ignored;
  add_section(ldns_pkt_additional(pkt), out.additional, ignored);
  if (!out.soa_serial) out.soa_serial = auth_serial;
}

std::string rcode_name(int rcode) {
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    default: return "RCODE" + std::to_string(rcode);
  }
}

std::optional<dns_bytes> tcp_frame(std::span<const std::uint8_t> message) {
  if (message.size() > dns_max_message) return std::nullopt;
  dns_bytes out;
  out.reserve(message.size() + 2);
  out.push_back(static_cast<std::uint8_t>(message.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

bool tcp_frame_decoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return false;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  if (buffer_.size() >= 2) {
    std::size_t len = (std::size_t{buffer_[0]} << 8) | buffer_[1];
    if (len < dns_header_size) {
      failed_ = true;
      error_ = "TCP frame announces " + std::to_string(len) + " bytes, less than a DNS header";
      buffer_.clear();
      return false;
    }
  }
  return true;
}

std::optional<dns_bytes> tcp_frame_decoder::next() {
  if (failed_ || buffer_.size() < 2) return std::nullopt;
  std::size_t len = (std::size_t{buffer_[0]} << 8) | buffer_[1];
  if (buffer_.size() < 2 + len) return std::nullopt;
  dns_bytes msg(buffer_.begin() + 2, buffer_.begin() + 2 + static_cast<std::ptrdiff_t>(len));
  buffer_.erase(buffer_.begin(), buffer_.begin() + 2 + static_cast<std::ptrdiff_t>(len));
  // The following frame's length is checked as soon as it is known.
  if (buffer_.size() >= 2) {
    std::size_t nlen = (std::size_t{buffer_[0]} << 8) | buffer_[1];
    if (nlen < dns_header_size) {
      failed_ = true;
      error_ = "TCP frame announces " + std::to_string(nlen) + " bytes, less than a DNS header";
      buffer_.clear();
    }
  }
  return msg;
}

}  // namespace hc::probes
