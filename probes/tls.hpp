#pragma once
// TLS helpers shared by the HTTPS, SMTP STARTTLS and IMAPS (Asio + OpenSSL) probes:
// a client context built from the probe context, a verify callback that records the leaf and the
// first verification error even when the handshake fails, and the certificate facts we report.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl.hpp>

#include "core/asio.hpp"
#include "core/handles.hpp"
#include "probes/probe.hpp"

namespace hc::probes {

// What the verify callback saw during one handshake.
struct tls_capture {
  x509_ptr leaf;       // the peer's leaf certificate, when it sent one
  int first_error = 0;  // first X509_V_ERR_* reported (X509_V_OK: the chain and name verified)
  int error_depth = -1;
  bool called = false;  // the callback ran at least once
};

// OpenSSL verify callback: records into the tls_capture attached to the SSL
// and returns preverify_ok unchanged, so the verification mode decides as usual.
extern "C" int tls_capture_verify_callback(int preverify_ok, X509_STORE_CTX* store) noexcept;

// Attaches a capture to a connection and installs tls_capture_verify_callback, keeping the
// current verify mode.
void tls_attach_capture(SSL* ssl, tls_capture* capture);

// The client context for (ctx.ca_file, ctx.insecure), shared by every probe of the process: trust
// anchors from ctx.ca_file (else the system store), peer verification on
// unless ctx.insecure. error is set (and verification will fail) when the CA file cannot be read.
std::shared_ptr<asio::ssl::context> tls_client_context(const probe_context& ctx, std::string& error);

// The host name a TLS client sends (SNI) and verifies for a DNS name: display_name(name), but empty
// for the root "." as for no name.
std::string tls_host_name(std::string_view name);

// Prepares an SSL connection for name: SNI, hostname verification, capture of the verify result.
void tls_prepare(SSL* ssl, const std::string& name, tls_capture* capture);

// Fingerprint (SHA-256, lower-case hex), subject, subjectAltName DNS names and notAfter of a certificate.
tls_outcome tls_describe(X509* cert);

// The outcome of a handshake from its capture: certificate facts plus verified/verify_error.
tls_outcome tls_outcome_from(const tls_capture& capture, const std::string& name);

// The TLS version a finished handshake negotiated, as OpenSSL names it ("TLSv1.3", "TLSv1.2");
// empty for a null SSL or a handshake that has not finished.
std::string tls_version(const SSL* ssl);

// OpenSSL's text for an X509_V_ERR_* code ("certificate has expired", "hostname mismatch").
std::string tls_verify_error_text(int x509_error);

// The one name rule of every TLS probe (HTTPS, SMTP STARTTLS, IMAPS): RFC 6125 as browsers apply
// it, the subjectAltName only (no fallback to the CN), wildcards only as a whole left-most label.
// Empty when cert carries name (or name is empty); else why not, naming what the certificate holds:
// "hostname mismatch: certificate names DNS:a.example, DNS:b.example; blog.example is not among them".
std::string tls_name_problem(X509* cert, std::string_view name);

// Whether cert carries name: tls_name_problem(cert, name) is empty.
bool tls_name_matches(X509* cert, std::string_view name);

// Makes a verification (an SSL's or a context's parameters) check name by the same rule during the
// handshake: the DNS name by the subjectAltName only, an IP literal as an IP address.
void tls_expect_name(X509_VERIFY_PARAM* param, const std::string& name);

// Whole days from now to not_after (negative when expired), rounded down.
std::int64_t tls_days_left(std::int64_t not_after, std::int64_t now);

// The unix time now (system clock).
std::int64_t unix_now();

// ", cert NAME valid N days" for a check's detail, plus " (not verified: why)" when it did not
// verify; empty when no certificate was seen.
std::string tls_detail(const std::optional<tls_outcome>& tls);

}  // namespace hc::probes
