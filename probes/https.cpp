#include "probes/https.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include <unistd.h>

#include <fmt/format.h>

#include "core/handles.hpp"
#include "probes/tcp_common.hpp"
#include "probes/tls.hpp"

namespace hc::probes {

namespace {

// The most body bytes read; the rest is not needed to judge the response.
constexpr std::size_t max_body = 256 * 1024;

void curl_global() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// One libcurl transfer on its own multi handle, its sockets and timer watched by the io_context.
class curl_transfer : public std::enable_shared_from_this<curl_transfer> {
 public:
  explicit curl_transfer(asio::any_io_executor ex) : ex_(ex), timer_(ex), done_(ex) {}

  ~curl_transfer() {
    // Remove first, so that curl closes its sockets through our callbacks while we still exist.
    if (multi_ && easy_ && added_) curl_multi_remove_handle(multi_.get(), easy_.get());
    multi_.reset();
    easy_.reset();
    for (auto& [fd, s] : sockets_) {
      error_code ignored;
      s->desc.cancel(ignored);
      s->desc.release();
    }
  }

  // Runs the transfer until curl reports it done or until hard_deadline. Returns curl's code.
  asio::awaitable<CURLcode> run(clock::time_point hard_deadline) {
    auto* m = multi_.get();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &curl_transfer::socket_cb);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &curl_transfer::timer_cb);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
    curl_easy_setopt(easy_.get(), CURLOPT_CLOSESOCKETFUNCTION, &curl_transfer::close_cb);
    curl_easy_setopt(easy_.get(), CURLOPT_CLOSESOCKETDATA, this);
    if (curl_multi_add_handle(m, easy_.get()) != CURLM_OK) co_return CURLE_FAILED_INIT;
    added_ = true;
    deadline_ = hard_deadline;
    done_.expires_at(hard_deadline);
    if (!finished_) {
      error_code ec;
      co_await done_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!finished_) {
      hard_timeout_ = true;
      co_return CURLE_OPERATION_TIMEDOUT;
    }
    co_return result_;
  }

  curl_multi_ptr multi_{curl_multi_init()};
  curl_easy_ptr easy_{curl_easy_init()};
  bool hard_timeout_ = false;

 private:
  struct socket_state {
    explicit socket_state(asio::any_io_executor ex) : desc(ex) {}
    asio::posix::stream_descriptor desc;
    int want = 0;
    bool reading = false;
    bool writing = false;
    unsigned generation = 0;
  };

  static int socket_cb(CURL*, curl_socket_t fd, int what, void* userp, void*) noexcept {
    try {
      static_cast<curl_transfer*>(userp)->on_socket(fd, what);
    } catch (...) {
    }
    return 0;
  }

  static int timer_cb(CURLM*, long timeout_ms, void* userp) noexcept {
    try {
      static_cast<curl_transfer*>(userp)->on_timer(timeout_ms);
    } catch (...) {
    }
    return 0;
  }

  static int close_cb(void* userp, curl_socket_t fd) noexcept {
    try {
      static_cast<curl_transfer*>(userp)->forget(fd);
    } catch (...) {
    }
    return ::close(fd);
  }

  void forget(curl_socket_t fd) {
    auto it = sockets_.find(fd);
    if (it == sockets_.end()) return;
    error_code ignored;
    it->second->desc.cancel(ignored);
    it->second->desc.release();
    sockets_.erase(it);
  }

  void on_socket(curl_socket_t fd, int what) {
    if (what == CURL_POLL_REMOVE) {
      forget(fd);
      return;
    }
    auto it = sockets_.find(fd);
    if (it == sockets_.end()) {
      auto s = std::make_unique<socket_state>(ex_);
      error_code ec;
      s->desc.assign(fd, ec);
      if (ec) return;
      s->generation = ++generation_;
      it = sockets_.emplace(fd, std::move(s)).first;
    }
    it->second->want = what;
    arm(fd, *it->second);
  }

  void arm(curl_socket_t fd, socket_state& s) {
    std::weak_ptr<curl_transfer> weak = weak_from_this();
    if ((s.want & CURL_POLL_IN) && !s.reading) {
      s.reading = true;
      s.desc.async_wait(asio::posix::descriptor_base::wait_read,
                        [weak, fd, gen = s.generation](const error_code& ec) {
                          if (auto self = weak.lock()) self->on_ready(fd, gen, CURL_CSELECT_IN, ec);
                        });
    }
    if ((s.want & CURL_POLL_OUT) && !s.writing) {
      s.writing = true;
      s.desc.async_wait(asio::posix::descriptor_base::wait_write,
                        [weak, fd, gen = s.generation](const error_code& ec) {
                          if (auto self = weak.lock()) self->on_ready(fd, gen, CURL_CSELECT_OUT, ec);
                        });
    }
  }

  void on_ready(curl_socket_t fd, unsigned gen, int flag, const error_code& ec) {
    auto it = sockets_.find(fd);
    if (it == sockets_.end() || it->second->generation != gen) return;
    if (flag == CURL_CSELECT_IN)
      it->second->reading = false;
    else
      it->second->writing = false;
    if (ec == asio::error::operation_aborted || finished_) return;
    // A peer that keeps the socket readable must not keep the transfer past its deadline.
    if (clock::now() >= deadline_) {
      done_.cancel();
      return;
    }
    int running = 0;
    curl_multi_socket_action(multi_.get(), fd, ec ? CURL_CSELECT_ERR : flag, &running);
    check_done();
    it = sockets_.find(fd);
    if (it != sockets_.end() && it->second->generation == gen && !finished_) arm(fd, *it->second);
  }

  void on_timer(long timeout_ms) {
    timer_.cancel();
    if (timeout_ms < 0) return;
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    std::weak_ptr<curl_transfer> weak = weak_from_this();
    timer_.async_wait([weak](const error_code& ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_timeout();
    });
  }

  void on_timeout() {
    if (finished_) return;
    int running = 0;
    curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
    check_done();
  }

  void check_done() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_.get()) {
        result_ = msg->data.result;
        finished_ = true;
        done_.cancel();
      }
    }
  }

  asio::any_io_executor ex_;
  asio::steady_timer timer_;  // curl's timeout
  asio::steady_timer done_;   // cancelled when the transfer is done
  std::map<curl_socket_t, std::unique_ptr<socket_state>> sockets_;
  unsigned generation_ = 0;
  bool added_ = false;
  bool finished_ = false;
  clock::time_point deadline_;
  CURLcode result_ = CURLE_OK;
};

// What the callbacks collect during one transfer.
struct transfer_data {
  std::map<std::string, std::string> headers;  // lower-case name → value, of the last response
  std::size_t body_bytes = 0;
  bool body_capped = false;
  bool tls_started = false;  // curl set up TLS: the TCP connection was open
  tls_capture capture;
  std::string host;  // the name the certificate must carry (tls_expect_name)
  X509_STORE* store = nullptr;  // the run's shared trust store (owned by the shared TLS context)
  CURL* easy = nullptr;         // the transfer, to ask for its TLS connection
  std::string tls_version;      // negotiated, read while the connection is open (tls_version())
};

// The negotiated TLS version of the transfer's connection, when it is an OpenSSL one that finished
// its handshake. curl hands out the SSL* only while the connection is in use.
void note_tls_version(transfer_data& d) noexcept {
  if (!d.easy || !d.tls_version.empty()) return;
  const curl_tlssessioninfo* info = nullptr;
  if (curl_easy_getinfo(d.easy, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || !info) return;
  if (info->backend != CURLSSLBACKEND_OPENSSL || !info->internals) return;
  try {
    d.tls_version = tls_version(static_cast<const SSL*>(info->internals));
  } catch (...) {
  }
}

extern "C" std::size_t header_cb(char* data, std::size_t size, std::size_t n, void* userp) noexcept {
  auto* d = static_cast<transfer_data*>(userp);
  std::size_t len = size * n;
  try {
    std::string_view line(data, len);
    note_tls_version(*d);
    if (line.starts_with("HTTP/")) {
      d->headers.clear();
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
      d->headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
  } catch (...) {
  }
  return len;
}

extern "C" std::size_t write_cb(char*, std::size_t size, std::size_t n, void* userp) noexcept {
  auto* d = static_cast<transfer_data*>(userp);
  d->body_bytes += size * n;
  if (d->body_bytes > max_body) {
    d->body_capped = true;
    return 0;  // stop: enough seen
  }
  return size * n;
}

extern "C" CURLcode ssl_ctx_cb(CURL*, void* ssl_ctx, void* userp) noexcept {
  auto* d = static_cast<transfer_data*>(userp);
  d->tls_started = true;
  // The trust anchors parsed once for the run instead of once per connection.
  if (d->store) SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), d->store);
  tls_attach_capture(static_cast<SSL_CTX*>(ssl_ctx), &d->capture);
  // The name is checked by OpenSSL with the rule of every TLS probe, not by curl's own.
  try {
    tls_expect_name(SSL_CTX_get0_param(static_cast<SSL_CTX*>(ssl_ctx)), d->host);
  } catch (...) {
    return CURLE_OUT_OF_MEMORY;
  }
  return CURLE_OK;
}

bool status_expected(int status, const std::vector<int>& expected) {
  if (expected.empty()) return status >= 200 && status <= 399;
  for (int s : expected)
    if (s == status) return true;
  return false;
}

std::string expected_text(const std::vector<int>& expected) {
  if (expected.empty()) return "200-399";
  std::string out;
  for (int s : expected) out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

bool client_address_header(const std::string& name) {
  return name.find("client") != std::string::npos || name.find("real-ip") != std::string::npos ||
         name.find("forwarded-for") != std::string::npos || name.find("remote-addr") != std::string::npos ||
         name == "forwarded";
}

double seconds(curl_off_t us) {
  return static_cast<double>(us) / 1e6;
}

asio::awaitable<void> run_http(const probe_context& ctx, const probe_request& req, probe_result& r,
                               clock::time_point start, bool tls) {
  curl_global();
  const auto deadline = req.deadline;
  std::string host = tls_host_name(req.name);
  std::string address = req.target.address.str();
  std::string address_url = req.target.address.v6 ? "[" + address + "]" : address;
  // The name the certificate must carry: the checked name, else the address itself.
  const std::string cert_name = host.empty() ? address : host;
  if (host.empty()) host = address_url;
  std::string path = req.url_path.empty() || req.url_path.front() != '/' ? "/" + req.url_path : req.url_path;
  std::string url = fmt::format("{}://{}:{}{}", tls ? "https" : "http", host, req.target.port, path);

  curl_slist_ptr resolve{curl_slist_append(nullptr, fmt::format("{}:{}:{}", host, req.target.port, address_url).c_str())};
  transfer_data data;
  char errbuf[CURL_ERROR_SIZE] = {0};
  // Declared after what the easy handle points to, so that it goes first.
  auto transfer = std::make_shared<curl_transfer>(ctx.executor);
  CURL* easy = transfer->easy_.get();
  if (!easy || !transfer->multi_) {
    fail_result(r, "start", finding_kind::not_checked, "internal error: libcurl could not be initialised");
    co_return;
  }
  auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  if (remaining < 1) remaining = 1;

  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve.get());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "hairpin-check/" HC_VERSION);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(remaining));
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &data);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &data);
  std::string interface;
  if (ctx.source) {
    interface = "host!" + ctx.source->str();
    curl_easy_setopt(easy, CURLOPT_INTERFACE, interface.c_str());
  }
  std::shared_ptr<asio::ssl::context> shared_tls;  // keeps data.store alive for the transfer
  if (tls) {
    std::string ca_error;
    if (!ctx.insecure) shared_tls = tls_client_context(ctx, ca_error);
    if (shared_tls && ca_error.empty()) {
      // curl loads nothing; ssl_ctx_cb hands it the shared store.
      data.store = SSL_CTX_get_cert_store(shared_tls->native_handle());
      curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    } else if (!ctx.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, ctx.ca_file.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, ctx.insecure ? 0L : 1L);
    // curl's own name check differs from the one of SMTP and IMAPS (it takes an IP SAN as a reason
    // to refuse the CN and says so as "unspecified"): ssl_ctx_cb makes OpenSSL check it instead.
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    data.host = cert_name;
    data.easy = easy;
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, &data);
  }

  r.check.stage = "connect";
  // curl enforces the deadline itself; the same deadline bounds the transfer in case it does not.
  CURLcode rc = co_await transfer->run(deadline);

  curl_off_t t_connect = 0, t_app = 0, t_first = 0, t_total = 0;
  long status = 0, os_errno = 0, verify_result = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &t_connect);
  curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME_T, &t_app);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &t_first);
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &t_total);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  if (tls) curl_easy_getinfo(easy, CURLINFO_SSL_VERIFYRESULT, &verify_result);

  if (t_connect > 0) r.check.phases.push_back({"connect", seconds(t_connect)});
  if (tls && t_app > 0) r.check.phases.push_back({"tls", seconds(t_app - t_connect)});
  auto before_request = tls && t_app > 0 ? t_app : t_connect;
  if (t_first > 0) r.check.phases.push_back({"processing", seconds(t_first - before_request)});
  if (t_first > 0 && t_total >= t_first) r.check.phases.push_back({"transfer", seconds(t_total - t_first)});

  std::optional<tls_outcome> outcome;
  if (data.capture.leaf) {
    outcome = tls_outcome_from(data.capture, cert_name);
    r.tls = outcome;
    r.check.cert_not_after = outcome->not_after;
  }
  note_tls_version(data);  // no header seen (a failed transfer): the connection may still be open
  r.check.tls_version = data.tls_version;
  r.http_status = static_cast<int>(status);
  if (auto it = data.headers.find("server"); it != data.headers.end()) {
    r.banner = it->second;
    r.facts["server"] = it->second;
  }
  for (const auto& [name, value] : data.headers)
    if (client_address_header(name)) r.facts[name] = value;

  std::string curl_text = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  std::string stage = tls ? (!data.tls_started && t_connect == 0 ? "connect" : t_app == 0 ? "tls" : "response")
                          : (t_connect == 0 ? "connect" : "response");
  bool reset_errno = os_errno == ECONNRESET || os_errno == EPIPE || os_errno == ECONNABORTED;

  if (rc == CURLE_WRITE_ERROR && data.body_capped) rc = CURLE_OK;
  // This host could not send (no route, no descriptors, no buffers, a local firewall, a --source
  // address it does not have): nothing is known about the server.
  bool local_errno = os_errno == ENETUNREACH || os_errno == EMFILE || os_errno == ENFILE || os_errno == ENOBUFS ||
                     os_errno == ENOMEM || os_errno == EPERM || os_errno == EACCES || os_errno == EADDRNOTAVAIL;
  if (rc == CURLE_INTERFACE_FAILED || (rc == CURLE_COULDNT_CONNECT && local_errno)) {
    std::string why = local_errno ? std::string(std::strerror(static_cast<int>(os_errno))) : curl_text;
    fail_local(r, "connect", why + " (connect to " + req.target.str() + ": " + curl_text + ")");
    co_return;
  }
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      fail_result(r, stage, finding_kind::timeout,
                  fmt::format("{} {}: nothing after {:.1f} s ({})", stage, address_url,
                              std::chrono::duration<double>(clock::now() - start).count(),
                              transfer->hard_timeout_ ? "deadline" : curl_text));
      co_return;
    case CURLE_COULDNT_CONNECT:
      if (reset_errno)
        fail_result(r, "connect", finding_kind::reset, "connect to " + req.target.str() + ": " + curl_text);
      else if (os_errno == ETIMEDOUT)
        fail_result(r, "connect", finding_kind::timeout, "connect to " + req.target.str() + ": " + curl_text);
      else
        fail_result(r, "connect", finding_kind::refused, "connect to " + req.target.str() + ": " + curl_text);
      co_return;
    case CURLE_PEER_FAILED_VERIFICATION: {
      std::string why;
      if (r.tls && !r.tls->verified)
        why = r.tls->verify_error;
      else if (verify_result != X509_V_OK)
        why = tls_verify_error_text(static_cast<int>(verify_result));
      else
        why = tls_verify_error_text(X509_V_ERR_HOSTNAME_MISMATCH);
      if (r.tls) {
        r.tls->verified = false;
        r.tls->verify_error = why;
      }
      fail_result(r, "tls", finding_kind::tls_verify, fmt::format("certificate for {}: {} ({})", host, why, curl_text));
      co_return;
    }
    case CURLE_SSL_CACERT_BADFILE:
      fail_result(r, "tls", finding_kind::tls_verify, "cannot use the trust anchors: " + curl_text);
      co_return;
    case CURLE_SSL_CONNECT_ERROR:
      if (data.capture.first_error != X509_V_OK) {
        fail_result(r, "tls", finding_kind::tls_verify,
                    fmt::format("certificate for {}: {} ({})", host,
                                r.tls && !r.tls->verified ? r.tls->verify_error
                                                          : tls_verify_error_text(data.capture.first_error),
                                curl_text));
      } else if (reset_errno || curl_text.find("SSL_ERROR_SYSCALL") != std::string::npos ||
                 curl_text.find("reset") != std::string::npos || curl_text.find("EOF") != std::string::npos) {
        fail_result(r, "tls", finding_kind::reset, "TLS handshake: " + curl_text);
      } else {
        fail_result(r, "tls", finding_kind::tls_verify, "TLS handshake failed: " + curl_text);
      }
      co_return;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      fail_result(r, stage, finding_kind::reset, curl_text);
      co_return;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_UNSUPPORTED_PROTOCOL:
      fail_result(r, "response", finding_kind::bad_status, "malformed HTTP response: " + curl_text);
      co_return;
    case CURLE_FAILED_INIT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
    case CURLE_FUNCTION_NOT_FOUND:
      // Our side failed before or around the transfer: nothing is known about the server.
      fail_result(r, stage, finding_kind::not_checked, "internal error: " + curl_text);
      co_return;
    default:
      fail_result(r, stage, finding_kind::reset, curl_text);
      co_return;
  }

  std::string cert = tls ? tls_detail(r.tls) : std::string();
  if (!status_expected(r.http_status, req.expected_status)) {
    fail_result(r, "response", finding_kind::bad_status,
                fmt::format("HTTP {} from {} (expected {}){}", r.http_status, url, expected_text(req.expected_status), cert));
    co_return;
  }
  r.check.detail = fmt::format("HTTP {}{}", r.http_status, cert);
}

// run_http as run_guarded wants it, over TLS and in plain text.
asio::awaitable<void> run_https_body(const probe_context& ctx, const probe_request& req, probe_result& r,
                                     clock::time_point start) {
  co_await run_http(ctx, req, r, start, true);
}

asio::awaitable<void> run_plain_http_body(const probe_context& ctx, const probe_request& req, probe_result& r,
                                          clock::time_point start) {
  co_await run_http(ctx, req, r, start, false);
}

}  // namespace

asio::awaitable<probe_result> probe_https(const probe_context& ctx, const probe_request& request) {
  co_return co_await run_guarded(ctx, request, run_https_body);
}

asio::awaitable<probe_result> probe_http(const probe_context& ctx, const probe_request& request) {
  co_return co_await run_guarded(ctx, request, run_plain_http_body);
}

}  // namespace hc::probes
