#include <spdlog/spdlog.h>

#include <boost/beast/http/status.hpp>

#include "core/ascii.hpp"
#include "http/message.hpp"

namespace kpo::http {
namespace {

// Framing headers are the server's to write; a handler's copy would contradict them.
bool IsFramingHeader(std::string_view name) {
  return core::EqualsIgnoringAsciiCase("content-length", name) ||
         core::EqualsIgnoringAsciiCase("transfer-encoding", name) ||
         core::EqualsIgnoringAsciiCase("connection", name);
}

bool IsSafeHeader(std::string_view name, std::string_view value) {
  return !name.empty() && name.find_first_of(":\r\n") == std::string_view::npos &&
         value.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

std::string ResponseHead(const Response& response, std::optional<std::size_t> content_length,
                         unsigned version, bool keep_alive) {
  namespace bhttp = boost::beast::http;
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  head += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (IsFramingHeader(name)) continue;
    if (!IsSafeHeader(name, value)) {
      spdlog::warn("dropped a response header with a forbidden character: {}", name);
      continue;
    }
    AppendHeaderLine(head, name, value);
  }
  // 1xx, 204 and 304 answers have no body and so no length (RFC 9110 §8.6).
  const bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  if (!content_length) {
    // An HTTP/1.0 client knows no transfer codings (RFC 9112 §6.1): its body ends with the connection.
    if (version >= 11) AppendHeaderLine(head, "Transfer-Encoding", "chunked");
  } else if (!bodiless) {
    AppendHeaderLine(head, "Content-Length", std::to_string(*content_length));
  }
  if (!keep_alive) {
    AppendHeaderLine(head, "Connection", "close");
  } else if (version < 11) {
    AppendHeaderLine(head, "Connection", "keep-alive");
  }
  head += "\r\n";
  return head;
}

}  // namespace kpo::http
