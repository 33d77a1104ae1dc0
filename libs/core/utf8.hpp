#pragma once
// UTF-8 validation for text that crosses a trust boundary (request bodies, credentials).
#include <cstddef>
#include <optional>
#include <string_view>

namespace kpo::core {

// Number of code points in `text`, or nullopt when it is not valid UTF-8 (overlongs, surrogates,
// truncated sequences and code points above U+10FFFF are invalid).
std::optional<std::size_t> Utf8Length(std::string_view text);

}  // namespace kpo::core
