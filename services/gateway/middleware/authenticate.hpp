#pragma once
// Who is calling: the bearer token of a request, verified.
#include <optional>
#include <string_view>

#include "auth/jwt.hpp"
#include "http/message.hpp"

namespace kpo::gateway {

// The bearer token from Authorization (scheme case-insensitive, padding spaces trimmed), or, with
// `allow_query` and no Authorization header, from ?access_token= (EventSource in browsers cannot set
// headers). nullopt when there is none or the header is not a non-empty bearer token. The view refers
// into `request`.
std::optional<std::string_view> BearerToken(const http::Request& request, bool allow_query);

// The claims of the request's token when it is valid now; nullopt otherwise.
std::optional<auth::Claims> Authenticate(const auth::CachingVerifier& verifier, const http::Request& request,
                                         bool allow_query);

// 401 problem+json with WWW-Authenticate: Bearer realm="kpo".
http::Response Unauthorized();

}  // namespace kpo::gateway
