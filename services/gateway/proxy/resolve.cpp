#include "gateway/proxy/resolve.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kpo::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<std::tuple<boost::system::error_code, tcp::resolver::results_type>> ResolveWithin(
    const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  const auto literal = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  const auto service = std::to_string(port);
  if (!ec)
    co_return std::tuple{ec,
                         tcp::resolver::results_type::create(tcp::endpoint(literal, port), host, service)};
  tcp::resolver resolver(executor);
  asio::steady_timer deadline(executor);
  deadline.expires_after(timeout);
  deadline.async_wait([&resolver](const boost::system::error_code& error) {
    if (!error) resolver.cancel();
  });
  auto result = co_await resolver.async_resolve(host, service, tcp::resolver::numeric_service,
                                                asio::as_tuple(asio::use_awaitable));
  deadline.cancel();
  co_return result;
}

}  // namespace kpo::gateway
