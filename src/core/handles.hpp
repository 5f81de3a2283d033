#pragma once
// Move-only RAII owners for the C handles the project uses; the only place that calls *_free.

#include <memory>

#include <cstdlib>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/ldns.hpp"

namespace hc {

template <auto Free>
struct c_deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) Free(p);
  }
};

using ldns_pkt_ptr = std::unique_ptr<ldns_pkt, c_deleter<ldns_pkt_free>>;
using ldns_rr_ptr = std::unique_ptr<ldns_rr, c_deleter<ldns_rr_free>>;
using ldns_rr_list_ptr = std::unique_ptr<ldns_rr_list, c_deleter<ldns_rr_list_deep_free>>;
using ldns_rdf_ptr = std::unique_ptr<ldns_rdf, c_deleter<ldns_rdf_deep_free>>;
using ldns_zone_ptr = std::unique_ptr<ldns_zone, c_deleter<ldns_zone_deep_free>>;
using ldns_buffer_ptr = std::unique_ptr<ldns_buffer, c_deleter<ldns_buffer_free>>;

using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, c_deleter<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, c_deleter<SSL_free>>;
using x509_ptr = std::unique_ptr<X509, c_deleter<X509_free>>;

// Frees a malloc'ed C string (ldns_*2str results).
struct free_deleter {
  void operator()(void* p) const noexcept { std::free(p); }
};
using c_string_ptr = std::unique_ptr<char, free_deleter>;

}  // namespace hc
