#pragma once
// Zone data by AXFR for the inputs stage (--zones-from axfr|both): each view's zones transferred
// from the server with the key that selects the view (or unsigned when our address selects it).
// What cannot be transferred is a not-checked or tsig-bad finding naming server, zone, view and key.

#include <chrono>

#include "check/inputs.hpp"
#include "check/options.hpp"

namespace hc::check {

// With in.config read: axfr replaces in.zones by the transferred zones (every zone declared, in
// order; those not transferred without data); both compares each transfer with the file loaded in
// in.zones, record by record (stale-zone).
void transfer_zones(const run_options& o, run_inputs& in, std::chrono::steady_clock::time_point deadline);

// Without named.conf, with --view: in.config becomes the views given, in order (the first is the
// internal one; a view with KEYFILE takes the clients that sign with its key, the last view also
// every keyless client), their zones those of the names asked for, found by SOA queries.
void views_from_server(const run_options& o, run_inputs& in, std::chrono::steady_clock::time_point deadline);

}  // namespace hc::check
