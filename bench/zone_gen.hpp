#pragma once
// Generator of split-horizon zone pairs for the view-diff benchmark and tests: N names per view, a
// realistic mix of A, AAAA, TXT, MX and CNAME records, and known planted differences recorded in a
// manifest (the exact findings diff_views must report with the internal view's match-clients
// 198.18.0.0/15 and no NAT rules).

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace hc::bench {

struct gen_options {
  std::size_t names = 1000;       // owner names per view (about 2.2 records each)
  std::size_t planted = 5;        // of each planted kind
  std::uint64_t seed = 1;
  std::string origin = "bench.example";
  bool varied_syntax = false;     // vary TTLs, classes, case, parentheses, comments (for reader tests)
};

// One finding the pair must produce: "kind name type view" as the tests summarise findings.
struct planted {
  std::string kind, name, type, view;
  std::string summary() const { return kind + " " + name + " " + type + " " + view; }
};

struct generated_pair {
  std::string intra, extra;
  std::vector<planted> manifest;
};

namespace gen_detail {

// xorshift64*: deterministic across platforms.
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }
};

inline std::string owner_of(std::size_t i) {
  // One name in seven sits one label deeper (dept labels become empty non-terminals).
  if (i % 7 == 6) return fmt::format("h{}.dept{}", i, i % 16);
  return fmt::format("h{}", i);
}

}  // namespace gen_detail

inline generated_pair generate_pair(const gen_options& o) {
  using gen_detail::owner_of;
  gen_detail::rng r{o.seed * 0x9E3779B97F4A7C15ull + 1};
  generated_pair g;
  std::string& in = g.intra;
  std::string& ex = g.extra;
  in.reserve(o.names * 60);
  ex.reserve(o.names * 60);
  const std::string origin = o.origin + ".";
  auto both = [&](const std::string& s) {
    in += s;
    ex += s;
  };
  both(fmt::format("; generated split-horizon zone {} ({} names)\n$ORIGIN {}\n$TTL 3600\n", o.origin, o.names, origin));
  in += "@ IN SOA ns1 hostmaster 2024010101 3600 900 604800 300\n";
  ex += "@ IN SOA ns1 hostmaster 2024010102 3600 900 604800 300\n";
  both(" IN NS ns1\n IN NS ns2\nns1 IN A 198.51.100.1\nns2 IN A 198.51.100.2\n");

  const std::size_t n = o.names;
  const std::size_t k = o.planted;
  std::size_t stride = k ? std::max<std::size_t>(1, n / (k + 1)) : n + 1;
  std::size_t planted_at = 0;

  auto ttl_text = [&](bool varied) -> std::string {
    if (!varied) return "";
    switch (r.below(5)) {
      case 0: return " 300";
      case 1: return " 1h";
      case 2: return " 2H30M";
      default: return "";
    }
  };
  auto cls = [&](bool varied) -> std::string { return varied ? (r.below(2) ? " IN" : " in") : " IN"; };

  for (std::size_t i = 0; i < n; ++i) {
    const bool v = o.varied_syntax;
    if (k && i > 0 && i % stride == 0 && planted_at < k) {
      std::size_t j = planted_at++;
      in += fmt::format("io{} IN A 198.18.1.{}\n", j, j % 250 + 1);
      g.manifest.push_back({"intra-only", fmt::format("io{}", j), "A", "intra"});
      ex += fmt::format("eo{} IN A 192.0.2.{}\n", j, j % 250 + 1);
      g.manifest.push_back({"extra-only", fmt::format("eo{}", j), "A", "extra"});
      in += fmt::format("dg{} IN TXT \"v=spf1 mx -all\"\n", j);
      ex += fmt::format("dg{} IN TXT \"v=spf1 a mx -all\"\n", j);
      g.manifest.push_back({"disagree", fmt::format("dg{}", j), "TXT", "intra,extra"});
      both(fmt::format("lk{} IN A 198.18.0.{}\n", j, j % 250 + 1));
      g.manifest.push_back({"leak", fmt::format("lk{}", j), "A", "extra"});
    }

    std::string name = owner_of(i);
    if (v && r.below(4) == 0) {
      for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (v && r.below(6) == 0) name += "." + origin;  // absolute owner
    const std::string pub = fmt::format("203.0.113.{}", i % 254 + 1);
    const bool is_cname = i % 8 == 5;
    const bool is_split = i % 10 == 3 && !is_cname;
    if (is_cname) {
      std::size_t t = (i * 7 + 1) % n;
      if (t % 8 == 5) t = (t + 1) % n;  // never at a CNAME: no chains, no loops
      std::string target = owner_of(t);
      both(fmt::format("{}{}{} CNAME {}\n", name, ttl_text(v), cls(v), target));
      continue;
    }
    if (is_split) {
      in += fmt::format("{}{}{} A 198.18.{}.{}\n", name, ttl_text(v), cls(v), (i / 250) % 250 + 2, i % 250 + 1);
      ex += fmt::format("{}{}{} A {}\n", name, ttl_text(v), cls(v), pub);
      g.manifest.push_back({"split", owner_of(i), "A", "intra,extra"});
    } else {
      both(fmt::format("{}{}{} A {}\n", name, ttl_text(v), cls(v), pub));
    }
    if (i % 2 == 0) {
      if (v && r.below(3) == 0)
        both(fmt::format(" TXT ( \"site-verification=\" ; split\n   \"{:016x}\" )\n", i * 0x9E3779B97F4A7C15ull));
      else
        both(fmt::format(" TXT \"site-verification={:016x}\"\n", i * 0x9E3779B97F4A7C15ull));
    }
    if (i % 4 == 0) {
      std::size_t m = (i + 3) % n;
      if (m % 8 == 5) m = (m + 1) % n;
      both(fmt::format(" MX 10 {}\n MX 20 {}{}\n", owner_of(m), owner_of(m), v && r.below(2) ? "." + origin : ""));
    }
    if (i % 5 == 0) both(fmt::format(" AAAA 2001:db8:{:x}::{:x}\n", i >> 16, i & 0xffff));

  }
  for (auto& p : g.manifest) p.name += "." + o.origin;
  return g;
}


// The realistic mix of real split-horizon zones (issue #16): most public names split, one missing
// mail host shared by many names, a few real anomalies. Shares are of the owner names.
struct mix_options {
  std::size_t names = 1000;
  double split = 0.50;            // A differs: inside address in the internal view, public outside
  double dangling = 0.14;         // an MX at a host that exists in neither view
  std::size_t shared_targets = 4; // how many distinct missing hosts those MX point at
  double anomaly = 0.03;          // leaks, TXT disagreements, internal-only and external-only names
  std::uint64_t seed = 1;
  std::string origin = "bench.example";
};

// A pair in the realistic mix. The manifest lists one line per finding, aggregated findings
// (dangling-target per missing host and view) under their first referring name.
inline generated_pair generate_mix(const mix_options& o) {
  using gen_detail::owner_of;
  gen_detail::rng r{o.seed * 0x9E3779B97F4A7C15ull + 7};
  generated_pair g;
  std::string& in = g.intra;
  std::string& ex = g.extra;
  in.reserve(o.names * 64);
  ex.reserve(o.names * 64);
  const std::string origin = o.origin + ".";
  auto both = [&](const std::string& s) {
    in += s;
    ex += s;
  };
  both(fmt::format("; generated split-horizon zone {} ({} names, realistic mix)\n$ORIGIN {}\n$TTL 3600\n", o.origin,
                   o.names, origin));
  in += "@ IN SOA ns1 hostmaster 2024010101 3600 900 604800 300\n";
  ex += "@ IN SOA ns1 hostmaster 2024010102 3600 900 604800 300\n";
  both(" IN NS ns1\n IN NS ns2\nns1 IN A 198.51.100.1\nns2 IN A 198.51.100.2\n");
  const auto per = [](double share) { return static_cast<unsigned>(share * 1000000.0 + 0.5); };
  const unsigned a_cut = per(o.anomaly), s_cut = a_cut + per(o.split), d_cut = per(o.dangling);
  const std::size_t targets = std::max<std::size_t>(1, o.shared_targets);
  std::vector<std::string> first_ref(targets);  // least referring name per missing host
  std::size_t anomalies = 0;
  for (std::size_t i = 0; i < o.names; ++i) {
    const std::string name = owner_of(i);
    const std::string full = name + "." + o.origin;
    const std::string pub = fmt::format("203.0.113.{}", i % 254 + 1);
    const unsigned u = r.below(1000000);
    if (u < a_cut) {
      switch (anomalies++ % 4) {
        case 0:
          both(fmt::format("{} IN A 198.18.0.{}\n", name, i % 250 + 1));
          g.manifest.push_back({"leak", full, "A", "extra"});
          break;
        case 1:
          both(fmt::format("{} IN A {}\n", name, pub));
          in += fmt::format(" TXT \"v=spf1 mx -all\"\n");
          ex += fmt::format(" TXT \"v=spf1 a mx -all\"\n");
          g.manifest.push_back({"disagree", full, "TXT", "intra,extra"});
          break;
        case 2:
          in += fmt::format("{} IN A 198.18.1.{}\n", name, i % 250 + 1);
          g.manifest.push_back({"intra-only", full, "A", "intra"});
          break;
        default:
          ex += fmt::format("{} IN A {}\n", name, pub);
          g.manifest.push_back({"extra-only", full, "A", "extra"});
          break;
      }
      continue;
    }
    if (u < s_cut) {
      in += fmt::format("{} IN A 198.18.{}.{}\n", name, (i / 250) % 250 + 2, i % 250 + 1);
      ex += fmt::format("{} IN A {}\n", name, pub);
      g.manifest.push_back({"split", full, "A", "intra,extra"});
    } else {
      both(fmt::format("{} IN A {}\n", name, pub));
    }
    if (i % 2 == 0) both(fmt::format(" TXT \"site-verification={:016x}\"\n", i * 0x9E3779B97F4A7C15ull));
    if (i % 5 == 0) both(fmt::format(" AAAA 2001:db8:{:x}::{:x}\n", i >> 16, i & 0xffff));
    if (r.below(1000000) < d_cut) {
      const std::size_t t = r.below(static_cast<unsigned>(targets));
      both(fmt::format(" MX 10 gone-mx{}\n", t));
      if (first_ref[t].empty() || full < first_ref[t]) first_ref[t] = full;
    }
  }
  for (std::size_t t = 0; t < targets; ++t)
    if (!first_ref[t].empty())
      for (const char* view : {"intra", "extra"}) g.manifest.push_back({"dangling-target", first_ref[t], "MX", view});
  return g;
}

}  // namespace hc::bench
