// The metrics endpoint's HTTP/1.1 server (Boost.Beast), replacing prometheus-cpp's Exposer
// (civetweb), which rebuilt the whole exposition on every request. It runs one io_context on a
// thread of its own, so a busy or blocked maintenance loop never delays a scrape, and answers
// each request with Respond() (scrape_response.h) on the exposition `source` returns, which must
// not block (ExpositionCache::Current()).
//
// Connections are kept alive between requests (as Prometheus does). A new connection that sends no
// request bytes within HttpLimits::first_request is closed, as is a kept-alive one after
// keep_alive without a request, and one whose request or response takes longer than io. At most
// max_connections are open: when all are taken, a new connection takes the slot of the one idle
// the longest (ConnectionSlots), so connections that never send a byte cannot lock scrapers out.
// While no connection is open the thread sleeps in the kernel: no timer runs.
#pragma once

// clang-format off
#include "daemon/common/asio.h"
#include <boost/asio/ip/tcp.hpp>
// clang-format on

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/metrics/connection_slots.h"
#include "daemon/metrics/exposition.h"
#include "daemon/metrics/scrape_response.h"

namespace partitiond::metrics {

// Deadlines and the connection limit; the defaults are production's, tests shorten them.
struct HttpLimits {
  // From accept to the first byte of the first request.
  std::chrono::milliseconds first_request{5'000};
  // Between two requests on a kept-alive connection.
  std::chrono::milliseconds keep_alive{120'000};
  // For the rest of a request once begun, and for a response.
  std::chrono::milliseconds io{10'000};
  int max_connections = 64;
};

class HttpServer {
 public:
  using Source = std::function<std::shared_ptr<const Exposition>()>;

  // Listens on config.host:config.port (port 0: a free port) before returning, with
  // config.basic_auth_* required when the username is set. Throws std::exception when it cannot.
  HttpServer(const config::MetricsConfig& config, Source source, HttpLimits limits = {});
  // Stops the thread; open connections are closed.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Replaces the credentials (an empty username: none required); the next request is checked
  // against the new ones. Thread-safe.
  void SetBasicAuth(const std::string& username, const std::string& password);

  // The port listened on (the chosen one when configured as 0).
  int port() const { return port_; }

 private:
  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(ConnectionSlots::Id id, asio::ip::tcp::socket socket);
  std::shared_ptr<const BasicAuth> Auth() const;

  // Used on the server thread only. Declared before io_ so that they outlive it: destroying io_
  // destroys the suspended connections, which then forget themselves here.
  ConnectionSlots slots_;
  std::map<ConnectionSlots::Id, asio::ip::tcp::socket*> sockets_;  // open connections' sockets

  asio::io_context io_{1};
  asio::ip::tcp::acceptor acceptor_;
  const int port_;
  const HttpLimits limits_;
  mutable std::mutex auth_mutex_;
  std::shared_ptr<const BasicAuth> auth_;  // replaced by SetBasicAuth; guarded by auth_mutex_
  const Source source_;
  std::thread thread_;  // last: starts once everything above is initialized
};

}  // namespace partitiond::metrics
