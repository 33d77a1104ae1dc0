// Who a request says it is: the gateway's bearer token extraction (Authorization header, or
// ?access_token= for event streams) and the token check behind it, auth::CachingVerifier over
// TokenSigner::Verify (libjwt, the claims as JSON). Forged signatures alone never reach the claims,
// so the fuzzer may also hand over a header and payload as JSON that this target signs with the
// gateway's secret: the claims of any token that passes must still be ones the gateway could issue.
#include <sodium.h>

#include <array>

#include "auth/jwt.hpp"
#include "core/ids.hpp"
#include "fuzz_check.hpp"
#include "gateway/middleware/authenticate.hpp"

namespace {

const std::string kSecret = "fuzzing-secret-fuzzing-secret-fuzzing-secret";
const kpo::core::TimePoint kNow{std::chrono::seconds(1'750'000'000)};

std::string Base64Url(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

// "<header JSON>\n<payload JSON>" as a token signed with kSecret (HS256), whatever the JSON says.
std::string SignedToken(std::string_view input) {
  const auto line = input.find('\n');
  const auto header = input.substr(0, line);
  const auto payload = line == std::string_view::npos ? std::string_view() : input.substr(line + 1);
  auto token = Base64Url(header) + "." + Base64Url(payload);
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(kSecret.data()), kSecret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  return token + "." + Base64Url({reinterpret_cast<const char*>(mac.data()), mac.size()});
}

void CheckClaims(const kpo::auth::Claims& claims) {
  // sub becomes X-User-Id, which the services trust: only a lower-case UUID.
  KPO_FUZZ_CHECK(kpo::core::NormalizeUuid(claims.user_id) == claims.user_id);
  KPO_FUZZ_CHECK(claims.expires_at > kNow);
  KPO_FUZZ_CHECK(claims.guest ? claims.username.empty() : !claims.username.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kpo::auth::TokenSigner signer(kSecret, std::chrono::hours(1));
  auto input = kpo::fuzz::AsText(data, size);
  const auto selector = kpo::fuzz::TakeSelector(input);
  kpo::http::Request request;
  // Bit 0: the input is header and payload JSON to sign, else the Authorization header as sent.
  // Bit 1: the token arrives as ?access_token= instead (only where the query is allowed).
  const std::string value = (selector & 1U) != 0 ? "Bearer " + SignedToken(input) : std::string(input);
  const bool from_query = (selector & 2U) != 0;
  if (from_query) {
    request.query["access_token"] = value.substr(value.starts_with("Bearer ") ? 7 : 0);
  } else {
    request.headers.emplace_back("Authorization", value);
  }
  const auto token = kpo::gateway::BearerToken(request, from_query);
  if (!token) return 0;
  if (!from_query) KPO_FUZZ_CHECK(!token->empty() && token->front() != ' ' && token->back() != ' ');
  const kpo::auth::CachingVerifier verifier(signer, 4);
  const auto claims = verifier.Verify(*token, kNow);
  if (!claims) return 0;
  CheckClaims(*claims);
  // The cached answer is the same one.
  const auto cached = verifier.Verify(*token, kNow);
  KPO_FUZZ_CHECK(cached && cached->user_id == claims->user_id && cached->expires_at == claims->expires_at);
  return 0;
}
