#pragma once
// For tests: a server on a loopback port, run on a thread of its own until destroyed.
#include <cstdint>
#include <memory>
#include <thread>

#include "http/router.hpp"
#include "http/server.hpp"

namespace kpo::http {

class LoopbackServer {
 public:
  // Serves `router` (which must outlive this) on 127.0.0.1 and a free port, with `options` else.
  LoopbackServer(const Router& router, ServerOptions options) {
    options.host = "127.0.0.1";
    server_ = std::make_unique<Server>(options, router);
    server_->Listen();
    thread_ = std::thread([this] { server_->Run(false); });
  }
  ~LoopbackServer() { Stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  std::uint16_t Port() const { return server_->Port(); }
  // Stops serving and waits for the server's threads; its event loops (and whatever sockets of
  // theirs others still hold, a proxy's pooled connections say) live on until this is destroyed.
  void Stop() {
    if (!thread_.joinable()) return;
    server_->Stop();
    thread_.join();
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace kpo::http
