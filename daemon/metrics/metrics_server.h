// The /metrics endpoint of `partitiond run`: an ExpositionCache re-rendered after every update of
// Metrics, served by an HttpServer. A scrape copies nothing and renders nothing: it writes the
// latest rendering, so it never waits for a pass, a render or the event loop.
#pragma once

#include "daemon/config/config.h"
#include "daemon/metrics/exposition.h"
#include "daemon/metrics/http_server.h"
#include "daemon/metrics/metrics.h"

namespace partitiond::metrics {

class MetricsServer {
 public:
  // Listens on config.host:config.port (port 0: a free port). Throws std::exception on failure.
  // `metrics` must outlive the server; its updates are rendered from now on.
  // `limits`: the HTTP server's deadlines (tests shorten them).
  MetricsServer(const config::MetricsConfig& config, Metrics& metrics, HttpLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int port() const { return http_.port(); }
  // New basic-auth credentials (a reload); the next scrape is checked against them.
  void SetBasicAuth(const std::string& username, const std::string& password) {
    http_.SetBasicAuth(username, password);
  }
  // Blocks until every update made before the call is what a scrape returns (for tests).
  void WaitRendered() { cache_.WaitRendered(); }

 private:
  Metrics& metrics_;
  ExpositionCache cache_;
  HttpServer http_;
};

}  // namespace partitiond::metrics
