#pragma once
// Live DNS probes: one query over UDP (unconnected socket, so a reply from an unexpected source is
// seen and named) or TCP (2-byte length framing), with careful reply matching, EDNS0 and TCP
// fallback for truncated answers; plus the helpers that find the resolver to ask.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/probe.hpp"

namespace hc::probes {

// Asks request.qname/qtype of request.target over UDP from a random port with a random ID.
// Replies from other addresses are recorded (dns.unexpected_sources) and the probe keeps listening
// for the right source until request.deadline (the caller's, never recomputed); replies with a wrong ID or
// question are counted (dns.mismatched) and dropped. ICMP unreachable → failure "refused"; only
// stray replies → "unexpected-source" (their answer kept in facts "stray_answer"); nothing →
// "timeout". A TC=1 answer is fetched again over TCP (dns.tcp_fallback), "truncated-no-tcp" when
// that fails. Never throws: an internal error gives stage "internal".
// Both DNS probes run under run_guarded and deadline_guard like the TCP probes: an exception is
// not-checked "internal error: ...". Failed stages: "send", "receive", "tcp-fallback", "encode"
// (the name cannot be encoded: not-checked, "unsupported name: label longer than 63 octets"). The deadline timer and the socket
// share the probe's executor: run the io_context on one thread, or give the probes a strand.
asio::awaitable<probe_result> probe_dns_udp(const probe_context& context, const probe_request& request);

// The same query over TCP: "connect", "request" and "processing" phases; failures "refused",
// "reset" (also a connection closed or badly framed before a reply) and "timeout".
asio::awaitable<probe_result> probe_dns_tcp(const probe_context& context, const probe_request& request);

// The first usable "nameserver ADDR" line of a resolv.conf text ('#' and ';' start comments,
// IPv6 zone indexes are dropped); empty optional when there is none.
std::optional<ip_address> first_nameserver(std::string_view resolv_conf);

// first_nameserver() of a file; empty optional when it cannot be read or names none.
std::optional<ip_address> read_first_nameserver(const std::string& path = "/etc/resolv.conf");

}  // namespace hc::probes
