// The service probes against real loopback servers (Asio + OpenSSL) on port 0, with a CA made at
// test time. Each broken server yields exactly its finding kind through service_compare.

#include <array>
#include <filesystem>
#include <memory>
#include <optional>

#include <boost/asio/ssl.hpp>
#include <doctest/doctest.h>

#include "check/service_compare.hpp"
#include "core/asio.hpp"
#include "probes/https.hpp"
#include "probes/imaps.hpp"
#include "probes/smtp.hpp"
#include "probes/tcp.hpp"
#include "probes/tls.hpp"
#include "test_pki.hpp"

using namespace hc;
using namespace hc::probes;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;

namespace {

using ssl_context_ptr = std::shared_ptr<ssl::context>;

ssl_context_ptr server_context(const test::test_cert& leaf) {
  auto c = std::make_shared<ssl::context>(ssl::context::tls_server);
  test::use_cert(c->native_handle(), leaf);
  return c;
}

tcp::acceptor listen_on(asio::io_context& io, const char* address) {
  return tcp::acceptor(io, tcp::endpoint(asio::ip::make_address(address), 0));
}

ip_endpoint endpoint_of(const tcp::acceptor& a) {
  auto ep = a.local_endpoint();
  return ip_endpoint{*ip_address::parse(ep.address().to_string()), ep.port()};
}

template <typename Stream>
asio::awaitable<void> send(Stream& s, std::string text) {
  co_await asio::async_write(s, asio::buffer(text), asio::use_awaitable);
}

template <typename Stream>
asio::awaitable<std::string> read_line(Stream& s, std::string& buf) {
  std::size_t n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\n", asio::use_awaitable);
  std::string line = buf.substr(0, n);
  buf.erase(0, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  co_return line;
}

// HTTP(S) server answering every request with status; plain HTTP when tls is null.
asio::awaitable<void> http_session(tcp::socket sock, ssl_context_ptr tls, int status, std::string tag) {
  try {
    std::string buf;
    std::string peer = sock.remote_endpoint().address().to_string();
    std::string response = "HTTP/1.1 " + std::to_string(status) + " Test\r\nServer: test-" + tag +
                           "\r\nX-Client-Address: " + peer + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    if (tls) {
      ssl::stream<tcp::socket> s(std::move(sock), *tls);
      co_await s.async_handshake(ssl::stream_base::server, asio::use_awaitable);
      co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
      co_await send(s, response);
      boost::system::error_code ec;
      s.lowest_layer().shutdown(tcp::socket::shutdown_send, ec);
      co_await asio::async_read(s, asio::dynamic_buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
      co_await send(sock, response);
    }
  } catch (...) {
  }
}

asio::awaitable<void> http_server(tcp::acceptor acc, ssl_context_ptr tls, int status, std::string tag) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      asio::co_spawn(acc.get_executor(), http_session(std::move(sock), tls, status, tag), asio::detached);
    }
  } catch (...) {
  }
}

// Accepts and never says a word; the connections stay open.
asio::awaitable<void> silent_server(tcp::acceptor acc, std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    for (;;) keep->push_back(co_await acc.async_accept(asio::use_awaitable));
  } catch (...) {
  }
}

// Accepts and resets at once (SO_LINGER 0).
asio::awaitable<void> reset_server(tcp::acceptor acc) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      sock.set_option(tcp::socket::linger(true, 0));
      sock.close();
    }
  } catch (...) {
  }
}

struct smtp_config {
  std::string banner = "220-mail.test ESMTP test\r\n220 second greeting line\r\n";
  std::string host = "mail.test";
  bool starttls = true;
};

// Runs SMTP commands until QUIT (returns false) or STARTTLS (returns true).
template <typename Stream>
asio::awaitable<bool> smtp_dialog(Stream& s, std::string& buf, const smtp_config& cfg, bool in_tls) {
  for (;;) {
    auto line = co_await read_line(s, buf);
    auto cmd = line.substr(0, 8);
    for (auto& c : cmd) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (cmd.starts_with("EHLO")) {
      std::string reply = "250-" + cfg.host + " hello\r\n250-PIPELINING\r\n";
      if (cfg.starttls && !in_tls) reply += "250-STARTTLS\r\n";
      reply += "250 8BITMIME\r\n";
      co_await send(s, reply);
    } else if (cmd.starts_with("STARTTLS") && cfg.starttls && !in_tls) {
      co_await send(s, "220 2.0.0 Ready to start TLS\r\n");
      co_return true;
    } else if (cmd.starts_with("QUIT")) {
      co_await send(s, "221 2.0.0 Bye\r\n");
      co_return false;
    } else {
      co_await send(s, "502 5.5.2 Error: command not recognized\r\n");
    }
  }
}

asio::awaitable<void> smtp_session(tcp::socket sock, ssl_context_ptr tls, smtp_config cfg) {
  try {
    std::string buf;
    co_await send(sock, cfg.banner);
    if (!co_await smtp_dialog(sock, buf, cfg, false)) co_return;
    ssl::stream<tcp::socket> s(std::move(sock), *tls);
    co_await s.async_handshake(ssl::stream_base::server, asio::use_awaitable);
    buf.clear();
    co_await smtp_dialog(s, buf, cfg, true);
  } catch (...) {
  }
}

asio::awaitable<void> smtp_server(tcp::acceptor acc, ssl_context_ptr tls, smtp_config cfg) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      asio::co_spawn(acc.get_executor(), smtp_session(std::move(sock), tls, cfg), asio::detached);
    }
  } catch (...) {
  }
}

// Sends an endless SMTP banner (far beyond the parser's bound), then holds the connection.
asio::awaitable<void> endless_banner_server(tcp::acceptor acc, std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      std::string lines;
      for (int i = 0; i < 500; ++i) lines += "220-still greeting you\r\n";
      co_await send(sock, lines);
      keep->push_back(std::move(sock));
    }
  } catch (...) {
  }
}

// Drips text one byte per interval, then holds the connection: a peer that is alive but hopeless.
asio::awaitable<void> drip_session(tcp::socket sock, std::string text, std::chrono::milliseconds interval,
                                   std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    asio::steady_timer t(sock.get_executor());
    for (char c : text) {
      co_await asio::async_write(sock, asio::buffer(&c, 1), asio::use_awaitable);
      t.expires_after(interval);
      co_await t.async_wait(asio::use_awaitable);
    }
    keep->push_back(std::move(sock));
  } catch (...) {
  }
}

asio::awaitable<void> drip_server(tcp::acceptor acc, std::string text, std::chrono::milliseconds interval,
                                  std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      asio::co_spawn(acc.get_executor(), drip_session(std::move(sock), text, interval, keep), asio::detached);
    }
  } catch (...) {
  }
}

// Reads the ClientHello, answers with the first bytes of a ServerHello record, and stalls there.
// With smtp set, it first plays SMTP up to STARTTLS.
asio::awaitable<void> stalled_tls_session(tcp::socket sock, std::optional<smtp_config> smtp,
                                          std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    if (smtp) {
      std::string buf;
      co_await send(sock, smtp->banner);
      if (!co_await smtp_dialog(sock, buf, *smtp, false)) co_return;
    }
    std::array<char, 4096> hello{};
    co_await sock.async_read_some(asio::buffer(hello), asio::use_awaitable);
    // A handshake record header announcing 122 bytes, and only the first 4 of them.
    static const unsigned char partial[] = {0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76};
    co_await asio::async_write(sock, asio::buffer(partial, sizeof partial), asio::use_awaitable);
    keep->push_back(std::move(sock));
  } catch (...) {
  }
}

asio::awaitable<void> stalled_tls_server(tcp::acceptor acc, std::optional<smtp_config> smtp,
                                         std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      asio::co_spawn(acc.get_executor(), stalled_tls_session(std::move(sock), smtp, keep), asio::detached);
    }
  } catch (...) {
  }
}

asio::awaitable<void> imaps_session(tcp::socket sock, ssl_context_ptr tls, std::string greeting) {
  try {
    ssl::stream<tcp::socket> s(std::move(sock), *tls);
    co_await s.async_handshake(ssl::stream_base::server, asio::use_awaitable);
    co_await send(s, greeting);
    std::string buf;
    for (;;) {
      auto line = co_await read_line(s, buf);
      auto sp = line.find(' ');
      auto tag = line.substr(0, sp);
      auto cmd = sp == std::string::npos ? std::string() : line.substr(sp + 1);
      if (cmd == "CAPABILITY") {
        co_await send(s, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + " OK Capability completed.\r\n");
      } else if (cmd == "LOGOUT") {
        co_await send(s, "* BYE Logging out\r\n" + tag + " OK Logout completed.\r\n");
        co_return;
      } else {
        co_await send(s, tag + " BAD unknown\r\n");
      }
    }
  } catch (...) {
  }
}

asio::awaitable<void> imaps_server(tcp::acceptor acc, ssl_context_ptr tls, std::string greeting) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      asio::co_spawn(acc.get_executor(), imaps_session(std::move(sock), tls, greeting), asio::detached);
    }
  } catch (...) {
  }
}

// Everything one test needs: a CA, its PEM file, an event loop.
struct lab {
  test::test_cert ca = test::make_ca("hairpin-check test CA");
  std::string ca_file = test::write_pem(ca, "ca");
  std::shared_ptr<std::vector<tcp::socket>> kept = std::make_shared<std::vector<tcp::socket>>();
  asio::io_context io;
  probe_context ctx;

  lab() {
    ctx.executor = io.get_executor();
    ctx.ca_file = ca_file;
  }
  ~lab() {
    kept->clear();
    std::error_code ignored;
    std::filesystem::remove(ca_file, ignored);
  }

  ssl_context_ptr tls_for(const std::vector<std::string>& names, long from_days = -1, long to_days = 365) {
    return server_context(test::make_leaf(ca, names, from_days, to_days));
  }

  template <typename Awaitable>
  void spawn(Awaitable a) {
    asio::co_spawn(io, std::move(a), asio::detached);
  }

  probe_request request(std::string name, std::string service, ip_endpoint target,
                        std::chrono::milliseconds timeout = 2000ms) {
    probe_request r;
    r.name = std::move(name);
    r.service = std::move(service);
    r.path = "hairpin";
    r.target = target;
    r.deadline = clock::now() + timeout;  // the caller owns the deadline
    return r;
  }

  // Runs the probes at once until all are done (bounded), returns their results in order.
  std::vector<probe_result> run_all(const probe_fn& probe, const std::vector<probe_request>& requests) {
    std::vector<std::optional<probe_result>> out(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      asio::co_spawn(
          io, [&, i]() -> asio::awaitable<void> { out[i] = co_await probe(ctx, requests[i]); }, asio::detached);
    }
    auto end = clock::now() + 10s;
    auto all_done = [&] {
      for (auto& o : out)
        if (!o) return false;
      return true;
    };
    while (!all_done() && clock::now() < end) {
      if (io.stopped()) io.restart();
      io.run_one_for(50ms);
    }
    std::vector<probe_result> results;
    for (auto& o : out) {
      REQUIRE(o.has_value());
      results.push_back(std::move(*o));
    }
    return results;
  }

  probe_result run(const probe_fn& probe, const probe_request& request) { return run_all(probe, {request}).front(); }
};

std::vector<finding> findings_of(const probe_result& r) {
  return check::compare_service(&r, nullptr);
}

void check_single_finding(const probe_result& r, const std::string& kind_name, const std::string& stage) {
  const auto kind = hc::kind_from_name(kind_name).value();
  INFO("detail: " << r.check.detail << ", stage " << r.check.stage << ", failure " << r.failure.value_or(kind));
  CHECK_FALSE(r.check.ok);
  CHECK(r.failure == kind);
  CHECK(r.check.stage == stage);
  CHECK_FALSE(r.hint.empty());
  auto f = findings_of(r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == kind);
  CHECK(f[0].sev == severity::critical);
}

void check_no_finding(const probe_result& r) {
  INFO("detail: " << r.check.detail << ", stage " << r.check.stage << ", failed " << r.failure.has_value());
  CHECK(r.check.ok);
  CHECK_FALSE(r.failure.has_value());
  CHECK(r.check.stage == "done");
  CHECK(findings_of(r).empty());
}

}  // namespace

TEST_CASE("https probe: valid certificate via ca_file, pinned address, SNI and Host") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}), 200, "a"));
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  check_no_finding(r);
  CHECK(r.http_status == 200);
  CHECK(r.banner == "test-a");
  CHECK(r.facts["server"] == "test-a");
  CHECK(r.facts["x-client-address"] == "127.0.0.1");
  REQUIRE(r.tls);
  CHECK(r.tls->verified);
  CHECK(r.tls->fingerprint_sha256.size() == 64);
  CHECK(r.tls->subject == "CN=www.test");
  CHECK(r.tls->names == std::vector<std::string>{"www.test"});
  REQUIRE(r.check.cert_not_after);
  CHECK(tls_days_left(*r.check.cert_not_after, unix_now()) >= 363);
  CHECK(r.check.detail.find("HTTP 200, cert www.test valid 36") == 0);
  CHECK(r.check.address == "127.0.0.1");
  CHECK(r.check.port == target.port);
  std::vector<std::string> phases;
  for (const auto& p : r.check.phases) phases.push_back(p.phase);
  CHECK(phases == std::vector<std::string>{"connect", "tls", "processing", "transfer"});
  CHECK(r.check.tls_version == "TLSv1.3");  // what OpenSSL 3 negotiates by default
}

TEST_CASE("https probe: wrong name is tls-verify (hostname mismatch)") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}), 200, "a"));
  auto r = l.run(probe_https, l.request("other.test", "https", target));
  check_single_finding(r, "tls-verify", "tls");
  REQUIRE(r.tls);
  CHECK_FALSE(r.tls->verified);
  CHECK(r.tls->verify_error == "hostname mismatch: certificate names DNS:www.test; other.test is not among them");
  CHECK(r.check.detail.find("hostname mismatch") != std::string::npos);
}

TEST_CASE("https probe: expired certificate is tls-verify") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}, -30, -1), 200, "a"));
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  check_single_finding(r, "tls-verify", "tls");
  REQUIRE(r.tls);
  CHECK(r.tls->verify_error == "certificate has expired");
  REQUIRE(r.check.cert_not_after);
  CHECK(tls_days_left(*r.check.cert_not_after, unix_now()) < 0);
}

TEST_CASE("https probe: a certificate from an unknown CA is tls-verify without ca_file") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}), 200, "a"));
  l.ctx.ca_file.clear();  // the system store does not know the test CA
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  check_single_finding(r, "tls-verify", "tls");
  CHECK(r.tls->verify_error.find("local issuer") != std::string::npos);
}

TEST_CASE("https probe: status 500 is bad-status; an expected status set is honoured") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}), 500, "a"));
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  check_single_finding(r, "bad-status", "response");
  CHECK(r.http_status == 500);
  CHECK(r.check.detail.find("HTTP 500") == 0);

  auto req = l.request("www.test", "https", target);
  req.expected_status = {500, 503};
  check_no_finding(l.run(probe_https, req));
}

TEST_CASE("http probe: plain HTTP with Host and the server's facts") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), nullptr, 301, "plain"));
  auto r = l.run(probe_http, l.request("www.test", "http", target));
  check_no_finding(r);
  CHECK(r.http_status == 301);
  CHECK_FALSE(r.tls);
  CHECK(r.banner == "test-plain");
}

TEST_CASE("https probe: different certificates on two addresses are different-backend") {
  lab l;
  auto a = listen_on(l.io, "127.0.0.2");
  auto b = listen_on(l.io, "127.0.0.3");
  auto ta = endpoint_of(a);
  auto tb = endpoint_of(b);
  l.spawn(http_server(std::move(a), l.tls_for({"www.test"}), 200, "router"));
  l.spawn(http_server(std::move(b), l.tls_for({"www.test"}), 200, "server"));
  auto hp = l.request("www.test", "https", ta);
  auto direct = l.request("www.test", "https", tb);
  direct.path = "direct";
  auto results = l.run_all(probe_https, {hp, direct});
  check_no_finding(results[0]);
  check_no_finding(results[1]);
  auto f = check::compare_service(&results[0], &results[1]);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::different_backend);
  CHECK(f[0].evidence.find(results[0].tls->fingerprint_sha256.substr(0, 16)) != std::string::npos);
  CHECK(f[0].evidence.find(results[1].tls->fingerprint_sha256.substr(0, 16)) != std::string::npos);

  // The same server on both paths: nothing to report.
  auto again = l.run_all(probe_https, {hp, hp});
  CHECK(check::compare_service(&again[0], &again[1]).empty());
}

TEST_CASE("https probe: a reset during the handshake is reset") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(reset_server(std::move(acc)));
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  CHECK(r.failure == hc::finding_kind::reset);
  auto f = findings_of(r);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::reset);
}

TEST_CASE("https probe: closed port is refused") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  acc.close();
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  check_single_finding(r, "refused", "connect");
}

TEST_CASE("https probe: concurrent probes against a silent server time out together, not one after another") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(silent_server(std::move(acc), l.kept));
  std::vector<probe_request> reqs(4, l.request("www.test", "https", target, 700ms));
  auto start = clock::now();
  auto results = l.run_all(probe_https, reqs);
  auto took = clock::now() - start;
  CHECK(took < 2000ms);  // four serial timeouts would take 2.8 s
  for (const auto& r : results) check_single_finding(r, "timeout", "tls");
}

TEST_CASE("smtp probe: banner, EHLO, STARTTLS, verified certificate") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(smtp_server(std::move(acc), l.tls_for({"mail.test"}), smtp_config{}));
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target));
  check_no_finding(r);
  CHECK(r.banner == "220 mail.test ESMTP test");
  CHECK(r.facts["banner_host"] == "mail.test");
  REQUIRE(r.tls);
  CHECK(r.tls->verified);
  CHECK(r.check.detail.find("220 mail.test, STARTTLS ok, cert mail.test valid") == 0);
  CHECK(r.check.tls_version == "TLSv1.3");
}

TEST_CASE("smtp probe: the certificate must carry the checked name") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(smtp_server(std::move(acc), l.tls_for({"mx.elsewhere.test"}), smtp_config{}));
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target));
  check_single_finding(r, "tls-verify", "tls");
  CHECK(r.tls->verify_error == "hostname mismatch: certificate names DNS:mx.elsewhere.test; mail.test is not among them");
}

TEST_CASE("smtp probe: no STARTTLS offered is no-starttls") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  smtp_config cfg;
  cfg.starttls = false;
  l.spawn(smtp_server(std::move(acc), l.tls_for({"mail.test"}), cfg));
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target));
  check_single_finding(r, "no-starttls", "ehlo");
  CHECK(r.facts["banner_host"] == "mail.test");
}

TEST_CASE("smtp probe: a server that accepts and never speaks times out at stage banner, bounded") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(silent_server(std::move(acc), l.kept));
  auto start = clock::now();
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target, 800ms));
  auto took = clock::now() - start;
  check_single_finding(r, "timeout", "banner");
  CHECK(took >= 700ms);
  CHECK(took < 1500ms);
  CHECK(r.check.duration_s < 1.5);
}

TEST_CASE("smtp probe: an endless banner is bad-banner, cut off") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(endless_banner_server(std::move(acc), l.kept));
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target));
  check_single_finding(r, "bad-banner", "banner");
  CHECK(r.check.detail.find("lines") != std::string::npos);
}

TEST_CASE("smtp probe: a non-220 greeting is bad-banner") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  smtp_config cfg;
  cfg.banner = "554 5.3.2 mail.test no service for you\r\n";
  l.spawn(smtp_server(std::move(acc), l.tls_for({"mail.test"}), cfg));
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target));
  check_single_finding(r, "bad-banner", "banner");
  CHECK(r.banner.find("554") == 0);
}

TEST_CASE("smtp probe: a server that resets is reset; a closed port is refused") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(reset_server(std::move(acc)));
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target));
  check_single_finding(r, "reset", "banner");

  auto closed = listen_on(l.io, "127.0.0.1");
  auto closed_target = endpoint_of(closed);
  closed.close();
  check_single_finding(l.run(probe_smtp, l.request("mail.test", "smtp", closed_target)), "refused", "connect");
}

TEST_CASE("smtp probe: different banner hosts on two addresses are different-backend") {
  lab l;
  auto a = listen_on(l.io, "127.0.0.2");
  auto b = listen_on(l.io, "127.0.0.3");
  auto ta = endpoint_of(a);
  auto tb = endpoint_of(b);
  auto tls = l.tls_for({"mail.test"});
  smtp_config router;
  router.banner = "220 router.test ESMTP\r\n";
  router.host = "router.test";
  l.spawn(smtp_server(std::move(a), tls, router));
  l.spawn(smtp_server(std::move(b), tls, smtp_config{}));
  auto hp = l.request("mail.test", "smtp", ta);
  auto direct = l.request("mail.test", "smtp", tb);
  direct.path = "direct";
  auto results = l.run_all(probe_smtp, {hp, direct});
  check_no_finding(results[0]);
  check_no_finding(results[1]);
  auto f = check::compare_service(&results[0], &results[1]);
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == hc::finding_kind::different_backend);
  CHECK(f[0].evidence.find("router.test") != std::string::npos);
}

TEST_CASE("imaps probe: TLS, greeting, CAPABILITY, LOGOUT") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(imaps_server(std::move(acc), l.tls_for({"mail.test"}), "* OK [CAPABILITY IMAP4rev1] Test IMAP ready.\r\n"));
  auto r = l.run(probe_imaps, l.request("mail.test", "imaps", target));
  check_no_finding(r);
  CHECK(r.banner == "OK [CAPABILITY IMAP4rev1] Test IMAP ready.");
  CHECK(r.facts["capabilities"] == "IMAP4REV1 AUTH=PLAIN");
  REQUIRE(r.tls);
  CHECK(r.tls->verified);
  CHECK(r.check.tls_version == "TLSv1.3");
}

TEST_CASE("https, smtp and imaps probes record the TLS version the server negotiated, not a constant") {
  lab l;
  // Servers that stop at TLS 1.2.
  auto tls12 = [&](const char* name) {
    auto c = l.tls_for({name});
    SSL_CTX_set_max_proto_version(c->native_handle(), TLS1_2_VERSION);
    return c;
  };
  auto https_acc = listen_on(l.io, "127.0.0.1");
  auto https_target = endpoint_of(https_acc);
  l.spawn(http_server(std::move(https_acc), tls12("www.test"), 200, "a"));
  auto smtp_acc = listen_on(l.io, "127.0.0.1");
  auto smtp_target = endpoint_of(smtp_acc);
  l.spawn(smtp_server(std::move(smtp_acc), tls12("mail.test"), smtp_config{}));
  auto imaps_acc = listen_on(l.io, "127.0.0.1");
  auto imaps_target = endpoint_of(imaps_acc);
  l.spawn(imaps_server(std::move(imaps_acc), tls12("mail.test"), "* OK [CAPABILITY IMAP4rev1] Test IMAP ready.\r\n"));
  const auto https = l.run(probe_https, l.request("www.test", "https", https_target));
  check_no_finding(https);
  CHECK(https.check.tls_version == "TLSv1.2");
  const auto smtp = l.run(probe_smtp, l.request("mail.test", "smtp", smtp_target));
  check_no_finding(smtp);
  CHECK(smtp.check.tls_version == "TLSv1.2");
  const auto imaps = l.run(probe_imaps, l.request("mail.test", "imaps", imaps_target));
  check_no_finding(imaps);
  CHECK(imaps.check.tls_version == "TLSv1.2");
}

TEST_CASE("a TLS probe whose handshake fails records no TLS version") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}), 200, "a"));
  const auto r = l.run(probe_https, l.request("other.test", "https", target));
  CHECK(r.failure);
  CHECK(r.check.tls_version.empty());
}

TEST_CASE("imaps probe: a bad greeting is bad-banner") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(imaps_server(std::move(acc), l.tls_for({"mail.test"}), "+OK POP3 server ready\r\n"));
  auto r = l.run(probe_imaps, l.request("mail.test", "imaps", target));
  check_single_finding(r, "bad-banner", "greeting");
}

TEST_CASE("imaps probe: expired certificate is tls-verify") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(imaps_server(std::move(acc), l.tls_for({"mail.test"}, -10, -2), "* OK ready\r\n"));
  auto r = l.run(probe_imaps, l.request("mail.test", "imaps", target));
  check_single_finding(r, "tls-verify", "tls");
  CHECK(r.tls->verify_error == "certificate has expired");
}

namespace {

// Runs the HTTPS, SMTP (STARTTLS) and IMAPS probes for name against servers showing leaf.
std::vector<probe_result> probe_all_tls(lab& l, const test::test_cert& leaf, const std::string& name) {
  std::vector<probe_result> out;
  {
    auto acc = listen_on(l.io, "127.0.0.1");
    auto target = endpoint_of(acc);
    l.spawn(http_server(std::move(acc), server_context(leaf), 200, "a"));
    out.push_back(l.run(probe_https, l.request(name, "https", target)));
  }
  {
    auto acc = listen_on(l.io, "127.0.0.1");
    auto target = endpoint_of(acc);
    l.spawn(smtp_server(std::move(acc), server_context(leaf), smtp_config{}));
    out.push_back(l.run(probe_smtp, l.request(name, "smtp", target)));
  }
  {
    auto acc = listen_on(l.io, "127.0.0.1");
    auto target = endpoint_of(acc);
    l.spawn(imaps_server(std::move(acc), server_context(leaf), "* OK ready\r\n"));
    out.push_back(l.run(probe_imaps, l.request(name, "imaps", target)));
  }
  return out;
}

}  // namespace

TEST_CASE("https, smtp and imaps probes: the name only in the CN, beside an IP subjectAltName, is tls-verify for all three") {
  lab l;
  auto leaf = test::make_leaf_cn(l.ca, "mail.test", "IP:127.0.0.1");
  for (const auto& r : probe_all_tls(l, leaf, "mail.test")) {
    INFO("service " << r.check.service);
    check_single_finding(r, "tls-verify", "tls");
    REQUIRE(r.tls);
    CHECK_FALSE(r.tls->verified);
    CHECK(r.tls->verify_error == "hostname mismatch: certificate names IP:127.0.0.1; mail.test is not among them");
    CHECK(r.check.detail.find("certificate names IP:127.0.0.1; mail.test is not among them") != std::string::npos);
  }
}

TEST_CASE("https, smtp and imaps probes: a certificate without subjectAltName is tls-verify for all three") {
  lab l;
  auto leaf = test::make_leaf_cn(l.ca, "mail.test", "");
  for (const auto& r : probe_all_tls(l, leaf, "mail.test")) {
    INFO("service " << r.check.service);
    check_single_finding(r, "tls-verify", "tls");
    REQUIRE(r.tls);
    CHECK(r.tls->verify_error ==
          "hostname mismatch: the certificate has no subjectAltName: the name only in the CN is not accepted");
  }
}

TEST_CASE("https, smtp and imaps probes: the same mismatch reason lists the certificate's names") {
  lab l;
  auto leaf = test::make_leaf(l.ca, {"a.test", "b.test"});
  for (const auto& r : probe_all_tls(l, leaf, "blog.test")) {
    INFO("service " << r.check.service);
    check_single_finding(r, "tls-verify", "tls");
    REQUIRE(r.tls);
    CHECK(r.tls->verify_error == "hostname mismatch: certificate names DNS:a.test, DNS:b.test; blog.test is not among them");
  }
  for (const auto& r : probe_all_tls(l, leaf, "b.test")) {
    INFO("service " << r.check.service);
    check_no_finding(r);
  }
}

TEST_CASE("tls_name_problem: subjectAltName only, wildcards as a whole left-most label") {
  lab l;
  auto wild = test::make_leaf(l.ca, {"*.example.test"});
  CHECK(tls_name_problem(wild.cert.get(), "www.example.test").empty());
  CHECK(tls_name_problem(wild.cert.get(), "www.example.test.").empty());
  CHECK_FALSE(tls_name_problem(wild.cert.get(), "a.b.example.test").empty());
  auto cn_only = test::make_leaf_cn(l.ca, "www.test", "");
  CHECK_FALSE(tls_name_matches(cn_only.cert.get(), "www.test"));
  auto ip = test::make_leaf_cn(l.ca, "www.test", "IP:192.0.2.1");
  CHECK(tls_name_problem(ip.cert.get(), "192.0.2.1").empty());
  CHECK_FALSE(tls_name_matches(ip.cert.get(), "www.test"));
}

TEST_CASE("tcp probe: open port works, closed port is refused") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(silent_server(std::move(acc), l.kept));
  auto req = l.request("www.test", "tcp/" + std::to_string(target.port), target);
  auto r = l.run(probe_tcp, req);
  check_no_finding(r);
  CHECK(r.check.service == "tcp/" + std::to_string(target.port));
  REQUIRE(r.check.phases.size() == 1);
  CHECK(r.check.phases[0].phase == "connect");

  auto closed = listen_on(l.io, "127.0.0.1");
  auto closed_target = endpoint_of(closed);
  closed.close();
  check_single_finding(l.run(probe_tcp, l.request("www.test", "tcp/1", closed_target)), "refused", "connect");
}

TEST_CASE("https probe: insecure accepts an expired certificate but says it is not verified") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(http_server(std::move(acc), l.tls_for({"www.test"}, -30, -1), 200, "a"));
  l.ctx.insecure = true;
  auto r = l.run(probe_https, l.request("www.test", "https", target));
  CHECK(r.check.ok);
  CHECK_FALSE(r.failure.has_value());
  REQUIRE(r.tls);
  CHECK_FALSE(r.tls->verified);
  // The insecure context still holds the trust anchors: the reason is the real one, not the issuer.
  CHECK(r.tls->verify_error == "certificate has expired");
  CHECK(r.check.detail.find("(not verified: ") != std::string::npos);
}

TEST_CASE("https and smtp probes over IPv6 loopback") {
  lab l;
  auto web = listen_on(l.io, "::1");
  auto mail = listen_on(l.io, "::1");
  auto web_target = endpoint_of(web);
  auto mail_target = endpoint_of(mail);
  l.spawn(http_server(std::move(web), l.tls_for({"www.test"}), 200, "v6"));
  l.spawn(smtp_server(std::move(mail), l.tls_for({"mail.test"}), smtp_config{}));
  auto r = l.run(probe_https, l.request("www.test", "https", web_target));
  check_no_finding(r);
  CHECK(r.check.address == "::1");
  CHECK(r.facts["x-client-address"] == "::1");
  check_no_finding(l.run(probe_smtp, l.request("mail.test", "smtp", mail_target)));
}

// A peer that drips a byte a second, and a TLS handshake that stalls half way: each probe ends on
// its own timer with a timeout at the stage where the peer stopped, never later.
void check_bounded_timeout(const probe_result& r, const std::string& stage, clock::duration took,
                           std::chrono::milliseconds timeout) {
  check_single_finding(r, "timeout", stage);
  CHECK(took >= timeout - 100ms);
  CHECK(took < timeout + 700ms);
}

TEST_CASE("smtp probe: a banner dripped a byte a second times out at stage banner, bounded") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(drip_server(std::move(acc), "220 mail.test ESMTP dripping\r\n", 1000ms, l.kept));
  auto start = clock::now();
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target, 1500ms));
  check_bounded_timeout(r, "banner", clock::now() - start, 1500ms);
  // The report tells a dripping peer from a silent one.
  CHECK(r.check.detail.find("waiting for the 220 banner: only ") == 0);
  CHECK(r.check.detail.find("and no complete reply after 1.") != std::string::npos);
  CHECK(r.check.detail.find("('2") != std::string::npos);
}

TEST_CASE("https probe: a response dripped a byte a second times out, bounded") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  // Plain HTTP so the drip reaches the HTTP parser byte by byte.
  l.spawn(drip_server(std::move(acc), "HTTP/1.1 200 OK\r\nServer: drip\r\nContent-Length: 2\r\n\r\nok", 1000ms,
                      l.kept));
  auto start = clock::now();
  auto r = l.run(probe_http, l.request("www.test", "http", target, 1500ms));
  check_bounded_timeout(r, "response", clock::now() - start, 1500ms);
}

TEST_CASE("imaps probe: a greeting dripped a byte a second after TLS times out at stage greeting") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  auto tls = l.tls_for({"mail.test"});
  auto keep = l.kept;
  l.spawn([](tcp::acceptor acc, ssl_context_ptr tls, std::shared_ptr<std::vector<tcp::socket>> keep)
              -> asio::awaitable<void> {
    try {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      auto s = std::make_shared<ssl::stream<tcp::socket>>(std::move(sock), *tls);
      co_await s->async_handshake(ssl::stream_base::server, asio::use_awaitable);
      asio::steady_timer t(acc.get_executor());
      for (char c : std::string("* OK dripping\r\n")) {
        co_await asio::async_write(*s, asio::buffer(&c, 1), asio::use_awaitable);
        t.expires_after(1000ms);
        co_await t.async_wait(asio::use_awaitable);
      }
    } catch (...) {
    }
    (void)keep;
  }(std::move(acc), tls, keep));
  auto start = clock::now();
  auto r = l.run(probe_imaps, l.request("mail.test", "imaps", target, 1500ms));
  check_bounded_timeout(r, "greeting", clock::now() - start, 1500ms);
  CHECK(r.check.detail.find("only ") != std::string::npos);
}

TEST_CASE("https, imaps and smtp (STARTTLS) probes: a TLS handshake that stalls half way times out at stage tls, bounded") {
  struct each {
    const char* service;
    probe_fn probe;
    std::optional<smtp_config> smtp;  // the plain dialog before the handshake
  };
  // (No structured binding: clang 14 cannot capture one in CAPTURE's lambda.)
  for (const each& e : {each{"https", probe_https, std::nullopt}, each{"imaps", probe_imaps, std::nullopt},
                        each{"smtp", probe_smtp, smtp_config{}}}) {
    CAPTURE(e.service);
    lab l;
    auto acc = listen_on(l.io, "127.0.0.1");
    auto target = endpoint_of(acc);
    l.spawn(stalled_tls_server(std::move(acc), e.smtp, l.kept));
    auto start = clock::now();
    auto r = l.run(e.probe, l.request("mail.test", e.service, target, 1200ms));
    check_bounded_timeout(r, "tls", clock::now() - start, 1200ms);
  }
}

namespace {

// Writes head once, then line every interval for as long as the connection lasts: a peer that
// keeps the probe's socket readable with a reply that never ends (under the parsers' bounds).
template <typename Stream>
asio::awaitable<void> stream_forever(Stream& s, std::string head, std::string line, std::chrono::milliseconds interval) {
  co_await send(s, head);
  asio::steady_timer t(s.get_executor());
  for (;;) {
    co_await send(s, line);
    t.expires_after(interval);
    co_await t.async_wait(asio::use_awaitable);
  }
}

void check_endless_peer(const probe_result& r, const std::string& stage, clock::duration took,
                        std::chrono::milliseconds timeout) {
  INFO("detail: " << r.check.detail << ", stage " << r.check.stage);
  CHECK(r.failure == hc::finding_kind::timeout);
  CHECK(r.check.stage == stage);
  CHECK(took < timeout + 500ms);
  CHECK(r.check.duration_s >= std::chrono::duration<double>(timeout).count() - 0.05);
  CHECK(r.check.duration_s < std::chrono::duration<double>(timeout + 500ms).count());
}

}  // namespace

TEST_CASE("smtp probe: endless banner continuation lines end at the deadline as a timeout") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn([](tcp::acceptor acc) -> asio::awaitable<void> {
    try {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      co_await stream_forever(sock, "220-mail.test ESMTP\r\n", "220-still greeting you\r\n", 8ms);
    } catch (...) {
    }
  }(std::move(acc)));
  auto start = clock::now();
  auto r = l.run(probe_smtp, l.request("mail.test", "smtp", target, 500ms));
  check_endless_peer(r, "banner", clock::now() - start, 500ms);
}

TEST_CASE("imaps probe: endless untagged lines after CAPABILITY end at the deadline as a timeout") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn([](tcp::acceptor acc, ssl_context_ptr tls) -> asio::awaitable<void> {
    try {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      ssl::stream<tcp::socket> s(std::move(sock), *tls);
      co_await s.async_handshake(ssl::stream_base::server, asio::use_awaitable);
      co_await send(s, "* OK ready\r\n");
      std::string buf;
      co_await read_line(s, buf);
      co_await stream_forever(s, "", "* OK still thinking\r\n", 8ms);
    } catch (...) {
    }
  }(std::move(acc), l.tls_for({"mail.test"})));
  auto start = clock::now();
  auto r = l.run(probe_imaps, l.request("mail.test", "imaps", target, 700ms));
  check_endless_peer(r, "capability", clock::now() - start, 700ms);
}

TEST_CASE("http probe: a response body streamed forever ends at the deadline as a timeout") {
  lab l;
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn([](tcp::acceptor acc) -> asio::awaitable<void> {
    try {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      std::string buf;
      co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
      co_await stream_forever(sock, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "10\r\n0123456789abcdef\r\n",
                              1ms);
    } catch (...) {
    }
  }(std::move(acc)));
  auto start = clock::now();
  auto r = l.run(probe_http, l.request("www.test", "http", target, 500ms));
  check_endless_peer(r, "response", clock::now() - start, 500ms);
}

TEST_CASE("https, http, smtp, imaps and tcp probes: no route from this host is not-checked, never the server's") {
  // TCP to a multicast address: the kernel refuses it before anything leaves (ENETUNREACH).
  const ip_endpoint unroutable{*ip_address::parse("224.0.0.1"), 443};
  for (const auto& [service, probe] : std::vector<std::pair<std::string, probe_fn>>{
           {"https", probe_https}, {"http", probe_http}, {"smtp", probe_smtp}, {"imaps", probe_imaps},
           {"tcp/443", probe_tcp}}) {
    const std::string svc = service;
    CAPTURE(svc);
    lab l;
    auto r = l.run(probe, l.request("www.test", service, unroutable, 500ms));
    INFO("detail: " << r.check.detail << ", stage " << r.check.stage);
    CHECK(r.failure == hc::finding_kind::not_checked);
    CHECK(r.check.stage == "connect");
    CHECK(r.check.detail.find("the vantage point cannot send: Network is unreachable") == 0);
    CHECK(r.hint.find("nothing is known about the server") != std::string::npos);
  }
}

namespace {

// What a scripted HTTP(S) server saw: the connections it accepted and the first request's head.
struct script_log {
  int accepted = 0;
  std::string first_request;
};

// Answers every connection (after the TLS handshake when tls is set) with response once the
// request's head is in, then closes the connection, or holds it open when hold is set.
asio::awaitable<void> scripted_session(tcp::socket sock, ssl_context_ptr tls, std::string response, bool hold,
                                       std::shared_ptr<script_log> log, std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    std::string buf;
    if (tls) {
      auto s = std::make_shared<ssl::stream<tcp::socket>>(std::move(sock), *tls);
      co_await s->async_handshake(ssl::stream_base::server, asio::use_awaitable);
      co_await asio::async_read_until(*s, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
      if (log->first_request.empty()) log->first_request = buf;
      co_await send(*s, response);
      if (hold) {
        asio::steady_timer t(s->get_executor());
        t.expires_after(5s);
        co_await t.async_wait(asio::use_awaitable);
      }
      boost::system::error_code ignored;
      s->lowest_layer().close(ignored);  // no close_notify: as many servers end a body read to the close
    } else {
      co_await asio::async_read_until(sock, asio::dynamic_buffer(buf), "\r\n\r\n", asio::use_awaitable);
      if (log->first_request.empty()) log->first_request = buf;
      co_await send(sock, response);
      if (hold) keep->push_back(std::move(sock));
    }
  } catch (...) {
  }
}

asio::awaitable<void> scripted_server(tcp::acceptor acc, ssl_context_ptr tls, std::string response, bool hold,
                                      std::shared_ptr<script_log> log, std::shared_ptr<std::vector<tcp::socket>> keep) {
  try {
    for (;;) {
      auto sock = co_await acc.async_accept(asio::use_awaitable);
      ++log->accepted;
      asio::co_spawn(acc.get_executor(), scripted_session(std::move(sock), tls, response, hold, log, keep),
                     asio::detached);
    }
  } catch (...) {
  }
}

// Runs the probe for service ("http" or "https") against a server that answers response.
probe_result run_scripted(lab& l, const std::string& service, std::string response, bool hold = false,
                          std::shared_ptr<script_log> log = std::make_shared<script_log>(),
                          std::vector<int> expected_status = {}) {
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  const bool tls = service == "https";
  l.spawn(scripted_server(std::move(acc), tls ? l.tls_for({"www.test"}) : nullptr, std::move(response), hold, log,
                          l.kept));
  auto req = l.request("www.test", service, target, 2000ms);
  req.expected_status = std::move(expected_status);
  return l.run(tls ? probe_https : probe_http, req);
}

}  // namespace

TEST_CASE("http probe: the request is one GET with Host, User-Agent, Accept and Connection: close") {
  lab l;
  auto log = std::make_shared<script_log>();
  auto acc = listen_on(l.io, "127.0.0.1");
  auto target = endpoint_of(acc);
  l.spawn(scripted_server(std::move(acc), nullptr, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, log, l.kept));
  auto req = l.request("www.test", "http", target);
  req.url_path = "/status/a b\r\nX-Injected: 1";
  check_no_finding(l.run(probe_http, req));
  const std::string& head = log->first_request;
  CHECK(head.find("GET /status/a%20b%0D%0AX-Injected:%201 HTTP/1.1\r\n") == 0);
  CHECK(head.find("\r\nHost: www.test:" + std::to_string(target.port) + "\r\n") != std::string::npos);
  CHECK(head.find("\r\nUser-Agent: hairpin-check/") != std::string::npos);
  CHECK(head.find("\r\nAccept: */*\r\n") != std::string::npos);
  CHECK(head.find("\r\nConnection: close\r\n") != std::string::npos);
  CHECK(head.find("\r\nX-Injected") == std::string::npos);
}

TEST_CASE("http and https probes: a chunked response is read to its last chunk") {
  for (const std::string service : {"http", "https"}) {
    CAPTURE(service);
    lab l;
    auto r = run_scripted(l, service,
                          "HTTP/1.1 200 OK\r\nServer: chunky\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
                          true);
    check_no_finding(r);
    CHECK(r.http_status == 200);
    CHECK(r.banner == "chunky");
  }
}

TEST_CASE("http and https probes: 103 Early Hints then 200 judges the final response and its headers only") {
  for (const std::string service : {"http", "https"}) {
    CAPTURE(service);
    lab l;
    auto r = run_scripted(l, service,
                          "HTTP/1.1 100 Continue\r\n\r\n"
                          "HTTP/1.1 103 Early Hints\r\nServer: early\r\nX-Client-Address: 10.9.9.9\r\nLink: </a.css>\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nServer: final\r\nContent-Length: 2\r\n\r\nok");
    check_no_finding(r);
    CHECK(r.http_status == 200);
    CHECK(r.banner == "final");
    CHECK(r.facts["server"] == "final");
    CHECK(r.facts.count("x-client-address") == 0);
  }
}

TEST_CASE("http and https probes: a broken response is reset or bad-status, never OK") {
  // A connection that ends early is the path's or the server's failure to deliver (reset); bytes
  // that are not HTTP, or a header no one can use, are the web server's answer (bad-status: reset
  // would blame the connection). The probe stops reading at the header limit.
  std::string fat = "HTTP/1.1 200 OK\r\nServer: fat\r\n";
  for (int i = 0; i < 2000; ++i) fat += "X-Filler-" + std::to_string(i) + ": 0123456789012345678901234567890123456789\r\n";
  struct broken {
    const char* what;
    std::string response;
    bool hold;
    const char* kind;
    const char* detail;  // a part of the finding's detail; for bad-status, how it starts
    int status;          // the status seen before the failure, 0 for none
  };
  const std::vector<broken> cases = {
      {"closed half way through the header", "HTTP/1.1 200 OK\r\nServer: half\r\nContent-", false, "reset",
       "closed in the middle of the response header", 0},
      {"closed before any response", "", false, "reset", "got nothing", 0},
      {"Content-Length 100 with 10 bytes and a close", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
       false, "reset", "before the end of the body", 200},
      {"a garbage status line", "HELLO\r\n\r\n", false, "bad-status", "malformed HTTP response: ", 0},
      {"a header over 64 KiB", fat, true, "bad-status", "malformed HTTP response: a header of more than 64 KiB", 0},
  };
  for (const auto& c : cases) {
    const std::string what = c.what;
    CAPTURE(what);
    for (const std::string service : {"http", "https"}) {
      CAPTURE(service);
      lab l;
      auto r = run_scripted(l, service, c.response, c.hold);
      check_single_finding(r, c.kind, "response");
      if (std::string(c.kind) == "bad-status")
        CHECK(r.check.detail.find(c.detail) == 0);
      else
        CHECK(r.check.detail.find(c.detail) != std::string::npos);
      if (c.status != 0) CHECK(r.http_status == c.status);
    }
  }
}

TEST_CASE("http probe: a broken chunked body is reset") {
  lab l;
  auto r = run_scripted(l, "http", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n", true);
  check_single_finding(r, "reset", "response");
}

TEST_CASE("http and https probes: a body over 256 KiB is OK and read no further than the cap") {
  // The server announces 100 MiB, sends 1 MiB and holds the connection: a probe that read on would
  // end at the deadline as a timeout.
  const std::string body(1024 * 1024, 'x');
  for (const std::string service : {"http", "https"}) {
    CAPTURE(service);
    lab l;
    auto r = run_scripted(l, service, "HTTP/1.1 200 OK\r\nServer: big\r\nContent-Length: 104857600\r\n\r\n" + body,
                          true);
    check_no_finding(r);
    CHECK(r.http_status == 200);
    CHECK(r.banner == "big");
  }
}

TEST_CASE("http and https probes: a 301 is OK and not followed, unless the expected status says otherwise") {
  const std::string moved = "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
                            "Content-Length: 0\r\n\r\n";
  for (const std::string service : {"http", "https"}) {
    CAPTURE(service);
    lab l;
    auto log = std::make_shared<script_log>();
    auto r = run_scripted(l, service, moved, false, log);
    check_no_finding(r);
    CHECK(r.http_status == 301);
    CHECK(log->accepted == 1);
    auto strict = run_scripted(l, service, moved, false, std::make_shared<script_log>(), {200});
    check_single_finding(strict, "bad-status", "response");
    CHECK(strict.check.detail.find("HTTP 301 from " + service + "://www.test:") == 0);
    CHECK(strict.check.detail.find("(expected 200)") != std::string::npos);
  }
}

TEST_CASE("http and https probes: an HTTP/1.0 response without a length is read to the close") {
  for (const std::string service : {"http", "https"}) {
    CAPTURE(service);
    lab l;
    auto r = run_scripted(l, service, "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody until the connection closes");
    check_no_finding(r);
    CHECK(r.http_status == 200);
    CHECK(r.banner == "old");
  }
}
