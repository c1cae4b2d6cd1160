// The metrics endpoint's HTTP/1.1 server (Boost.Beast), replacing prometheus-cpp's Exposer
// (civetweb), which rebuilt the whole exposition on every request. It runs one io_context on a
// thread of its own, so a busy or blocked maintenance loop never delays a scrape, and answers
// each request with Respond() (scrape_response.h) on the exposition `source` returns, which must
// not block (ExpositionCache::Current()).
//
// Connections are kept alive between requests (as Prometheus does) and closed after
// kIdleTimeout without a request or when a request or response takes longer than kIoTimeout; at
// most kMaxConnections are open, others are closed at once. While no connection is open the
// thread sleeps in the kernel: no timer runs.
#pragma once

// clang-format off
#include "daemon/common/asio.h"
#include <boost/asio/ip/tcp.hpp>
// clang-format on

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/metrics/exposition.h"
#include "daemon/metrics/scrape_response.h"

namespace partitiond::metrics {

class HttpServer {
 public:
  using Source = std::function<std::shared_ptr<const Exposition>()>;
  static constexpr std::chrono::seconds kIdleTimeout{120};
  static constexpr std::chrono::seconds kIoTimeout{10};
  static constexpr int kMaxConnections = 64;

  // Listens on config.host:config.port (port 0: a free port) before returning, with
  // config.basic_auth_* required when the username is set. Throws std::exception when it cannot.
  HttpServer(const config::MetricsConfig& config, Source source);
  // Stops the thread; open connections are closed.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port listened on (the chosen one when configured as 0).
  int port() const { return port_; }

 private:
  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(asio::ip::tcp::socket socket);

  asio::io_context io_{1};
  asio::ip::tcp::acceptor acceptor_;
  const int port_;
  const BasicAuth auth_;
  const Source source_;
  int connections_ = 0;  // open connections; used on the server thread only
  std::thread thread_;   // last: starts once everything above is initialized
};

}  // namespace partitiond::metrics
