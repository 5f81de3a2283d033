// DNS queries signed with a TSIG key: the wire helpers (sign, verify) and the live probes against
// loopback servers on port 0 that sign their replies with the right key, a wrong key, or not at
// all, each over UDP and TCP. A reply that is not signed with the key, or does not verify, is
// tsig-bad naming the key and the server, never an ok and never a wrong-answer; the secret appears
// nowhere in the result.
#include <doctest/doctest.h>

#include "check/dns_validate.hpp"
#include "dns_test_server.hpp"
#include "probes/dns.hpp"

using namespace hc::probes;
using namespace std::chrono_literals;
using hc::test::framed;
using hc::test::make_reply;
using hc::test::reply_spec;
using hc::test::tcp_server;
using hc::test::udp_send;
using hc::test::udp_server;
namespace asio = hc::asio;

namespace {

// Two keys of the same name and algorithm: the server's and a wrong one.
const tsig_key right_key{"intra-key", "hmac-sha256", "8Bf0/dT8j7y4aXqxmW3eCcIVszZhO9K5l+1n2Y4cJ0o="};
const tsig_key wrong_key{"intra-key", "hmac-sha256", "qUj1xZ0w3Tg9hB7cKp2LmN4oR6sV8yA0dF5gH1jE3iQ="};
const std::string blog_a = "blog.debugo.fr. 300 IN A 198.18.1.10";

// How the test server answers a signed query: signed with the right or a wrong key, not signed,
// NOTAUTH unsigned, or signed and carrying TSIG error BADSIG (as BIND's error replies do).
enum class signing { right, wrong, none, notauth, badsig };

// The query's TSIG verified with the server's key (what BIND does first).
bool query_verifies(const dns_bytes& query) {
  auto p = parse_dns_message(query);
  if (!p.pkt || !ldns_pkt_tsig(p.pkt.get())) return false;
  return ldns_pkt_tsig_verify(p.pkt.get(), query.data(), query.size(), "intra-key.", right_key.secret.c_str(), nullptr);
}

// The reply to a query, signed as `how` says (covering the query's MAC, as RFC 8945 wants).
dns_bytes answer(const dns_bytes& query, signing how) {
  reply_spec spec;
  spec.answer = {blog_a};
  if (how == signing::notauth) {
    spec.answer.clear();
    spec.rcode = 9;
  }
  dns_bytes reply = make_reply(query, spec);
  if (how == signing::none || how == signing::notauth) return reply;
  auto q = parse_dns_message(query);
  auto r = parse_dns_message(reply);
  if (!q.pkt || !r.pkt || !ldns_pkt_tsig(q.pkt.get())) return {};
  const ldns_rdf* query_mac = ldns_rr_rdf(ldns_pkt_tsig(q.pkt.get()), 3);
  const tsig_key& k = how == signing::wrong ? wrong_key : right_key;
  if (ldns_pkt_tsig_sign(r.pkt.get(), "intra-key.", k.secret.c_str(), 300, "hmac-sha256.", query_mac) != LDNS_STATUS_OK)
    return {};
  if (how == signing::badsig) {
    ldns_pkt_set_rcode(r.pkt.get(), 9);
    ldns_rdf* old = ldns_rr_set_rdf(ldns_pkt_tsig(r.pkt.get()), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 16), 5);
    ldns_rdf_deep_free(old);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&wire, r.pkt.get(), &size) != LDNS_STATUS_OK) return {};
  hc::c_string_ptr owned(reinterpret_cast<char*>(wire));
  return dns_bytes(wire, wire + size);
}

hc::ip_endpoint to_hc(const asio::ip::udp::endpoint& e) { return {*hc::ip_address::parse(e.address().to_string()), e.port()}; }

// A UDP and a TCP server on one loopback address and port, answering as `how` says and counting the
// queries whose TSIG verified with the server's key.
struct signing_server {
  signing_server(asio::io_context& io, signing how)
      : udp(io, "127.0.0.2",
            [this, how](const dns_bytes& q) {
              if (query_verifies(q)) ++verified;
              return std::vector<udp_send>{{0, answer(q, how)}};
            }),
        tcp(io, "127.0.0.2", udp.endpoint().port(), [this, how](const dns_bytes& q) {
          if (query_verifies(q)) ++verified;
          return std::vector<dns_bytes>{framed(answer(q, how))};
        }) {}
  hc::ip_endpoint target() const { return to_hc(udp.endpoint()); }
  unsigned verified = 0;
  udp_server udp;
  tcp_server tcp;
};

probe_request signed_request(hc::ip_endpoint target, const std::string& service, const tsig_key& key) {
  probe_request r;
  r.name = "blog.debugo.fr";
  r.qname = "blog.debugo.fr.";
  r.qtype = LDNS_RR_TYPE_A;
  r.service = service;
  r.path = "resolver";
  r.recursion_desired = true;
  r.target = target;
  r.tsig = key;
  r.deadline = clock::now() + 1000ms;
  return r;
}

probe_result run_probe(asio::io_context& io, const probe_request& req) {
  probe_context ctx;
  ctx.executor = io.get_executor();
  std::optional<probe_result> out;
  auto probe = req.service == "dns/tcp" ? probe_dns_tcp : probe_dns_udp;
  asio::co_spawn(io, probe(ctx, req), [&](std::exception_ptr e, probe_result r) {
    CHECK_FALSE(e);
    out = std::move(r);
    io.stop();
  });
  io.run_for(5s);
  REQUIRE(out);
  return *out;
}

hc::check::dns_expectation intra_expectation() {
  hc::check::dns_expectation e;
  e.zone = "debugo.fr";
  e.view = "intra";
  e.qtype = LDNS_RR_TYPE_A;
  e.expected_answer = {"blog.debugo.fr. A 198.18.1.10"};
  e.other_view_answer = std::vector<std::string>{"blog.debugo.fr. A 203.0.113.1"};
  e.other_view = "extra";
  return e;
}

// Everything a result shows a user: detail, hint, facts, and the findings made from it.
std::string shown(const probe_result& r) {
  std::string all = r.check.detail + "\n" + r.hint + "\n" + r.check.stage;
  for (const auto& [k, v] : r.facts) all += "\n" + k + "=" + v;
  for (const auto& f : hc::check::validate_dns(r, intra_expectation())) all += "\n" + f.evidence + "\n" + f.fix;
  return all;
}

}  // namespace

TEST_CASE("tsig wire: a signed query carries a TSIG that verifies with the key, and not with another") {
  hc::probes::dns_question q;
  q.qname = "blog.debugo.fr.";
  q.id = 4242;
  std::string error;
  auto sq = build_signed_query(q, true, 1232, right_key, error);
  REQUIRE(sq);
  CHECK(error.empty());
  REQUIRE(sq->mac);
  CHECK(query_verifies(sq->wire));
  auto p = parse_dns_message(sq->wire);
  REQUIRE(p.pkt);
  CHECK(ldns_pkt_id(p.pkt.get()) == 4242);
  CHECK(ldns_pkt_edns(p.pkt.get()));
  CHECK_FALSE(ldns_pkt_tsig_verify(p.pkt.get(), sq->wire.data(), sq->wire.size(), "intra-key.", wrong_key.secret.c_str(),
                                   nullptr));
}

TEST_CASE("tsig wire: the reply's TSIG is checked against the query's MAC and the key") {
  hc::probes::dns_question q;
  q.qname = "blog.debugo.fr.";
  q.id = 7;
  std::string error;
  auto sq = build_signed_query(q, false, 0, right_key, error);
  REQUIRE(sq);
  for (signing how : {signing::right, signing::wrong, signing::none, signing::notauth, signing::badsig}) {
    auto reply = answer(sq->wire, how);
    REQUIRE_FALSE(reply.empty());
    auto p = parse_dns_message(reply);
    REQUIRE(p.pkt);
    auto problem = tsig_reply_problem(p.pkt.get(), reply, right_key, sq->mac.get());
    const int how_i = static_cast<int>(how);
    CAPTURE(how_i);
    CAPTURE(problem);
    if (how == signing::right) CHECK(problem.empty());
    if (how == signing::wrong) CHECK(problem == "the reply's TSIG does not verify with key intra-key");
    if (how == signing::none) CHECK(problem == "the reply is not signed");
    if (how == signing::notauth)
      CHECK(problem == "the reply is NOTAUTH and not signed (the server does not accept key intra-key)");
    if (how == signing::badsig) CHECK(problem == "the server answered BADSIG (NOTAUTH) to key intra-key");
  }
  // A reply signed for another query (another ID, so another MAC) does not verify either.
  hc::probes::dns_question q2 = q;
  q2.id = 8;
  auto other = build_signed_query(q2, false, 0, right_key, error);
  REQUIRE(other);
  auto reply = answer(other->wire, signing::right);
  auto p = parse_dns_message(reply);
  REQUIRE(p.pkt);
  CHECK_FALSE(tsig_reply_problem(p.pkt.get(), reply, right_key, sq->mac.get()).empty());
}

TEST_CASE("tsig wire: keys ldns cannot sign with, and secrets that are not base64, are refused without the secret") {
  hc::probes::dns_question q;
  q.qname = "blog.debugo.fr.";
  std::string error;
  tsig_key k = right_key;
  k.algorithm = "hmac-sha384";
  CHECK_FALSE(build_signed_query(q, false, 0, k, error));
  CHECK(error == "TSIG algorithm hmac-sha384 is not supported");
  k = right_key;
  k.secret = "not base64 at all!";
  CHECK_FALSE(build_signed_query(q, false, 0, k, error));
  CHECK(error == "the secret of TSIG key intra-key is not valid base64");
  CHECK(tsig_algorithm_for_ldns("HMAC-SHA256") == std::optional<std::string>("hmac-sha256."));
  CHECK(tsig_algorithm_for_ldns("hmac-md5") == std::optional<std::string>("hmac-md5.sig-alg.reg.int."));
  CHECK(tsig_algorithm_for_ldns("hmac-sha512.") == std::optional<std::string>("hmac-sha512."));
  CHECK_FALSE(tsig_algorithm_for_ldns("hmac-sha224"));
  CHECK(tsig_error_name(16) == "BADSIG");
  CHECK(tsig_error_name(17) == "BADKEY");
  CHECK(tsig_error_name(18) == "BADTIME");
}

TEST_CASE("tsig probe: a reply signed with the right key verifies, over UDP and TCP") {
  for (std::string service : {"dns/udp", "dns/tcp"}) {
    CAPTURE(service);
    asio::io_context io;
    signing_server server(io, signing::right);
    auto r = run_probe(io, signed_request(server.target(), service, right_key));
    CHECK(server.verified == 1);
    CHECK(r.check.ok);
    CHECK_FALSE(r.failure);
    REQUIRE(r.dns);
    CHECK(r.dns->tsig_key_name == "intra-key");
    CHECK(r.dns->tsig_verified);
    CHECK(r.dns->answer == std::vector<std::string>{"blog.debugo.fr. A 198.18.1.10"});
    CHECK(r.check.detail.find("signed with key intra-key (verified)") != std::string::npos);
    CHECK(hc::check::validate_dns(r, intra_expectation()).empty());
    CHECK(shown(r).find(right_key.secret) == std::string::npos);
  }
}

TEST_CASE("tsig probe: a reply signed with a wrong key, or not signed, is tsig-bad naming key and server, over UDP and TCP") {
  for (signing how : {signing::wrong, signing::none, signing::notauth, signing::badsig}) {
    for (std::string service : {"dns/udp", "dns/tcp"}) {
      const int how_i = static_cast<int>(how);
      CAPTURE(how_i);
      CAPTURE(service);
      asio::io_context io;
      signing_server server(io, how);
      auto r = run_probe(io, signed_request(server.target(), service, right_key));
      CHECK_FALSE(r.check.ok);
      CHECK(r.check.stage == "tsig");
      CHECK(r.failure == hc::finding_kind::tsig_bad);
      CHECK(r.check.detail.find("key intra-key") != std::string::npos);
      CHECK(r.check.detail.find(server.target().str()) != std::string::npos);
      auto fs = hc::check::validate_dns(r, intra_expectation());
      REQUIRE(fs.size() == 1);
      CHECK(fs[0].kind == hc::finding_kind::tsig_bad);
      CHECK(fs[0].sev == hc::severity::critical);
      CHECK(fs[0].view == "intra");
      CHECK(fs[0].evidence.find("intra-key") != std::string::npos);
      CHECK(fs[0].evidence.find(server.target().str()) != std::string::npos);
      CHECK(shown(r).find(right_key.secret) == std::string::npos);
      CHECK(shown(r).find(wrong_key.secret) == std::string::npos);
    }
  }
}

TEST_CASE("tsig probe: the query the server received is signed with the key given, so a server with another key sees BADSIG") {
  asio::io_context io;
  signing_server server(io, signing::right);
  auto r = run_probe(io, signed_request(server.target(), "dns/udp", wrong_key));
  CHECK(server.verified == 0);  // the server could not verify our query
  CHECK(r.failure == hc::finding_kind::tsig_bad);  // and its reply does not verify with our key
}
