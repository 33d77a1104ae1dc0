#pragma once
// Configuration from environment variables with local defaults.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpo::core {

// Reads typed settings from the environment and remembers every value it handed out, so a
// service can log its effective configuration once at start. Not thread safe: build it in main.
class Config {
 public:
  // Returns the variable's value, or `fallback` when it is unset or empty.
  std::string String(std::string_view name, std::string_view fallback);
  // Like String, but the value is masked when logged.
  std::string Secret(std::string_view name, std::string_view fallback);
  // Throws std::invalid_argument when the value is not a whole number in [min, max].
  std::int64_t Int(std::string_view name, std::int64_t fallback, std::int64_t min, std::int64_t max);
  // true/false (also 1/0, yes/no, on/off); throws std::invalid_argument for anything else.
  bool Bool(std::string_view name, bool fallback);
  // A duration in whole milliseconds, 0 to a day; throws std::invalid_argument like Int.
  std::chrono::milliseconds Millis(std::string_view name, std::chrono::milliseconds fallback);
  // The same with a lower bound, for a period or timeout that 0 would turn into a busy loop or an
  // instant failure.
  std::chrono::milliseconds Millis(std::string_view name, std::chrono::milliseconds fallback,
                                   std::chrono::milliseconds min);

  // Logs (info) every name=value read so far, in order; secrets are masked and URLs lose their password.
  void LogEffective(std::string_view service) const;

 private:
  std::vector<std::pair<std::string, std::string>> effective_;
};

// Hides the passwords in a setting or a message that repeats one: each URL's (postgresql://user:pass@host/db
// → postgresql://user:***@host/db; a comma-separated list of URLs, each) and every password=VALUE parameter
// (libpq's "host=h password=p", a URL's ?password=p) → password=***.
std::string MaskPasswords(std::string_view text);

// The items of a comma-separated list, each without the blanks around it, empty ones dropped:
// "a, b,,c , " → {"a","b","c"} (a list written with spaces after its commas means the same).
std::vector<std::string> SplitList(std::string_view text);

// Splits "host:port" (port required); throws std::invalid_argument on a malformed address.
std::pair<std::string, std::uint16_t> ParseListenAddress(std::string_view address);

}  // namespace kpo::core
