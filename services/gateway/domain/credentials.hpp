#pragma once
// The rules for usernames and passwords. Pure: no I/O.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kpo::gateway {

inline constexpr std::size_t kMinUsernameLength = 3;
inline constexpr std::size_t kMaxUsernameLength = 32;
inline constexpr std::size_t kMinPasswordLength = 8;    // code points
inline constexpr std::size_t kMaxPasswordLength = 128;  // code points

// Why `username` is not acceptable (3–32 characters of A–Z, a–z, 0–9, '_', '.', '-'), or nullopt.
std::optional<std::string> UsernameError(std::string_view username);

// Why `password` is not acceptable (valid UTF-8, 8–128 code points, no NUL), or nullopt.
std::optional<std::string> PasswordError(std::string_view password);

// Usernames are case-insensitive: this is the one form that is stored and compared. Only
// meaningful for a username UsernameError accepts.
std::string NormalizeUsername(std::string_view username);

}  // namespace kpo::gateway
