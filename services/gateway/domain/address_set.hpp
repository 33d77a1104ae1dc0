#pragma once
// A set of IP networks ("10.0.0.0/8", "fd00::/8") and single addresses ("127.0.0.1", "::1"), for
// the peers the gateway trusts (a proxy's X-Real-IP, a metrics scraper).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kpo::gateway {

class AddressSet {
 public:
  AddressSet() = default;
  // Each entry is an IPv4 or IPv6 address, optionally with a "/prefix". Throws std::invalid_argument
  // naming the first malformed entry.
  explicit AddressSet(const std::vector<std::string>& entries);

  // Whether `address` (as a socket reports it, or from a header) lies in one of the networks. An
  // IPv4-mapped IPv6 address (::ffff:10.1.2.3) counts as its IPv4 address; text that is not an
  // address is in no set.
  bool Contains(std::string_view address) const;
  bool Empty() const { return networks_.empty(); }

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
    unsigned prefix_bits = 0;
    bool v4 = false;
  };
  std::vector<Network> networks_;
};

}  // namespace kpo::gateway
