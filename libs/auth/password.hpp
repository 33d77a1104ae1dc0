#pragma once
// Password storage: argon2id hashes in libsodium's self-describing string form
// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
#include <string>
#include <string_view>

namespace kpo::auth {

// A salted argon2id hash of `password` (interactive limits: about 64 MiB and tens of
// milliseconds of one core per call, on purpose). Thread safe. Throws std::runtime_error when
// the memory cannot be allocated.
std::string HashPassword(std::string_view password);

// True when `password` matches `stored_hash`; false for a wrong password or a malformed hash.
// Comparison is constant-time and costs as much as HashPassword. Thread safe.
bool VerifyPassword(std::string_view stored_hash, std::string_view password);

// A valid hash of a random password nobody knows, computed on first use and then fixed. Verify
// against it when the user does not exist so that "no such user" takes as long as "wrong
// password". Call it once at start-up so the first such login does not pay for the hashing.
const std::string& DummyHash();

}  // namespace kpo::auth
