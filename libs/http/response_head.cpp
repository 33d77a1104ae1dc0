#include <spdlog/spdlog.h>

#include <boost/beast/http/status.hpp>
#include <chrono>

#include "core/ascii.hpp"
#include "core/clock.hpp"
#include "http/message.hpp"

namespace kpo::http {
namespace {

// Framing headers are the server's to write; a handler's copy would contradict them. So is Date
// (a proxied answer's own is replaced by the time this server sends it).
bool IsServersHeader(std::string_view name) {
  return core::EqualsIgnoringAsciiCase("content-length", name) ||
         core::EqualsIgnoringAsciiCase("transfer-encoding", name) ||
         core::EqualsIgnoringAsciiCase("connection", name) || core::EqualsIgnoringAsciiCase("date", name);
}

// RFC 9110 §6.6.1: a server with a clock sends Date with its answers. Formatted once a second
// per thread.
const std::string& DateNow() {
  thread_local std::chrono::sys_seconds formatted_at{};
  thread_local std::string text;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (text.empty() || now != formatted_at) {
    formatted_at = now;
    text = core::FormatHttpDate(now);
  }
  return text;
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
  AppendHeaderLine(head, "Date", DateNow());
  for (const auto& [name, value] : response.headers) {
    if (IsServersHeader(name)) continue;
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
