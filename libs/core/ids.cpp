#include "core/ids.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "core/ascii.hpp"

namespace kpo::core {
namespace {

const bool kSodiumReady = [] {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  return true;
}();

// W3C trace context fields are lower-case hex; upper case makes the header invalid.
bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool AllZero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

// libsodium's randombytes_buf makes a getrandom(2) call per 256 bytes; ids are drawn on every
// request, so each thread expands one fresh 32-byte key from the kernel into a page of ChaCha20
// output (randombytes_buf_deterministic) and hands that out: one system call per ~100 requests.
void FillRandom(unsigned char* out, std::size_t size) {
  thread_local std::array<unsigned char, 4096> pool{};
  thread_local std::size_t used = pool.size();
  while (size > 0) {
    if (used == pool.size()) {
      std::array<unsigned char, randombytes_SEEDBYTES> seed{};
      randombytes_buf(seed.data(), seed.size());
      randombytes_buf_deterministic(pool.data(), pool.size(), seed.data());
      sodium_memzero(seed.data(), seed.size());
      used = 0;
    }
    const auto n = std::min(size, pool.size() - used);
    std::memcpy(out, pool.data() + used, n);
    // Bytes handed out are wiped from the pool so they can never be handed out twice.
    std::memset(pool.data() + used, 0, n);
    used += n;
    out += n;
    size -= n;
  }
}

}  // namespace

std::string RandomHex(std::size_t bytes) {
  (void)kSodiumReady;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes * 2, '\0');
  // The random bytes go into the second half of `out` and are spelled out from the front: each
  // byte is read before its two digits can overwrite it.
  auto* raw = reinterpret_cast<unsigned char*>(out.data()) + bytes;
  FillRandom(raw, bytes);
  for (std::size_t i = 0; i < bytes; ++i) {
    const unsigned char b = raw[i];
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xF];
  }
  return out;
}

std::string NewUuid() {
  (void)kSodiumReady;
  std::array<unsigned char, 16> b{};
  FillRandom(b.data(), b.size());
  // RFC 9562 version 7: the first 48 bits are the Unix time in milliseconds, big-endian.
  const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
  for (std::size_t i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kDigits[b[i] >> 4];
    out += kDigits[b[i] & 0xF];
  }
  return out;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::optional<std::string> NormalizeUuid(std::string_view text) {
  if (!IsUuid(text)) return std::nullopt;
  return AsciiLowered(text);
}

std::string TraceParent::ToString() const {
  std::string out;
  out.reserve(3 + trace_id.size() + 1 + span_id.size() + 1 + flags.size());
  out.append("00-").append(trace_id).append(1, '-').append(span_id).append(1, '-').append(flags);
  return out;
}

TraceParent TraceParent::Child() const { return TraceParent{trace_id, RandomHex(8), flags}; }

TraceParent TraceParent::New() { return TraceParent{RandomHex(16), RandomHex(8), "01"}; }

std::string_view TraceIdOf(std::string_view traceparent) {
  return traceparent.size() >= 55 ? traceparent.substr(3, 32) : std::string_view();
}

std::string_view SpanIdOf(std::string_view traceparent) {
  return traceparent.size() >= 55 ? traceparent.substr(36, 16) : std::string_view();
}

std::optional<TraceParent> TraceParent::Parse(std::string_view header) {
  // <version>-<32 hex trace id>-<16 hex parent id>-<2 hex flags>, lower case only. Version 00 is
  // exactly that; a later version may append "-..." fields, which are ignored; ff is invalid.
  if (header.size() < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const auto version = header.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? header.size() != 55 : header.size() > 55 && header[55] != '-') return std::nullopt;
  auto trace = TraceIdOf(header);
  auto span = SpanIdOf(header);
  auto flags = header.substr(53, 2);
  if (!IsLowerHex(trace) || !IsLowerHex(span) || !IsLowerHex(flags) || AllZero(trace) || AllZero(span)) {
    return std::nullopt;
  }
  return TraceParent{std::string(trace), std::string(span), std::string(flags)};
}

}  // namespace kpo::core
