// How a pipeline ends when the server ends the session right after the last command's result and
// before the sync's (what a PostgreSQL fast shutdown can do). A real server cannot be made to do
// that at will, so a scripted one speaks just enough of the protocol: it answers every command,
// then answers the sync with FATAL 57P01 and hangs up.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "db/connection.hpp"

namespace kpo::db {
namespace {

class ScriptedServer {
 public:
  ScriptedServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string Url() const {
    return "postgresql://test@127.0.0.1:" + std::to_string(port_) +
           "/test?sslmode=disable&gssencmode=disable";
  }

 private:
  void Serve() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    Converse(client);
    ::close(client);
  }

  static bool ReadExactly(int fd, std::string& out, std::size_t size) {
    out.resize(size);
    for (std::size_t done = 0; done < size;) {
      const auto got = ::read(fd, out.data() + done, size - done);
      if (got <= 0) return false;
      done += static_cast<std::size_t>(got);
    }
    return true;
  }
  static std::uint32_t BigEndian(const std::string& bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
    return value;
  }
  static void Send(int fd, char type, const std::string& body) {
    std::string message(1, type);
    const auto length = static_cast<std::uint32_t>(body.size() + 4);
    for (int shift = 24; shift >= 0; shift -= 8) message.push_back(static_cast<char>(length >> shift & 0xFF));
    message += body;
    if (::write(fd, message.data(), message.size()) != static_cast<ssize_t>(message.size())) {
      throw std::runtime_error("scripted server: short write");
    }
  }
  static std::string Cstr(std::string_view text) { return std::string(text) + '\0'; }

  void Converse(int fd) {
    std::string header, body;
    if (!ReadExactly(fd, header, 4) || !ReadExactly(fd, body, BigEndian(header, 0) - 4)) return;
    Send(fd, 'R', std::string("\0\0\0\0", 4));  // AuthenticationOk
    Send(fd, 'S', Cstr("server_version") + Cstr("15.0"));
    Send(fd, 'S', Cstr("client_encoding") + Cstr("UTF8"));
    Send(fd, 'S', Cstr("standard_conforming_strings") + Cstr("on"));
    Send(fd, 'K', std::string(8, '\1'));
    Send(fd, 'Z', "I");
    std::map<std::string, std::string> statements;  // prepared name -> SQL
    std::string bound;
    for (;;) {
      if (!ReadExactly(fd, header, 5) || !ReadExactly(fd, body, BigEndian(header, 1) - 4)) return;
      const char type = header[0];
      if (type == 'P') {  // Parse: name, query
        const auto name = std::string(body.c_str());
        statements[name] = std::string(body.c_str() + name.size() + 1);
        Send(fd, '1', "");
      } else if (type == 'B') {  // Bind: portal, statement
        bound = statements[std::string(body.c_str() + std::string(body.c_str()).size() + 1)];
        Send(fd, '2', "");
      } else if (type == 'D') {
        Send(fd, 'n', "");  // NoData: the script runs commands without rows
      } else if (type == 'E') {
        Send(fd, 'C', Cstr(bound.starts_with("INSERT") ? "INSERT 0 1" : bound));
      } else if (type == 'S') {
        Send(fd, 'E',
             Cstr("SFATAL") + Cstr("VFATAL") + Cstr("C57P01") +
                 Cstr("Mterminating connection due to administrator command") + std::string(1, '\0'));
        return;
      } else {
        return;  // Terminate, or anything this script does not speak
      }
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST(PipelineEnd, ACommitAnsweredBeforeTheSessionEndedIsACommit) {
  ScriptedServer server;
  Connection connection(server.Url(), {});
  Transaction tx(connection);
  tx.Queue("INSERT INTO t VALUES (1)");
  EXPECT_NO_THROW(tx.Commit()) << "the server answered COMMIT: the transaction is durable";
  EXPECT_FALSE(connection.Healthy()) << "the pool must not hand this connection out again";
}

TEST(PipelineEnd, WithoutTheCommitsAnswerItIsAConnectionFailure) {
  ScriptedServer server;
  Connection connection(server.Url(), {});
  Transaction tx(connection);
  try {
    tx.Exec("INSERT INTO t VALUES (1)");
    ADD_FAILURE() << "a pipeline whose session ended before its sync succeeded without a COMMIT";
  } catch (const DbError& error) {
    EXPECT_TRUE(error.IsUnavailable()) << error.what() << " (SQLSTATE " << error.SqlState() << ")";
  }
  EXPECT_FALSE(connection.Healthy());
}

}  // namespace
}  // namespace kpo::db
