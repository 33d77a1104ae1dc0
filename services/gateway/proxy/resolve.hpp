#pragma once
// Name resolution for upstream connections (proxy.cpp only: it brings Asio into the includer).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>

namespace kpo::gateway {

// The addresses of `host`:`port`: an IP literal (and "localhost", as 127.0.0.1) at once, without a
// lookup; a name (a compose service, a Kubernetes Service) looked up anew on every call, so a moved
// service is found again. The lookup runs on Asio's resolver thread and is abandoned after `timeout`
// (the error is then operation_aborted).
boost::asio::awaitable<std::tuple<boost::system::error_code, boost::asio::ip::tcp::resolver::results_type>>
ResolveWithin(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace kpo::gateway
