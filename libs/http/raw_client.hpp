#pragma once
// A client over a raw TCP connection, for tests that need what http::Fetch hides: reading a
// streamed response piece by piece, sending stray bytes, closing or resetting mid-response. Every
// call is bounded in time. Not thread safe.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kpo::http {

class RawClient {
 public:
  // Connects to 127.0.0.1:`port`. Throws std::system_error on failure or after `limit`.
  explicit RawClient(std::uint16_t port, std::chrono::milliseconds limit = std::chrono::seconds(5));
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends all of `bytes`. Throws std::system_error on failure or after `limit`.
  void Send(std::string_view bytes, std::chrono::milliseconds limit = std::chrono::seconds(5));
  // Reads until everything received so far contains `text`, the peer closes, or `limit` passes;
  // returns everything received so far.
  const std::string& ReadUntil(std::string_view text,
                               std::chrono::milliseconds limit = std::chrono::seconds(5));
  // Whether the peer closed the connection (seen by a read).
  bool PeerClosed() const;
  // Closes the connection: with a FIN, or with a RST when `reset`.
  void Close(bool reset = false);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sends `request` as it is on a connection of its own; returns what came back once `enough` did,
// the server closed or 3 s passed.
std::string RawExchange(std::uint16_t port, std::string_view request, std::string_view enough);

}  // namespace kpo::http
