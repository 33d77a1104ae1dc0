#include "gateway/domain/credentials.hpp"

#include <cstdint>

#include "core/ascii.hpp"
#include "core/utf8.hpp"

namespace kpo::gateway {
namespace {

bool IsUsernameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

}  // namespace

std::optional<std::string> UsernameError(std::string_view username) {
  // The character set is ASCII, so bytes are characters here.
  if (username.size() < kMinUsernameLength || username.size() > kMaxUsernameLength) {
    return "must be " + std::to_string(kMinUsernameLength) + " to " + std::to_string(kMaxUsernameLength) +
           " characters long";
  }
  for (char c : username) {
    if (!IsUsernameChar(c)) return "may contain only letters A-Z, digits and the characters _ . -";
  }
  return std::nullopt;
}

std::optional<std::string> PasswordError(std::string_view password) {
  const auto length = core::Utf8Length(password);
  if (!length) return "must be valid UTF-8";
  if (password.find('\0') != std::string_view::npos) return "must not contain NUL characters";
  if (*length < kMinPasswordLength || *length > kMaxPasswordLength) {
    return "must be " + std::to_string(kMinPasswordLength) + " to " + std::to_string(kMaxPasswordLength) +
           " characters long";
  }
  return std::nullopt;
}

std::string NormalizeUsername(std::string_view username) { return core::AsciiLowered(username); }

}  // namespace kpo::gateway
