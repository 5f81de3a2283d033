// Zone transfers (AXFR) from a loopback TCP server on port 0 that answers in several messages,
// signed with the right key, a wrong key or not at all, REFUSED, a stream cut short, a stream that
// never ends (the deadline stops it) and a zone over the limits. A transfer is ok only with the whole
// zone, SOA to SOA; every other outcome says why, naming server, zone, view and key, never the secret.
#include <doctest/doctest.h>

#include "axfr_test_server.hpp"
#include "zone/axfr.hpp"

using namespace hc::zone;
using hc::probes::dns_bytes;
using hc::probes::tsig_key;
using hc::test::axfr_server;
using hc::test::replies;
using hc::test::script;
using namespace std::chrono_literals;

namespace {

const tsig_key right_key{"intra-key", "hmac-sha256", "8Bf0/dT8j7y4aXqxmW3eCcIVszZhO9K5l+1n2Y4cJ0o="};
const tsig_key wrong_key{"intra-key", "hmac-sha256", "qUj1xZ0w3Tg9hB7cKp2LmN4oR6sV8yA0dF5gH1jE3iQ="};

const char* const soa = "debugo.fr. 300 IN SOA ns1.debugo.fr. hostmaster.debugo.fr. 2024091101 3600 600 86400 300";
const char* const soa_other = "debugo.fr. 300 IN SOA ns1.debugo.fr. hostmaster.debugo.fr. 2024091102 3600 600 86400 300";

// The zone in three messages: SOA + NS, two A records, the closing SOA.
std::vector<std::vector<std::string>> three_messages() {
  return {{soa, "debugo.fr. 300 IN NS ns1.debugo.fr."},
          {"ns1.debugo.fr. 300 IN A 198.18.1.53", "blog.debugo.fr. 300 IN A 198.18.1.10"},
          {soa}};
}

axfr_request request_for(std::uint16_t port, std::optional<tsig_key> key = std::nullopt,
                         std::chrono::milliseconds budget = 5000ms) {
  axfr_request r;
  r.zone = "debugo.fr";
  r.view = "intra";
  r.server = *hc::ip_endpoint::parse("127.0.0.1#" + std::to_string(port), 53);
  r.key = std::move(key);
  r.deadline = std::chrono::steady_clock::now() + budget;
  return r;
}

axfr_result run(const script& s, std::optional<tsig_key> key = std::nullopt, axfr_limits limits = {},
                std::chrono::milliseconds budget = 5000ms) {
  axfr_server server([&s](const dns_bytes& q) { return replies(q, s); }, s.hang);
  auto req = request_for(server.port(), std::move(key), budget);
  req.limits = limits;
  return transfer_zone(req);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("axfr: a transfer in several messages gives the zone the file reader would, without the closing SOA twice") {
  script s;
  s.messages = three_messages();
  auto r = run(s);
  CHECK(r.status == axfr_status::ok);
  CHECK(r.error.empty());
  REQUIRE(r.data);
  CHECK(r.messages == 3);
  CHECK(r.data->origin() == "debugo.fr.");
  CHECK(r.data->serial() == std::optional<std::uint32_t>(2024091101));
  CHECK(r.data->record_count() == 4);  // SOA, NS, two A
  CHECK(r.data->lookup("blog.debugo.fr.", rr_type::a) == std::vector<std::string>{"198.18.1.10"});
  CHECK(r.data->lookup("debugo.fr.", rr_type::soa).size() == 1);
}

TEST_CASE("axfr: a query signed with the view's key and every reply message verified in the chain is ok") {
  script s;
  s.messages = three_messages();
  s.sign_with = right_key;
  axfr_server server([&s](const dns_bytes& q) { return replies(q, s); }, false);
  auto r = transfer_zone(request_for(server.port(), right_key));
  CHECK(r.status == axfr_status::ok);
  CHECK(r.data);
  // The query carried a TSIG that verifies with the server's key.
  auto q = hc::probes::parse_dns_message(server.query());
  REQUIRE(q.pkt);
  REQUIRE(ldns_pkt_tsig(q.pkt.get()));
  auto wire = server.query();
  CHECK(ldns_pkt_tsig_verify(q.pkt.get(), wire.data(), wire.size(), "intra-key.", right_key.secret.c_str(), nullptr));
}

TEST_CASE("axfr: replies signed with another secret are tsig-bad naming server, zone, view and key, never the secret") {
  script s;
  s.messages = three_messages();
  s.sign_with = wrong_key;
  auto r = run(s, right_key);
  CHECK(r.status == axfr_status::tsig_bad);
  CHECK(!r.data);
  CHECK(has(r.error, "AXFR of debugo.fr. from 127.0.0.1#"));
  CHECK(has(r.error, "view intra"));
  CHECK(has(r.error, "intra-key"));
  CHECK(!has(r.error, right_key.secret));
  CHECK(!has(r.error, wrong_key.secret));
}

TEST_CASE("axfr: unsigned replies to a signed query are tsig-bad") {
  script s;
  s.messages = three_messages();
  auto r = run(s, right_key);
  CHECK(r.status == axfr_status::tsig_bad);
  CHECK(has(r.error, "not signed"));
}

TEST_CASE("axfr: a later message left unsigned is not verified, so not ok") {
  script s;
  s.messages = three_messages();
  s.sign_with = right_key;
  s.sign_only_first = true;
  auto r = run(s, right_key);
  CHECK(r.status == axfr_status::failed);
  CHECK(has(r.error, "message 2 is not signed"));
  CHECK(!r.data);
}

TEST_CASE("axfr: NOTAUTH to a signed query is tsig-bad") {
  script s;
  s.rcode = 9;
  auto r = run(s, right_key);
  CHECK(r.status == axfr_status::tsig_bad);
  CHECK(has(r.error, "NOTAUTH"));
}

TEST_CASE("axfr: REFUSED is refused, with no zone") {
  script s;
  s.rcode = 5;
  auto r = run(s);
  CHECK(r.status == axfr_status::refused);
  CHECK(has(r.error, "REFUSED"));
  CHECK(has(r.error, "debugo.fr."));
  CHECK(!r.data);
  // Signed and verified, REFUSED all the same (allow-transfer does not take the key).
  s.sign_with = right_key;
  auto signed_refused = run(s, right_key);
  CHECK(signed_refused.status == axfr_status::refused);
}

TEST_CASE("axfr: a stream that ends before the closing SOA is failed, never an empty or partial zone") {
  script s;
  s.messages = three_messages();
  s.messages.pop_back();
  auto r = run(s);
  CHECK(r.status == axfr_status::failed);
  CHECK(has(r.error, "without the closing SOA"));
  CHECK(!r.data);
  script empty;  // a first message without records
  auto e = run(empty);
  CHECK(e.status == axfr_status::failed);
  CHECK(!e.data);
}

TEST_CASE("axfr: a stream that never ends is stopped by the deadline") {
  script s;
  s.messages = three_messages();
  s.messages.pop_back();
  s.hang = true;
  auto r = run(s, std::nullopt, {}, 300ms);
  CHECK(r.status == axfr_status::failed);
  CHECK(has(r.error, "deadline"));
  CHECK(!r.data);
}

TEST_CASE("axfr: the record and byte limits stop an oversize transfer") {
  script s;
  s.messages = three_messages();
  axfr_limits few_records;
  few_records.max_records = 3;
  auto r = run(s, std::nullopt, few_records);
  CHECK(r.status == axfr_status::failed);
  CHECK(has(r.error, "HC_MAX_AXFR_RECORDS"));
  axfr_limits few_bytes;
  few_bytes.max_bytes = 100;
  auto b = run(s, std::nullopt, few_bytes);
  CHECK(b.status == axfr_status::failed);
  CHECK(has(b.error, "HC_MAX_FILE_BYTES"));
}

TEST_CASE("axfr: the SOA must open the stream and close it unchanged") {
  script no_soa;
  no_soa.messages = {{"blog.debugo.fr. 300 IN A 198.18.1.10", soa}};
  auto a = run(no_soa);
  CHECK(a.status == axfr_status::failed);
  CHECK(has(a.error, "does not start with the zone's SOA"));
  script changed;
  changed.messages = {{soa, "blog.debugo.fr. 300 IN A 198.18.1.10", soa_other}};
  auto c = run(changed);
  CHECK(c.status == axfr_status::failed);
  CHECK(has(c.error, "closing SOA differs"));
  script outside;
  outside.messages = {{soa, "www.example.com. 300 IN A 192.0.2.1", soa}};
  auto o = run(outside);
  CHECK(o.status == axfr_status::failed);
  CHECK(has(o.error, "outside the zone"));
}

TEST_CASE("axfr: no server listening is failed, naming the server") {
  std::uint16_t port = 0;
  {
    axfr_server server([](const dns_bytes&) { return std::vector<dns_bytes>{}; }, false);
    port = server.port();
  }
  auto r = transfer_zone(request_for(port));
  CHECK(r.status == axfr_status::failed);
  CHECK(has(r.error, "127.0.0.1#" + std::to_string(port)));
}

TEST_CASE("axfr_reader: hostile messages (garbage, another ID, a reply without QR) fail the transfer, never ok") {
  axfr_request req = request_for(53);
  // A well-formed reply to a query with ID 7, to cut and bend.
  auto query = hc::probes::build_dns_query({"debugo.fr.", 252, 1, 7}, false, 0);
  REQUIRE(query);
  script s;
  s.messages = {{soa, soa}};
  auto framed = replies(*query, s);
  REQUIRE(framed.size() == 1);
  const dns_bytes good(framed[0].begin() + 2, framed[0].end());
  {
    axfr_reader r(req, 7, nullptr);
    CHECK(r.feed(good) == axfr_reader::step::done);
    auto res = r.finish();
    CHECK(res.status == axfr_status::ok);
    REQUIRE(res.data);
    CHECK(res.data->record_count() == 1);
  }
  {
    axfr_reader r(req, 8, nullptr);  // another query's ID
    CHECK(r.feed(good) == axfr_reader::step::failed);
    CHECK(r.finish().status == axfr_status::failed);
  }
  {
    dns_bytes no_qr = good;
    no_qr[2] &= 0x7f;
    axfr_reader r(req, 7, nullptr);
    CHECK(r.feed(no_qr) == axfr_reader::step::failed);
  }
  // Every prefix of the message, and the message with each byte flipped: never an ok transfer with
  // other records than the zone's.
  for (std::size_t n = 0; n < good.size(); ++n) {
    axfr_reader r(req, 7, nullptr);
    (void)r.feed(std::span<const std::uint8_t>(good.data(), n));
    CHECK(r.finish().status != axfr_status::ok);
  }
  std::size_t ok_flips = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    dns_bytes bent = good;
    bent[i] ^= 0xff;
    axfr_reader r(req, 7, nullptr);
    (void)r.feed(bent);
    auto res = r.finish();
    if (res.status == axfr_status::ok) {
      ++ok_flips;  // a flip inside a TTL or rdata still makes a zone: it must be a whole one
      REQUIRE(res.data);
      CHECK(res.data->origin() == "debugo.fr.");
      CHECK(res.data->serial());
    }
  }
  CHECK(ok_flips < good.size());
}

TEST_CASE("axfr: the transfer is sent from the source address asked for (the one its view was chosen for)") {
  script s;
  s.messages = three_messages();
  axfr_server server([&s](const dns_bytes& q) { return replies(q, s); }, false);
  auto req = request_for(server.port());
  req.source = hc::ip_address::parse("127.0.0.2");
  auto r = transfer_zone(req);
  CHECK(r.status == axfr_status::ok);
  CHECK(server.peer() == "127.0.0.2");
  // An address this host does not have: not sent at all, and said so.
  auto elsewhere = request_for(server.port());
  elsewhere.source = hc::ip_address::parse("192.0.2.77");
  auto e = transfer_zone(elsewhere);
  CHECK(e.status == axfr_status::failed);
  CHECK(has(e.error, "cannot send from 192.0.2.77"));
}
