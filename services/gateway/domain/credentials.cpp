#include "domain/credentials.hpp"

#include <cstdint>

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
  const auto length = CodePointCount(password);
  if (!length) return "must be valid UTF-8";
  if (password.find('\0') != std::string_view::npos) return "must not contain NUL characters";
  if (*length < kMinPasswordLength || *length > kMaxPasswordLength) {
    return "must be " + std::to_string(kMinPasswordLength) + " to " + std::to_string(kMaxPasswordLength) +
           " characters long";
  }
  return std::nullopt;
}

std::string NormalizeUsername(std::string_view username) {
  std::string lower(username);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

CredentialErrors ValidateCredentials(std::string_view username, std::string_view password) {
  CredentialErrors errors;
  if (auto error = UsernameError(username)) errors.emplace("username", std::move(*error));
  if (auto error = PasswordError(password)) errors.emplace("password", std::move(*error));
  return errors;
}

std::optional<std::size_t> CodePointCount(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  while (i < text.size()) {
    const unsigned char lead = byte(i);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1, cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2, cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3, cp = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (extra >= text.size() - i) return std::nullopt;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += extra + 1;
    ++count;
  }
  return count;
}

}  // namespace kpo::gateway
