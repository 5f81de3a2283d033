#include "probes/tls.hpp"

#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

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

int ctx_capture_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

tls_capture* capture_of(X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (!ssl) return nullptr;
  if (auto* c = static_cast<tls_capture*>(SSL_get_ex_data(ssl, ssl_capture_index()))) return c;
  if (auto* ctx = SSL_get_SSL_CTX(ssl)) return static_cast<tls_capture*>(SSL_CTX_get_ex_data(ctx, ctx_capture_index()));
  return nullptr;
}

bool is_ip_literal(const std::string& name) {
  return ip_address::parse(name).has_value();
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

void tls_attach_capture(SSL_CTX* ctx, tls_capture* capture) {
  SSL_CTX_set_ex_data(ctx, ctx_capture_index(), capture);
  SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), tls_capture_verify_callback);
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

void tls_prepare(SSL* ssl, const std::string& name, tls_capture* capture) {
  std::string host = tls_host_name(name);
  if (!host.empty() && !is_ip_literal(host)) SSL_set_tlsext_host_name(ssl, host.c_str());
  if (!host.empty()) {
    if (is_ip_literal(host))
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    else
      SSL_set1_host(ssl, host.c_str());
  }
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

  general_names_ptr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))};
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      if (gn->type != GEN_DNS) continue;
      const ASN1_IA5STRING* s = gn->d.dNSName;
      out.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
  }

  if (const ASN1_TIME* t = X509_get0_notAfter(cert)) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) == 1) out.not_after = static_cast<std::int64_t>(timegm(&tm));
  }
  return out;
}

tls_outcome tls_outcome_from(const tls_capture& capture, const std::string& name) {
  tls_outcome out = tls_describe(capture.leaf.get());
  if (capture.first_error != X509_V_OK) {
    out.verified = false;
    out.verify_error = tls_verify_error_text(capture.first_error);
  } else if (capture.leaf && !name.empty() && !tls_name_matches(capture.leaf.get(), name)) {
    out.verified = false;
    out.verify_error = tls_verify_error_text(X509_V_ERR_HOSTNAME_MISMATCH);
  } else {
    out.verified = capture.leaf != nullptr;
  }
  return out;
}

std::string tls_verify_error_text(int x509_error) {
  const char* s = X509_verify_cert_error_string(x509_error);
  return s ? s : "certificate verification failed";
}

bool tls_name_matches(X509* cert, std::string_view name) {
  if (!cert) return false;
  std::string host = tls_host_name(name);
  if (is_ip_literal(host)) return X509_check_ip_asc(cert, host.c_str(), 0) == 1;
  return X509_check_host(cert, host.data(), host.size(), 0, nullptr) == 1;
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
