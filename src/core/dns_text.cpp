#include "core/dns_text.hpp"

#include <fnmatch.h>

#include "core/ascii.hpp"
#include "core/handles.hpp"

namespace hc {

bool name_matches_any(const std::string& name, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}
namespace {

std::string rdf_text(const ldns_rdf* rdf) {
  c_string_ptr s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

}  // namespace

std::string canonical_name(std::string_view name) {
  std::string s(name);
  ascii_lower_in_place(s);
  if (s.empty() || s.back() != '.') s += '.';
  return s;
}

std::string display_name(std::string_view name) {
  if (name.size() < 2 || name.back() != '.') return std::string(name);
  // An odd number of backslashes before the final dot escapes it: it belongs to the last label.
  std::size_t slashes = 0;
  for (std::size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++slashes;
  if (slashes % 2 == 1) return std::string(name);
  name.remove_suffix(1);
  return std::string(name);
}

std::string rr_type_name(std::uint16_t type) {
  const ldns_rr_descriptor* d = ldns_rr_descript(type);
  if (d && d->_name) return d->_name;
  return "TYPE" + std::to_string(type);
}

std::string canonical_rdata(const ldns_rr* rr) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* f = ldns_rr_rdf(rr, i);
    std::string t = rdf_text(f);
    if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME) ascii_lower_in_place(t);
    if (!out.empty()) out += ' ';
    out += t;
  }
  return out;
}

std::string canonical_rr(const ldns_rr* rr) {
  std::string owner = rdf_text(ldns_rr_owner(rr));
  ascii_lower_in_place(owner);
  return owner + ' ' + rr_type_name(ldns_rr_get_type(rr)) + ' ' + canonical_rdata(rr);
}

}  // namespace hc
