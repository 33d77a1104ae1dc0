#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

#include "core/ids.hpp"

namespace kpo::auth {
namespace {

void InitSodium() {
  static const bool kReady = sodium_init() >= 0;
  if (!kReady) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

std::string HashPassword(std::string_view password) {
  InitSodium();
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return hash;
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  InitSodium();
  // libsodium reads the hash as a C string: it must fit, with its terminator, and hold no NUL.
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES ||
      stored_hash.find('\0') != std::string_view::npos) {
    return false;
  }
  const std::string hash(stored_hash);
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& DummyHash() {
  static const std::string kHash = HashPassword(core::RandomHex(32));
  return kHash;
}

}  // namespace kpo::auth
