#pragma once
// A streamed response body (e.g. Server-Sent Events): producers push chunks from any thread,
// the server writes them to the client as they come.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kpo::http {

class EventStream {
 public:
  // Queues a chunk for the client. Returns false when the stream is finished or the client has
  // gone, so the producer can stop. Thread safe.
  bool Push(std::string chunk);
  // The producer has nothing more to send; the server ends the response after the queued chunks.
  void Close();
  // True once the client went away or the server stopped writing; producers should let go.
  bool Abandoned() const;
  // Calls `callback` once, from the thread that abandons the stream (at once when it already is),
  // so that a producer waiting on I/O of its own (the gateway's upstream read) lets go then rather
  // than at its next Push, and whoever counts open streams counts this one closed. Each callback
  // registered runs, in registration order. Must not call back into this stream. Thread safe.
  void OnAbandon(std::function<void()> callback);

  // --- server side ---
  struct Batch {
    std::vector<std::string> chunks;
    bool closed = false;
  };
  // Takes the queued chunks and whether the producer closed, atomically.
  Batch Take();
  // Called (from the pushing thread) whenever data arrives or the stream closes.
  void SetWaker(std::function<void()> waker);
  void Abandon();

 private:
  mutable std::mutex mutex_;
  // A vector, not a deque: an idle stream holds no chunk storage at all (libstdc++'s deque
  // allocates ~600 bytes even when empty, and there may be tens of thousands of idle streams).
  std::vector<std::string> chunks_;
  bool closed_ = false;
  bool abandoned_ = false;
  std::function<void()> waker_;
  std::vector<std::function<void()>> on_abandon_;
};

}  // namespace kpo::http
