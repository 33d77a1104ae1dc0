#include "gateway/middleware/authenticate.hpp"

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "http/problem.hpp"

namespace kpo::gateway {

std::optional<std::string_view> BearerToken(const http::Request& request, bool allow_query) {
  if (auto header = request.Header("Authorization")) {
    // The scheme is case-insensitive (RFC 9110 §11.1); spaces may pad the token.
    constexpr std::string_view kBearer = "bearer ";
    if (header->size() <= kBearer.size() ||
        !core::EqualsIgnoringAsciiCase(header->substr(0, kBearer.size()), kBearer)) {
      return std::nullopt;
    }
    auto token = header->substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty()) return std::nullopt;
    return token;
  }
  if (allow_query) {
    if (auto it = request.query.find("access_token"); it != request.query.end())
      return std::string_view(it->second);
  }
  return std::nullopt;
}

std::optional<auth::Claims> Authenticate(const auth::CachingVerifier& verifier, const http::Request& request,
                                         bool allow_query) {
  auto token = BearerToken(request, allow_query);
  if (!token) return std::nullopt;
  return verifier.Verify(*token, core::Now());
}

http::Response Unauthorized() {
  auto response = http::ProblemResponse(401, "A valid bearer token is required");
  response.SetHeader("WWW-Authenticate", std::string(auth::kBearerChallenge));
  return response;
}

}  // namespace kpo::gateway
