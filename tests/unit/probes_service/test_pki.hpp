#pragma once
// A throw-away PKI for the service probe tests: a CA and leaf certificates made with the OpenSSL
// API at test time (no files in the tree), and a PEM file of the CA for probe_context.ca_file.

#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "core/handles.hpp"

namespace hc::test {

using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, c_deleter<EVP_PKEY_free>>;

struct test_cert {
  evp_pkey_ptr key;
  x509_ptr cert;
};

// A self-signed CA named cn, valid from yesterday for ten years.
test_cert make_ca(const std::string& cn);

// A leaf signed by ca for the DNS names (the first is the CN), valid from now+from_days to now+to_days.
test_cert make_leaf(const test_cert& ca, const std::vector<std::string>& names, long from_days = -1, long to_days = 365);

// A leaf signed by ca with subject CN cn and the subjectAltName san in OpenSSL's syntax
// ("IP:127.0.0.1,DNS:x.test"); no subjectAltName extension at all when san is empty.
test_cert make_leaf_cn(const test_cert& ca, const std::string& cn, const std::string& san);

// Writes cert as PEM to a fresh file in the temp directory and returns its path.
std::string write_pem(const test_cert& cert, const std::string& tag);

// A server SSL_CTX (wrapped by Asio) serving leaf.
void use_cert(SSL_CTX* ctx, const test_cert& leaf);

}  // namespace hc::test
