#pragma once
// The success answer shared by the identity endpoints.
#include <string>

#include "auth/jwt.hpp"
#include "http/message.hpp"

namespace kpo::gateway {

// `status` with {"token","userId","expiresAt"} for a token issued now. `username` is ignored
// for guests.
http::Response SessionResponse(int status, const auth::TokenSigner& signer, const std::string& user_id,
                               const std::string& username, bool guest);

}  // namespace kpo::gateway
