#pragma once
// The address of the client behind a request, for per-IP limits and X-Forwarded-For.
#include <string>
#include <string_view>
#include <vector>

#include "gateway/domain/address_set.hpp"
#include "http/message.hpp"

namespace kpo::gateway {

// Whether `text` has the shape of an IPv4 or IPv6 address (hex digits, dots, colons; at most 45
// characters). A rate-limit key, not parsed further: this only keeps arbitrary header text out.
bool LooksLikeIpAddress(std::string_view text);

// The peer's own address, or the X-Real-IP it sent when the peer is one of `trusted_proxies` (the
// UI's nginx in front) and the header looks like an address. The view refers into `request`.
std::string_view ClientAddress(const http::Request& request, const AddressSet& trusted_proxies);

}  // namespace kpo::gateway
