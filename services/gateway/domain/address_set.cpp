#include "gateway/domain/address_set.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <optional>
#include <stdexcept>

namespace kpo::gateway {
namespace {

struct Parsed {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<Parsed> ParseAddress(std::string_view text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  Parsed parsed;
  parsed.v4 = address.is_v4();
  if (parsed.v4) {
    const auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), parsed.bytes.begin());
  } else {
    parsed.bytes = address.to_v6().to_bytes();
  }
  return parsed;
}

bool SamePrefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits) {
  std::size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[i] != b[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFFU << (8U - bits));
  return (a[i] & mask) == (b[i] & mask);
}

}  // namespace

AddressSet::AddressSet(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const auto slash = entry.find('/');
    const auto parsed = ParseAddress(std::string_view(entry).substr(0, slash));
    if (!parsed) throw std::invalid_argument("not an IP address or network: \"" + entry + "\"");
    const unsigned width = parsed->v4 ? 32 : 128;
    unsigned prefix = width;
    if (slash != std::string::npos) {
      const auto digits = std::string_view(entry).substr(slash + 1);
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || prefix > width) {
        throw std::invalid_argument("not a network prefix length: \"" + entry + "\"");
      }
    }
    networks_.push_back({parsed->bytes, prefix, parsed->v4});
  }
}

bool AddressSet::Contains(std::string_view address) const {
  if (networks_.empty()) return false;
  const auto parsed = ParseAddress(address);
  if (!parsed) return false;
  for (const auto& network : networks_) {
    if (network.v4 == parsed->v4 && SamePrefix(network.bytes, parsed->bytes, network.prefix_bits))
      return true;
  }
  return false;
}

}  // namespace kpo::gateway
