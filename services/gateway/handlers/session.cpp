#include "gateway/handlers/session.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"

namespace kpo::gateway {

http::Response SessionResponse(int status, const auth::TokenSigner& signer, const std::string& user_id,
                               const std::string& username, bool guest) {
  auth::Claims claims;
  const auto token = signer.Issue(user_id, username, guest, core::Now(), &claims);
  boost::json::object body;
  body["token"] = token;
  body["userId"] = user_id;
  body["expiresAt"] = core::FormatRfc3339(claims.expires_at);
  return http::JsonResponse(status, boost::json::serialize(body));
}

}  // namespace kpo::gateway
