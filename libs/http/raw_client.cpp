#include "http/raw_client.hpp"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <system_error>

namespace kpo::http {
namespace asio = boost::asio;
using asio::ip::tcp;

struct RawClient::Impl {
  asio::io_context io{1};
  tcp::socket socket{io};
  std::string received;
  bool peer_closed = false;

  // Runs the pending operation until `done` or `limit`; on time-out the operation is cancelled
  // (and run to its end) and false returned.
  bool RunUntil(const bool& done, std::chrono::milliseconds limit) {
    io.restart();
    io.run_for(limit);
    if (done) return true;
    boost::system::error_code ignored;
    socket.cancel(ignored);
    io.restart();
    io.run();
    return false;
  }
};

RawClient::RawClient(std::uint16_t port, std::chrono::milliseconds limit) : impl_(std::make_unique<Impl>()) {
  bool done = false;
  boost::system::error_code error;
  impl_->socket.async_connect({asio::ip::make_address("127.0.0.1"), port},
                              [&](const boost::system::error_code& ec) {
                                error = ec;
                                done = true;
                              });
  if (!impl_->RunUntil(done, limit))
    throw std::system_error(std::make_error_code(std::errc::timed_out), "connect");
  if (error) throw std::system_error(static_cast<std::error_code>(error), "connect");
}

RawClient::~RawClient() = default;

void RawClient::Send(std::string_view bytes, std::chrono::milliseconds limit) {
  bool done = false;
  boost::system::error_code error;
  asio::async_write(impl_->socket, asio::buffer(bytes),
                    [&](const boost::system::error_code& ec, std::size_t) {
                      error = ec;
                      done = true;
                    });
  if (!impl_->RunUntil(done, limit))
    throw std::system_error(std::make_error_code(std::errc::timed_out), "send");
  if (error) throw std::system_error(static_cast<std::error_code>(error), "send");
}

const std::string& RawClient::ReadUntil(std::string_view text, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::array<char, 4096> buffer{};
  std::size_t searched = 0;  // text cannot start before this: no need to search it again
  while (impl_->received.find(text, searched) == std::string::npos && !impl_->peer_closed) {
    searched = impl_->received.size() >= text.size() ? impl_->received.size() - text.size() + 1 : 0;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds::zero()) break;
    bool done = false;
    impl_->socket.async_read_some(asio::buffer(buffer),
                                  [&](const boost::system::error_code& ec, std::size_t n) {
                                    impl_->received.append(buffer.data(), n);
                                    if (ec && ec != asio::error::operation_aborted)
                                      impl_->peer_closed = true;  // not our own time-out
                                    done = true;
                                  });
    if (!impl_->RunUntil(done, left)) break;
  }
  return impl_->received;
}

bool RawClient::PeerClosed() const { return impl_->peer_closed; }

void RawClient::Close(bool reset) {
  boost::system::error_code ignored;
  if (reset) impl_->socket.set_option(asio::socket_base::linger(true, 0), ignored);
  impl_->socket.close(ignored);
}

std::string RawExchange(std::uint16_t port, std::string_view request, std::string_view enough) {
  RawClient client(port);
  client.Send(request);
  return client.ReadUntil(enough, std::chrono::seconds(3));
}

}  // namespace kpo::http
