// The walk of the public delegation from the root servers, fed canned replies.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <tuple>

#include <unistd.h>

#include "check/answer_plan.hpp"
#include "check/delegation.hpp"

using namespace hc;

namespace {

// A canned reply, keyed by (server address, qname, qtype); anything else times out.
struct reply {
  int rcode = 0;
  bool aa = false;
  std::vector<std::string> answer, authority, additional;
};

struct fake_net {
  std::map<std::tuple<std::string, std::string, std::uint16_t>, reply> replies;
  std::vector<probes::probe_request> sent;
  std::string deadline_after;  // a server whose question comes back "not started before the deadline"

  check::send_fn send() {
    return [this](const std::vector<probes::probe_request>& reqs) {
      std::vector<probes::probe_result> out;
      for (const auto& q : reqs) {
        sent.push_back(q);
        probes::probe_result r;
        r.check.name = q.name;
        r.check.service = q.service;
        r.check.path = q.path;
        r.check.address = q.target.address.str();
        auto it = replies.find({q.target.address.str(), q.qname, q.qtype});
        if (q.target.address.str() == deadline_after) {
          r.failure = finding_kind::not_checked;
          r.check.stage = "deadline";
          r.check.detail = "not started before the run's deadline";
        } else if (it == replies.end()) {
          r.failure = finding_kind::timeout;
          r.check.stage = "receive";
          r.check.detail = "no reply within 3 s";
        } else {
          r.check.ok = true;
          r.check.stage = "done";
          r.dns.emplace();
          r.dns->rcode = it->second.rcode;
          r.dns->aa = it->second.aa;
          r.dns->answer = it->second.answer;
          r.dns->authority = it->second.authority;
          r.dns->additional = it->second.additional;
        }
        out.push_back(std::move(r));
      }
      return out;
    };
  }

  void set(const std::string& server, const std::string& qname, std::uint16_t qtype, reply r) {
    replies[{server, qname, qtype}] = std::move(r);
  }
};

ip_address ip(const char* text) { return *ip_address::parse(text); }

probes::clock::time_point far() { return probes::clock::now() + std::chrono::hours(1); }

// root (192.0.2.1) > fr. (192.0.2.2, ns.nic.fr.) > debugo.fr. (203.0.113.1, ns.debugo.fr.)
fake_net lab_chain() {
  fake_net n;
  n.set("192.0.2.1", "debugo.fr.", 2, {0, false, {}, {"fr. NS ns.nic.fr."}, {"ns.nic.fr. A 192.0.2.2"}});
  n.set("192.0.2.2", "debugo.fr.", 2,
        {0, false, {}, {"debugo.fr. NS ns.debugo.fr."}, {"ns.debugo.fr. A 203.0.113.1"}});
  n.set("203.0.113.1", "debugo.fr.", 2, {0, true, {"debugo.fr. NS ns.debugo.fr."}, {}, {"ns.debugo.fr. A 203.0.113.1"}});
  return n;
}

std::string cuts_of(const check::delegation_result& r) {
  std::string out;
  for (const auto& c : r.cuts) out += (out.empty() ? "" : " ") + c;
  return out;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("root hints: the addresses of the root's NS names, in BIND's hints format") {
  diagnostics d;
  auto roots = check::parse_root_hints(
      "; comment\n"
      ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
      "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
      "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
      ". 3600000 IN NS b.root-servers.net. ; trailing comment\n"
      "b.root-servers.net. IN 3600000 A 170.247.170.2\n"
      "other.example. A 192.0.2.99\n",
      "root.hints", d);
  CHECK(d.all().empty());
  REQUIRE(roots.size() == 3);
  CHECK(roots[0].str() == "198.41.0.4");
  CHECK(roots[1].str() == "2001:503:ba3e::2:30");
  CHECK(roots[2].str() == "170.247.170.2");
}

TEST_CASE("root hints: bad input is an error naming file:line:col and the token, nothing kept") {
  diagnostics d;
  auto roots = check::parse_root_hints(". NS a.root.\na.root. A 300.1.2.3\n", "hints", d);
  CHECK(roots.empty());
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].str().rfind("hints:2:11:", 0) == 0);
  CHECK(contains(d.all()[0].str(), "300.1.2.3"));

  diagnostics d2;
  CHECK(check::parse_root_hints("$INCLUDE /etc/shadow\n", "hints", d2).empty());
  REQUIRE_FALSE(d2.all().empty());
  CHECK(d2.all()[0].str().rfind("hints:1:1:", 0) == 0);

  diagnostics d3;
  CHECK(check::parse_root_hints("example. NS ns.example.\n", "hints", d3).empty());
  CHECK_FALSE(d3.all().empty());

  diagnostics d4;
  CHECK(check::parse_root_hints("", "hints", d4).empty());
  REQUIRE(d4.all().size() == 1);
  CHECK(contains(d4.all()[0].message, "no NS record for the root"));
}

TEST_CASE("root hints: a huge hints file keeps at most max_hints addresses") {
  std::string text;
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    text += ". NS r" + n + ".root.\nr" + n + ".root. A 192.0.2." + std::to_string(i % 250) + "\n";
  }
  diagnostics d;
  auto roots = check::parse_root_hints(text, "hints", d);
  CHECK(d.all().empty());
  CHECK(roots.size() <= check::max_hints);
}

TEST_CASE("delegation: a referral chain with glue ends at the servers with authority for the zone") {
  auto net = lab_chain();
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  REQUIRE(r.found);
  CHECK(r.zone == "debugo.fr.");
  CHECK(cuts_of(r) == ". fr. debugo.fr.");
  REQUIRE(r.addresses.size() == 1);
  CHECK(r.addresses[0].str() == "203.0.113.1");
  CHECK(r.ns_names == std::vector<std::string>{"ns.debugo.fr."});
  CHECK(w.queries() == 3);
  for (const auto& q : net.sent) {
    CHECK_FALSE(q.recursion_desired);
    CHECK(q.qtype == 2);
    CHECK(q.path == "delegation");
  }
}

TEST_CASE("delegation: a name server without glue is found by a walk of its own") {
  fake_net net;
  net.set("192.0.2.1", "debugo.fr.", 2, {0, false, {}, {"debugo.fr. NS ns.example.net."}, {}});
  net.set("192.0.2.1", "ns.example.net.", 1,
          {0, false, {}, {"example.net. NS a.example.net."}, {"a.example.net. A 192.0.2.30"}});
  net.set("192.0.2.30", "ns.example.net.", 1, {0, true, {"ns.example.net. A 203.0.113.7"}, {}, {}});
  net.set("203.0.113.7", "debugo.fr.", 2, {0, true, {"debugo.fr. NS ns.example.net."}, {}, {}});
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  REQUIRE(r.found);
  REQUIRE(r.addresses.size() == 1);
  CHECK(r.addresses[0].str() == "203.0.113.7");
  CHECK(w.queries() == 4);
}

TEST_CASE("delegation: glue for a name outside the referring zone is not taken") {
  fake_net net;
  // fr. hands out an address for ns.evil.example., which it has no authority over.
  net.set("192.0.2.1", "debugo.fr.", 2, {0, false, {}, {"fr. NS ns.nic.fr."}, {"ns.nic.fr. A 192.0.2.2"}});
  net.set("192.0.2.2", "debugo.fr.", 2,
          {0, false, {}, {"debugo.fr. NS ns.evil.example."}, {"ns.evil.example. A 192.0.2.66"}});
  net.set("192.0.2.66", "debugo.fr.", 2, {0, true, {"debugo.fr. NS ns.evil.example."}, {}, {}});
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  CHECK_FALSE(r.found);
  for (const auto& q : net.sent) CHECK(q.target.address.str() != "192.0.2.66");
}

TEST_CASE("delegation: referrals that lead up or sideways are lame, and the walk ends") {
  fake_net net;
  net.set("192.0.2.1", "debugo.fr.", 2, {0, false, {}, {"fr. NS ns.nic.fr."}, {"ns.nic.fr. A 192.0.2.2"}});
  // fr. refers back to itself: a loop.
  net.set("192.0.2.2", "debugo.fr.", 2, {0, false, {}, {"fr. NS ns.nic.fr."}, {"ns.nic.fr. A 192.0.2.2"}});
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  CHECK_FALSE(r.found);
  CHECK(contains(r.failure, "does not lead towards debugo.fr"));
  CHECK(w.queries() == 2);

  fake_net up;
  up.set("192.0.2.1", "debugo.fr.", 2, {0, false, {}, {"fr. NS ns.nic.fr."}, {"ns.nic.fr. A 192.0.2.2"}});
  up.set("192.0.2.2", "debugo.fr.", 2, {0, false, {}, {"example. NS ns.example."}, {"ns.example. A 192.0.2.1"}});
  check::delegation_walker w2(up.send(), {ip("192.0.2.1")}, {}, far());
  CHECK_FALSE(w2.walk("debugo.fr.").found);
  CHECK(w2.queries() == 2);
}

TEST_CASE("delegation: glueless name servers that depend on each other are a cycle, not an endless walk") {
  fake_net net;
  net.set("192.0.2.1", "debugo.fr.", 2, {0, false, {}, {"debugo.fr. NS ns.a.test."}, {}});
  net.set("192.0.2.1", "ns.a.test.", 1, {0, false, {}, {"a.test. NS ns.b.test."}, {}});
  net.set("192.0.2.1", "ns.b.test.", 1, {0, false, {}, {"b.test. NS ns.a.test."}, {}});
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  CHECK_FALSE(r.found);
  CHECK(contains(r.failure, "no address for any name server of debugo.fr"));
  CHECK(w.queries() <= 4);
}

TEST_CASE("delegation: a lame server is passed over for the next one; all lame is a failure that says so") {
  auto net = lab_chain();
  net.set("192.0.2.2", "debugo.fr.", 2,
          {0, false, {}, {"debugo.fr. NS ns1.debugo.fr.", "debugo.fr. NS ns2.debugo.fr."},
           {"ns1.debugo.fr. A 198.51.100.9", "ns2.debugo.fr. A 203.0.113.1"}});
  // 198.51.100.9 does not answer at all.
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  REQUIRE(r.found);
  CHECK(r.addresses.size() == 2);  // the delegation's servers, the dead one too

  // Both answer without authority (a recursive server, say).
  net.set("198.51.100.9", "debugo.fr.", 2, {0, false, {"debugo.fr. NS ns1.debugo.fr."}, {}, {}});
  net.set("203.0.113.1", "debugo.fr.", 2, {5, false, {}, {}, {}});
  check::delegation_walker w2(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r2 = w2.walk("debugo.fr.");
  CHECK_FALSE(r2.found);
  CHECK(contains(r2.failure, "no debugo.fr server answered"));
  CHECK(contains(r2.failure, "198.51.100.9: lame"));
  CHECK(contains(r2.failure, "203.0.113.1: lame"));
}

TEST_CASE("delegation: a zone the public DNS does not delegate is no delegation, never the parent's servers") {
  fake_net net;
  net.set("192.0.2.1", "corp.internal.", 2, {3, true, {}, {". SOA a.root. nstld. 1 1800 900 604800 86400"}, {}});
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("corp.internal.");
  CHECK_FALSE(r.found);
  CHECK(contains(r.failure, "does not exist"));

  // The name's zone unknown: an answer with authority from the root is not an external DNS either.
  fake_net root_only;
  root_only.set("192.0.2.1", "blog.debugo.fr.", 2, {0, true, {}, {}, {}});
  check::delegation_walker w2(root_only.send(), {ip("192.0.2.1")}, {}, far());
  CHECK_FALSE(w2.walk("blog.debugo.fr.", false).found);

  // fr. answers for debugo.fr. itself: the zone is not delegated.
  auto chain = lab_chain();
  chain.set("192.0.2.2", "debugo.fr.", 2, {0, true, {}, {"fr. SOA ns.nic.fr. h. 1 1 1 1 1"}, {}});
  check::delegation_walker w3(chain.send(), {ip("192.0.2.1")}, {}, far());
  auto r3 = w3.walk("debugo.fr.");
  CHECK_FALSE(r3.found);
  CHECK(contains(r3.failure, "not delegated"));
}

TEST_CASE("delegation: parent servers that serve the zone too answer for it with authority: they are its servers") {
  auto net = lab_chain();
  net.set("192.0.2.2", "debugo.fr.", 2,
          {0, true, {"debugo.fr. NS ns.nic.fr."}, {}, {"ns.nic.fr. A 192.0.2.2"}});
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, {}, far());
  auto r = w.walk("debugo.fr.");
  REQUIRE(r.found);
  CHECK(r.zone == "debugo.fr.");
  CHECK(cuts_of(r) == ". fr. debugo.fr.");
  REQUIRE(r.addresses.size() == 1);
  CHECK(r.addresses[0].str() == "192.0.2.2");
  CHECK(w.queries() == 2);
}

TEST_CASE("delegation: a huge referral is cut to max_ns names and max_servers addresses") {
  fake_net net;
  reply big;
  for (int i = 0; i < 200; ++i) {
    const std::string n = std::to_string(i);
    big.authority.push_back("debugo.fr. NS ns" + n + ".debugo.fr.");
    big.additional.push_back("ns" + n + ".debugo.fr. A 198.51.100." + std::to_string(i % 250 + 1));
  }
  net.set("192.0.2.1", "debugo.fr.", 2, big);  // and none of them answers
  check::delegation_limits limits;
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, limits, far());
  auto r = w.walk("debugo.fr.");
  CHECK_FALSE(r.found);
  CHECK(w.queries() == 1 + limits.max_servers);
}

TEST_CASE("delegation: the question budget and the deadline end the walk, and every later walk") {
  auto net = lab_chain();
  check::delegation_limits limits;
  limits.max_queries = 2;
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, limits, far());
  auto r = w.walk("debugo.fr.");
  CHECK_FALSE(r.found);
  CHECK(contains(r.failure, "bound of 2 questions"));
  CHECK(net.sent.size() == 2);

  // A clock that moves one second per question, a deadline two seconds away.
  auto t0 = probes::clock::now();
  auto clock_now = t0;
  auto net2 = lab_chain();
  auto counting = net2.send();
  check::send_fn ticking = [&clock_now, &counting](const std::vector<probes::probe_request>& reqs) {
    clock_now += std::chrono::seconds(1);
    return counting(reqs);
  };
  check::delegation_walker w2(ticking, {ip("192.0.2.1")}, {}, t0 + std::chrono::seconds(2),
                              [&clock_now] { return clock_now; });
  auto r2 = w2.walk("debugo.fr.");
  CHECK_FALSE(r2.found);
  CHECK(contains(r2.failure, "deadline"));
  CHECK(net2.sent.size() == 2);
  CHECK_FALSE(w2.walk("other.fr.").found);
  CHECK(net2.sent.size() == 2);

  // The run's deadline, as execute() reports it, stops the walk at once.
  auto net3 = lab_chain();
  net3.deadline_after = "192.0.2.2";
  check::delegation_walker w3(net3.send(), {ip("192.0.2.1"), ip("192.0.2.9")}, {}, far());
  auto r3 = w3.walk("debugo.fr.");
  CHECK_FALSE(r3.found);
  CHECK(contains(r3.failure, "the run's deadline came first"));
  CHECK(net3.sent.size() == 2);
}

TEST_CASE("delegation: only the address families the run asks for are used") {
  auto net = lab_chain();
  check::delegation_limits limits;
  limits.ipv4 = false;
  check::delegation_walker w(net.send(), {ip("192.0.2.1")}, limits, far());
  CHECK_FALSE(w.walk("debugo.fr.").found);
  CHECK(net.sent.empty());

  // Both families: IPv4 servers are asked first, in their order.
  auto both = lab_chain();
  check::delegation_walker w2(both.send(), {ip("2001:db8::53"), ip("192.0.2.1")}, {}, far());
  CHECK(w2.walk("debugo.fr.").found);
  REQUIRE_FALSE(both.sent.empty());
  CHECK(both.sent.front().target.address.str() == "192.0.2.1");
}

namespace {

struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/hc-hints-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    close(fd);
    path = name;
    std::ofstream(path) << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

check::vantage_point lan_vantage() {
  check::vantage_point vp;
  vp.resolver = ip_endpoint{ip("198.18.1.53"), 53};
  vp.source = ip("198.18.1.99");
  vp.lan = {*ip_prefix::parse("198.18.1.0/24")};
  return vp;
}

// The lab's one-shot case: the resolver gives the internal answer and, for NS, the internal server.
fake_net oneshot_net() {
  auto net = lab_chain();
  net.set("198.18.1.53", "blog.debugo.fr.", 1, {0, false, {"blog.debugo.fr. A 198.18.1.10"}, {}, {}});
  net.set("198.18.1.53", "blog.debugo.fr.", 6,
          {0, false, {"debugo.fr. SOA ns.debugo.fr. hostmaster.debugo.fr. 1 3600 900 604800 300"}, {}, {}});
  net.set("198.18.1.53", "debugo.fr.", 2, {0, false, {"debugo.fr. NS ns.debugo.fr."}, {}, {}});
  net.set("198.18.1.53", "ns.debugo.fr.", 1, {0, false, {"ns.debugo.fr. A 198.18.1.53"}, {}, {}});
  net.set("203.0.113.1", "blog.debugo.fr.", 1, {0, true, {"blog.debugo.fr. A 203.0.113.1"}, {}, {}});
  return net;
}

bool any_note(const check::plan& p, const std::string& part) {
  return std::any_of(p.notes.begin(), p.notes.end(), [&part](const std::string& n) { return contains(n, part); });
}

}  // namespace

TEST_CASE("answer plan: the external DNS is the public delegation walked from the root hints") {
  temp_file hints(". NS root.lab.\nroot.lab. A 192.0.2.1\n");
  check::run_options o;
  o.ipv6 = false;
  o.root_hints = hints.path;
  auto net = oneshot_net();
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  std::vector<std::string> hairpin_targets;
  for (const auto& q : net.sent)
    if (q.path == "hairpin") hairpin_targets.push_back(q.target.address.str());
  REQUIRE_FALSE(hairpin_targets.empty());
  for (const auto& t : hairpin_targets) CHECK(t == "203.0.113.1");
  CHECK(any_note(p, "public delegation walked from the root servers"));
  for (const auto& f : p.findings) CHECK(f.kind != finding_kind::not_checked);
  // The resolver's NS records were never asked: the walk found the server.
  for (const auto& q : net.sent) CHECK_FALSE((q.path == "resolver" && q.qtype == 2));
}

TEST_CASE("answer plan: without root hints the resolver's NS records are the fallback, and a note says so") {
  check::run_options o;
  o.ipv6 = false;
  auto net = oneshot_net();
  net.set("198.18.1.53", "ns.debugo.fr.", 1, {0, false, {"ns.debugo.fr. A 203.0.113.1"}, {}, {}});
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  CHECK(any_note(p, "could not be walked from the root servers (no root hints"));
  CHECK(any_note(p, "taken from the zone's NS records"));
  bool hairpin = false;
  for (const auto& q : net.sent) hairpin |= q.path == "hairpin" && q.target.address.str() == "203.0.113.1";
  CHECK(hairpin);
}

TEST_CASE("answer plan: a walk and a fallback that both fail leave the DNS hairpin not-checked, with both reasons") {
  temp_file hints(". NS root.lab.\nroot.lab. A 192.0.2.1\n");
  check::run_options o;
  o.ipv6 = false;
  o.root_hints = hints.path;
  auto net = oneshot_net();
  net.replies.erase({"192.0.2.1", "debugo.fr.", 2});  // the root does not answer
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  for (const auto& q : net.sent) CHECK(q.path != "hairpin");
  bool said = false;
  for (const auto& f : p.findings)
    if (f.kind == finding_kind::not_checked) said |= contains(f.evidence, "internal addresses only (198.18.1.53)");
  CHECK(said);
  CHECK(any_note(p, "could not be walked from the root servers (debugo.fr: no root server answered"));
}

TEST_CASE("answer plan: a hints file that cannot be parsed is a config-error naming file:line:col") {
  temp_file hints(". NS root.lab.\nroot.lab. A not-an-address\n");
  check::run_options o;
  o.ipv6 = false;
  o.root_hints = hints.path;
  auto net = oneshot_net();
  auto p = check::plan_from_answers({"blog.debugo.fr."}, o, lan_vantage(), net.send());
  bool found = false;
  for (const auto& f : p.findings)
    if (f.kind == finding_kind::config_error) found |= contains(f.evidence, hints.path + ":2:13:");
  CHECK(found);
}
