#include "test_pki.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace hc::test {

namespace {

using x509_extension_ptr = std::unique_ptr<X509_EXTENSION, c_deleter<X509_EXTENSION_free>>;
using bio_ptr = std::unique_ptr<BIO, c_deleter<BIO_free_all>>;

evp_pkey_ptr make_key() {
  evp_pkey_ptr key{EVP_EC_gen("P-256")};
  if (!key) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  x509_extension_ptr ext{X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str())};
  if (!ext) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext.get(), -1);
}

long next_serial() {
  static std::atomic<long> serial{1000};
  return ++serial;
}

x509_ptr new_cert(EVP_PKEY* key, const std::string& cn, long from_days, long to_days) {
  x509_ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), next_serial());
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * 86400L);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

test_cert make_ca(const std::string& cn) {
  test_cert ca;
  ca.key = make_key();
  ca.cert = new_cert(ca.key.get(), cn, -1, 3650);
  X509_set_issuer_name(ca.cert.get(), X509_get_subject_name(ca.cert.get()));
  add_ext(ca.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.cert.get(), ca.cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca.cert.get(), ca.key.get(), EVP_sha256()) == 0) throw std::runtime_error("CA signing failed");
  return ca;
}

namespace {

test_cert signed_leaf(const test_cert& ca, const std::string& cn, const std::string& san, long from_days, long to_days) {
  test_cert leaf;
  leaf.key = make_key();
  leaf.cert = new_cert(leaf.key.get(), cn, from_days, to_days);
  X509_set_issuer_name(leaf.cert.get(), X509_get_subject_name(ca.cert.get()));
  add_ext(leaf.cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(leaf.cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid");
  if (!san.empty()) add_ext(leaf.cert.get(), ca.cert.get(), NID_subject_alt_name, san);
  if (X509_sign(leaf.cert.get(), ca.key.get(), EVP_sha256()) == 0) throw std::runtime_error("leaf signing failed");
  return leaf;
}

}  // namespace

test_cert make_leaf(const test_cert& ca, const std::vector<std::string>& names, long from_days, long to_days) {
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  return signed_leaf(ca, names.empty() ? "leaf" : names.front(), san, from_days, to_days);
}

test_cert make_leaf_cn(const test_cert& ca, const std::string& cn, const std::string& san) {
  return signed_leaf(ca, cn, san, -1, 365);
}

std::string write_pem(const test_cert& cert, const std::string& tag) {
  static std::atomic<int> counter{0};
  auto path = std::filesystem::temp_directory_path() /
              ("hc-svc-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".pem");
  bio_ptr bio{BIO_new(BIO_s_mem())};
  PEM_write_bio_X509(bio.get(), cert.cert.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  std::ofstream(path, std::ios::binary).write(data, n);
  return path.string();
}

void use_cert(SSL_CTX* ctx, const test_cert& leaf) {
  if (SSL_CTX_use_certificate(ctx, leaf.cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx, leaf.key.get()) != 1)
    throw std::runtime_error("cannot use the test certificate");
}

}  // namespace hc::test
