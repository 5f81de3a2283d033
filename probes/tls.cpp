#include "probes/tls.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include "core/dns_text.hpp"

namespace hc::probes {

namespace {

using bio_ptr = std::unique_ptr<BIO, c_deleter<BIO_free_all>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, c_deleter<GENERAL_NAMES_free>>;

int ssl_capture_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

tls_capture* capture_of(X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return nullptr;
  return static_cast<tls_capture*>(SSL_get_ex_data(ssl, ssl_capture_index()));
}

bool is_ip_literal(const std::string& name) {
  return ip_address::parse(name).has_value();
}

// RFC 6125 as browsers apply it: names come from the subjectAltName only, never from the CN.
constexpr unsigned tls_host_flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;

// The subjectAltName entries of cert as "DNS:name" / "IP:address" (other types as "other"), in
// certificate order; empty when it has no subjectAltName.
std::vector<std::string> subject_alt_names(X509* cert) {
  std::vector<std::string> out;
  general_names_ptr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_IA5STRING* s = gn->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      const unsigned char* b = ASN1_STRING_get0_data(s);
      int len = ASN1_STRING_length(s);
      if (len == 4) {
        out.push_back(fmt::format("IP:{}.{}.{}.{}", b[0], b[1], b[2], b[3]));
      } else if (len == 16) {
        ip_address a;
        a.v6 = true;
        std::copy(b, b + 16, a.bytes.begin());
        out.push_back("IP:" + a.str());
      } else {
        out.push_back("IP:?");
      }
    } else {
      out.push_back("other");
    }
  }
  return out;
}

// Printable text of a name taken from a certificate (control bytes as '?').
std::string printable(std::string s) {
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return s;
}

}  // namespace

extern "C" int tls_capture_verify_callback(int preverify_ok, X509_STORE_CTX* store) noexcept {
  auto* capture = capture_of(store);
  if (!capture) return preverify_ok;
  capture->called = true;
  if (!capture->leaf) {
    if (X509* leaf = X509_STORE_CTX_get0_cert(store)) {
      if (X509_up_ref(leaf) == 1) capture->leaf.reset(leaf);
    }
  }
  if (!preverify_ok && capture->first_error == X509_V_OK) {
    capture->first_error = X509_STORE_CTX_get_error(store);
    capture->error_depth = X509_STORE_CTX_get_error_depth(store);
  }
  return preverify_ok;
}

void tls_attach_capture(SSL* ssl, tls_capture* capture) {
  SSL_set_ex_data(ssl, ssl_capture_index(), capture);
  SSL_set_verify(ssl, SSL_get_verify_mode(ssl), tls_capture_verify_callback);
}

std::shared_ptr<asio::ssl::context> tls_client_context(const probe_context& ctx, std::string& error) {
  // OpenSSL 3 makes a context and its trust store dearly (most of a probe's CPU time): one per
  // (trust anchors, insecure) for the whole process. Probes only read it; per-connection settings
  // (SNI, host name, capture) go on the SSL object.
  struct entry {
    std::shared_ptr<asio::ssl::context> context;
    std::string error;
  };
  static std::mutex lock;
  static std::map<std::pair<std::string, bool>, entry> cache;
  std::lock_guard<std::mutex> guard(lock);
  auto& e = cache[{ctx.ca_file, ctx.insecure}];
  if (!e.context) {
    e.context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    if (!ctx.ca_file.empty()) {
      e.context->load_verify_file(ctx.ca_file, ec);
      if (ec) e.error = "cannot load CA file " + ctx.ca_file + ": " + ec.message();
    } else {
      e.context->set_default_verify_paths(ec);
      if (ec) e.error = "cannot load the system trust store: " + ec.message();
    }
    e.context->set_verify_mode(ctx.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer, ec);
  }
  error = e.error;
  return e.context;
}

std::string tls_host_name(std::string_view name) { return name == "." ? std::string() : display_name(name); }

void tls_expect_name(X509_VERIFY_PARAM* param, const std::string& name) {
  std::string host = tls_host_name(name);
  if (host.empty()) return;
  if (is_ip_literal(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, tls_host_flags);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
}

void tls_prepare(SSL* ssl, const std::string& name, tls_capture* capture) {
  std::string host = tls_host_name(name);
  if (!host.empty() && !is_ip_literal(host)) SSL_set_tlsext_host_name(ssl, host.c_str());
  tls_expect_name(SSL_get0_param(ssl), name);
  tls_attach_capture(ssl, capture);
}

tls_outcome tls_describe(X509* cert) {
  tls_outcome out;
  if (!cert) return out;

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) == 1) {
    static const char* hex = "0123456789abcdef";
    out.fingerprint_sha256.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) {
      out.fingerprint_sha256 += hex[md[i] >> 4];
      out.fingerprint_sha256 += hex[md[i] & 15];
    }
  }

  if (bio_ptr bio{BIO_new(BIO_s_mem())}) {
    if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio.get(), &data);
      if (data && n > 0) out.subject.assign(data, static_cast<std::size_t>(n));
    }
  }

  for (const auto& n : subject_alt_names(cert))
    if (n.starts_with("DNS:")) out.names.push_back(n.substr(4));

  if (const ASN1_TIME* t = X509_get0_notAfter(cert)) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) == 1) out.not_after = static_cast<std::int64_t>(timegm(&tm));
  }
  return out;
}

tls_outcome tls_outcome_from(const tls_capture& capture, const std::string& name) {
  tls_outcome out = tls_describe(capture.leaf.get());
  if (capture.first_error == X509_V_ERR_HOSTNAME_MISMATCH || capture.first_error == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    out.verified = false;
    out.verify_error = capture.leaf ? tls_name_problem(capture.leaf.get(), name) : std::string();
    if (out.verify_error.empty()) out.verify_error = tls_verify_error_text(capture.first_error);
  } else if (capture.first_error != X509_V_OK) {
    out.verified = false;
    out.verify_error = tls_verify_error_text(capture.first_error);
  } else if (std::string why = capture.leaf && !name.empty() ? tls_name_problem(capture.leaf.get(), name) : "";
             !why.empty()) {
    out.verified = false;
    out.verify_error = why;
  } else {
    out.verified = capture.leaf != nullptr;
  }
  return out;
}

std::string tls_version(const SSL* ssl) {
  if (!ssl || !SSL_is_init_finished(ssl)) return {};
  const char* v = SSL_get_version(ssl);
  if (!v || std::string_view(v) == "unknown") return {};
  return v;
}

std::string tls_verify_error_text(int x509_error) {
  const char* s = X509_verify_cert_error_string(x509_error);
  return s ? s : "certificate verification failed";
}

std::string tls_name_problem(X509* cert, std::string_view name) {
  std::string host = tls_host_name(name);
  if (!cert) return "no certificate";
  if (host.empty()) return {};
  bool ip = is_ip_literal(host);
  int rc = ip ? X509_check_ip_asc(cert, host.c_str(), 0) : X509_check_host(cert, host.data(), host.size(), tls_host_flags, nullptr);
  if (rc == 1) return {};
  if (rc < 0) return "hostname mismatch: " + host + " cannot be checked against the certificate";
  auto names = subject_alt_names(cert);
  if (names.empty())
    return "hostname mismatch: the certificate has no subjectAltName: the name only in the CN is not accepted";
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + printable(n);
  return fmt::format("hostname mismatch: certificate names {}; {} is not among them", list, host);
}

bool tls_name_matches(X509* cert, std::string_view name) {
  return cert && tls_name_problem(cert, name).empty();
}

std::int64_t tls_days_left(std::int64_t not_after, std::int64_t now) {
  std::int64_t diff = not_after - now;
  std::int64_t days = diff / 86400;
  if (diff < 0 && diff % 86400 != 0) --days;
  return days;
}

std::int64_t unix_now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string tls_detail(const std::optional<tls_outcome>& tls) {
  std::string cert;
  if (tls && tls->not_after)
    cert = fmt::format(", cert {} valid {} days", tls->names.empty() ? tls->subject : tls->names.front(),
                       tls_days_left(*tls->not_after, unix_now()));
  if (tls && !tls->verified) cert += " (not verified: " + tls->verify_error + ")";
  return cert;
}

}  // namespace hc::probes
