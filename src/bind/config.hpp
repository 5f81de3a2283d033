#pragma once
// The model of a BIND configuration: ACLs, views in order, zones per view, options of interest.
// Built by read_named_conf() from named.conf and everything it includes.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/ip.hpp"
#include "core/result.hpp"

namespace hc::bind {

struct address_match_list;

// One element of an address match list, as BIND knows them.
struct address_match_element {
  // geoip: BIND's `geoip ...` element; like key it never matches (no GeoIP database is modelled).
  enum class kind { prefix, acl_ref, any, none, localhost, localnets, key, nested, geoip };
  kind what = kind::prefix;
  bool negated = false;
  ip_prefix prefix;                                  // kind::prefix
  std::string ref;                                   // acl name or key name
  std::shared_ptr<const address_match_list> nested;  // kind::nested: { ... } inside a list
  source_location where;
  std::string text;  // as written, with "!" when negated
};

struct address_match_list {
  std::vector<address_match_element> elements;
};

struct acl_decl {
  std::string name;
  address_match_list list;
  source_location where;
};

struct zone_decl {
  std::string name;        // lower case, no trailing dot ("." for the root)
  std::string rrclass = "IN";
  std::string type;        // primary, secondary, forward, stub, hint, mirror, redirect, static-stub, delegation-only, in-view
  std::string file;        // resolved against options { directory }; empty when none
  std::string file_written;     // the `file` argument as written (relative names: against directory)
  source_location file_where;   // the `file` statement, for errors about the zone file
  std::string in_view;     // set for `in-view NAME;` zones
  source_location where;
};

// A TSIG key: `key "name" { algorithm hmac-sha256; secret "base64"; };`, at the top of named.conf,
// in a view, or in a key file (tsig-keygen, dig -k). The secret is never printed: not in a
// diagnostic, a note, a finding or a log; messages name the key and the position only.
struct key_decl {
  std::string name;       // as written, without a trailing dot
  std::string algorithm;  // lower case ("hmac-sha256")
  std::string secret;     // base64, white space removed
  std::string view;       // the view whose block declares it; empty at the top level or in a key file
  source_location where;  // the key statement
};

struct view_decl {
  std::string name;
  std::string rrclass = "IN";
  address_match_list match_clients;       // BIND default: any
  address_match_list match_destinations;  // BIND default: any
  bool match_recursive_only = false;
  std::vector<zone_decl> zones;
  bool implicit = false;  // the default view that holds zones outside any view
  std::optional<std::string> recursion;  // the view's own `recursion yes|no;`, when set
  source_location where;
};

struct options_decl {
  std::string directory;  // absolute; default the directory of named.conf
  std::optional<std::string> recursion;
  std::vector<std::string> listen_on;  // texts as written
};

// The host facts that `localhost` and `localnets` depend on.
struct host_addresses {
  std::vector<ip_address> local;   // the host's own addresses (localhost)
  std::vector<ip_prefix> nets;     // the networks it is attached to (localnets)
};

struct config {
  std::string file;  // the top-level named.conf
  options_decl options;
  std::vector<acl_decl> acls;
  std::vector<view_decl> views;  // in order; when no view is declared, one implicit "_default" view
  std::vector<key_decl> keys;    // every valid key statement, top level and in views, in order
  std::vector<std::string> files_read;  // every file read, includes too, in order
  std::unordered_map<std::string, std::size_t> acl_index;  // acl name -> index in acls (filled by read_named_conf)
};

// How deep ACL references and nested lists may go below an `acl` statement. A longer chain is a
// configuration error reported at the reference that starts it; matching stops there.
inline constexpr int max_acl_depth = 64;

// Reads named.conf and its includes. Errors (with file:line:col) go to diags; reading goes on
// after an error so one run reports all of them. Throws input_error when `path` itself cannot be opened
// (missing, not a regular file, too large) and when memory runs out while reading ("out of memory
// while reading PATH"); the limits of core/input_file.hpp bound what is read.
config read_named_conf(const std::string& path, diagnostics& diags);

// Reads a BIND key file (what tsig-keygen writes and `dig -k` reads: key statements, comments,
// includes). The file is private to diagnostics (no token of it is ever quoted); errors name
// file:line:col. Throws input_error when it cannot be opened, as read_named_conf.
std::vector<key_decl> read_key_file(const std::string& path, diagnostics& diags);

// The key named `name` (case and a trailing dot ignored) that `view` knows: its own key statement,
// else a top-level one; nullptr when none.
const key_decl* find_key(const std::vector<key_decl>& keys, const std::string& name, const std::string& view = {});

// The TSIG algorithms BIND knows (hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512).
bool known_tsig_algorithm(const std::string& name);

// Does `list` take `client`? BIND's first-match semantics: the first element that matches decides,
// a negated match rejects. `key` elements never match an address (a keyed client is not modelled).
bool matches(const config& cfg, const address_match_list& list, const ip_address& client,
             const host_addresses& host = {});

// The same for a client that signs its query with the TSIG key `key` (compared as BIND compares key
// names: case and a trailing dot ignored): `key` elements naming it match, `!key` elements reject.
bool matches_with_key(const config& cfg, const address_match_list& list, const ip_address& client,
                      const std::string& key, const host_addresses& host = {});

// The client prefixes `list` accepts, in the order of its elements, ACL references and nested lists
// followed (at most max_acl_depth deep): every non-negated prefix that no earlier element rejects as
// a whole. `any` is 0.0.0.0/0 and ::/0; `localhost` and `localnets` are the host's addresses and
// networks, or, when `host` is empty, only 127.0.0.1 and ::1 (127.0.0.0/8 and ::1 for localnets), as
// matches() counts them. A negated element that rejects part of a prefix does not split it: check a
// sample address with matches(). Keys, geoip, `none` and undefined ACLs add nothing.
std::vector<ip_prefix> accepted_prefixes(const config& cfg, const address_match_list& list,
                                         const host_addresses& host = {});

// The `localhost` and `localnets` elements `list` reaches (through ACLs and nested lists), as
// "localhost (file:line:col)": what matching cannot settle when the host's addresses are unknown.
std::vector<std::string> host_dependent_elements(const config& cfg, const address_match_list& list);

// The internal and the external view, and how they were told apart.
struct view_pair {
  const view_decl* internal = nullptr;
  const view_decl* external = nullptr;
  std::string internal_key;  // a TSIG key that selects the internal view; empty when none does
  std::string external_key;  // a TSIG key that selects the external view; empty when none does
  bool by_keys = false;      // told apart by their keys rather than by a client address
  std::string reason;        // why no pair was found; empty when both views were
  std::vector<std::string> notes;  // for the run's notes: the keys, host facts the answer assumed
};

// The internal and the external view. With `source`: as infer_views(). When that finds no pair
// (or without `source`), by TSIG keys: the key-selected view that keyless clients do not reach is
// the internal one, the view keyless clients from outside reach is the external one (`key "ext";
// any;` or `!key "int"; any;`). Views selected only by keys, none of them taking keyless clients,
// cannot be told apart (reason set). Internal and external are never the same view; internal may
// be set alone. The keys are filled for address-inferred pairs too.
view_pair infer_view_pair(const config& cfg, const std::optional<ip_address>& source,
                          const host_addresses& host = {});

// The view that answers a query from `client` (to `destination` when given), or nullptr.
const view_decl* select_view(const config& cfg, const ip_address& client,
                             const std::optional<ip_address>& destination = std::nullopt,
                             const host_addresses& host = {});

// The same for a query that is recursive (RD set) or not: views with `match-recursive-only yes`
// take recursive queries only. The 4-argument form above assumes a recursive query, as stub
// resolvers and dig send. Only views of class IN are considered (the probes ask IN questions).
const view_decl* select_view(const config& cfg, const ip_address& client,
                             const std::optional<ip_address>& destination, const host_addresses& host,
                             bool recursive);

const view_decl* find_view(const config& cfg, const std::string& name);

// The internal and the external view seen from `source`. Internal: the first IN view whose
// match-clients takes `source` (match-destinations is not considered unless it takes nothing).
// ACL references are followed. External: the first IN view that answers a client the internal view's match-clients rejects
// (candidates from 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24, public resolvers' addresses
// and 2001:db8::/32). Either may be null.
std::pair<const view_decl*, const view_decl*> infer_views(const config& cfg, const ip_address& source,
                                                          const host_addresses& host = {});

// The elements of a match list as written ("198.18.1.0/24", "localhost", "!10.0.0.1", "lan").
std::vector<std::string> match_list_texts(const address_match_list& list);

// `view-shadowed` findings: a view none of whose clients can reach it because an earlier view of
// the same class takes all of them (match-clients, match-destinations and match-recursive-only
// considered). Conservative: reported only when it is certain for every host.
std::vector<hc::finding> shadowed_views(const config& cfg);

}  // namespace hc::bind
