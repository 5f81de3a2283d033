#include "probes/dns_wire.hpp"

#include <cctype>
#include <random>

#include <openssl/rand.h>

#include "core/dns_text.hpp"

namespace hc::probes {

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
