#include "gateway/middleware/client_address.hpp"

#include <algorithm>
#include <cctype>

namespace kpo::gateway {

bool LooksLikeIpAddress(std::string_view text) {
  return !text.empty() && text.size() <= 45 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':';
  });
}

std::string_view ClientAddress(const http::Request& request, const AddressSet& trusted_proxies) {
  if (trusted_proxies.Contains(request.remote_address)) {
    if (auto real = request.Header("X-Real-IP"); real && LooksLikeIpAddress(*real)) return *real;
  }
  return request.remote_address;
}

}  // namespace kpo::gateway
