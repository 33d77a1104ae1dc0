#pragma once
// The identity API, one endpoint per file. Besides the API docs, these are the only /api routes
// that need no token.
// Each answers {"token","userId","expiresAt"} on success and throws http::ProblemError for the
// client's mistakes (rendered by the server's edge) and db::DbError when the database fails.
#include <string_view>

#include "auth/jwt.hpp"
#include "db/pool.hpp"
#include "gateway/domain/login_throttle.hpp"
#include "http/message.hpp"

namespace kpo::gateway {

// POST /api/auth/guest (empty body or {}) → 201, a new anonymous user.
http::Response Guest(db::Pool& pool, const auth::TokenSigner& signer, const http::Request& request);
// POST /api/auth/register {"username","password"} → 201; 409 username taken; 422 invalid. The
// `client` address it came from counts as one the new account has signed in from (`throttle`).
http::Response Register(db::Pool& pool, const auth::TokenSigner& signer, LoginThrottle& throttle,
                        const http::Request& request, std::string_view client);
// POST /api/auth/login {"username","password"} → 200; 401 (with its WWW-Authenticate challenge) and
// one message whether the user is unknown or the password wrong, after the same amount of hashing
// work; 422 malformed body; 429 with
// Retry-After while `throttle` holds back the username or the `client` address.
http::Response Login(db::Pool& pool, const auth::TokenSigner& signer, LoginThrottle& throttle,
                     const http::Request& request, std::string_view client);

}  // namespace kpo::gateway
