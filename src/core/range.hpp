#pragma once
// Nagios threshold ranges, as the monitoring-plugins development guidelines define them
// (https://www.monitoring-plugins.org/doc/guidelines.html#THRESHOLDFORMAT):
//   10      alert when the value is outside 0..10 (below 0 or above 10)
//   10:     alert when the value is below 10
//   ~:10    alert when the value is above 10 (~ is minus infinity)
//   10:20   alert when the value is outside 10..20
//   @10:20  alert when the value is inside 10..20, both ends included
// An empty start (":10") is 0, as in the monitoring-plugins library; "~:" never alerts.
// Parsing is pure: no I/O, no locale.

#include <string>
#include <string_view>

namespace hc {

// The certificate days-left thresholds by default (--cert-warn, --cert-crit): one place for the
// command line, the run's options and the Nagios output's perfdata ranges.
inline constexpr int default_cert_warn_days = 30;
inline constexpr int default_cert_crit_days = 7;

class nagios_range {
 public:
  // Parses `text` (surrounding blanks ignored). Throws hc::input_error naming the text and what is
  // wrong with it: an empty range, a number that is not plain decimal (no exponent, inf or nan),
  // a start above the end, anything after the end.
  static nagios_range parse(std::string_view text);

  // True when `value` lies where this range raises an alert (NaN always alerts).
  bool alerts(double value) const;

  // The range in Nagios syntax as it was written, for perfdata and messages: "10", "10:", "~:10",
  // "10:20", "@0:100"; numbers in fixed notation ("0.000001", never "1e-06"; ".5" gives "0.5") and
  // an empty start left out (":10" gives "10"). parse(str()) gives this range back.
  std::string str() const;

  double start() const { return start_; }
  double end() const { return end_; }
  bool start_infinite() const { return start_infinite_; }  // "~": minus infinity
  bool end_infinite() const { return end_infinite_; }      // "10:": plus infinity
  bool inside() const { return inside_; }                  // "@": alert inside instead of outside

  // The same range written the same way ("0:10" and "10" alert alike but differ here).
  friend bool operator==(const nagios_range&, const nagios_range&) = default;

 private:
  double start_ = 0;
  double end_ = 0;
  bool start_infinite_ = false;
  bool end_infinite_ = false;
  bool inside_ = false;
  bool start_written_ = false;  // "0:10" rather than "10": str() keeps it
};

}  // namespace hc
