#pragma once
// UTF-8 validation for text that crosses a trust boundary (request bodies, credentials, paths).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kpo::core {

// Number of code points in `text`, or nullopt when it is not valid UTF-8 (overlongs, surrogates,
// truncated sequences and code points above U+10FFFF are invalid).
std::optional<std::size_t> Utf8Length(std::string_view text);

// Length in bytes of the valid UTF-8 sequence (one code point) that starts at `text[at]`, or 0 when
// none does there (`at` past the end included).
std::size_t Utf8SequenceAt(std::string_view text, std::size_t at);

// `text` itself when it is valid UTF-8; otherwise a copy in which each byte that starts no valid
// sequence is replaced by U+FFFD (the replacement character). For client-chosen bytes echoed in
// JSON (a request's path in an error's detail, a log line): JSON text must be UTF-8 (RFC 8259 §8.1).
std::string ValidUtf8(std::string_view text);

}  // namespace kpo::core
