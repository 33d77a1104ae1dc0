// The W3C traceparent header, as the HTTP server (IdentifyRequest) and the payments consumer
// (ContinueTrace) read it: core::TraceParent::Parse.
#include <algorithm>

#include "core/ids.hpp"
#include "fuzz_check.hpp"

namespace {

bool IsLowerHex(std::string_view text, std::size_t length) {
  return text.size() == length && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool AllZero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c == '0'; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto header = kpo::fuzz::AsText(data, size);
  const auto parsed = kpo::core::TraceParent::Parse(header);
  if (!parsed) return 0;
  // What passes is exactly the version-00 fields: lower-case hex of the right lengths, non-zero ids.
  KPO_FUZZ_CHECK(IsLowerHex(parsed->trace_id, 32) && !AllZero(parsed->trace_id));
  KPO_FUZZ_CHECK(IsLowerHex(parsed->span_id, 16) && !AllZero(parsed->span_id));
  KPO_FUZZ_CHECK(IsLowerHex(parsed->flags, 2));
  KPO_FUZZ_CHECK(header.substr(3, 32) == parsed->trace_id && header.substr(36, 16) == parsed->span_id);
  // What we send on re-parses to the same fields; a version-00 header is sent on unchanged.
  const auto text = parsed->ToString();
  const auto again = kpo::core::TraceParent::Parse(text);
  KPO_FUZZ_CHECK(again && again->trace_id == parsed->trace_id && again->span_id == parsed->span_id &&
                 again->flags == parsed->flags);
  if (header.starts_with("00-")) KPO_FUZZ_CHECK(text == header);
  // A hop downstream keeps the trace and takes a new, valid span.
  const auto child = kpo::core::TraceParent::Parse(parsed->Child().ToString());
  KPO_FUZZ_CHECK(child && child->trace_id == parsed->trace_id && child->flags == parsed->flags);
  return 0;
}
