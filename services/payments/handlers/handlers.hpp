#pragma once
// The accounts API, one endpoint per file. Each handler reads the caller from X-User-Id.
#include "db/pool.hpp"
#include "http/message.hpp"

namespace kpo::payments {

// POST /api/accounts → 201 account; 409 when the user already has one.
http::Response CreateAccount(db::Pool& pool, const http::Request& request);
// GET /api/accounts/me → 200 account; 404 when none.
http::Response GetAccount(db::Pool& pool, const http::Request& request);
// POST /api/accounts/me/deposits {"amount"} → 200 {"balance","entryId"}; 404; 422.
http::Response Deposit(db::Pool& pool, const http::Request& request);
// GET /api/accounts/me/entries?limit=&before= → 200 {"items","next"} newest first; 422.
http::Response ListEntries(db::Pool& pool, const http::Request& request);

}  // namespace kpo::payments
