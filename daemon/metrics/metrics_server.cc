#include "daemon/metrics/metrics_server.h"

namespace partitiond::metrics {

MetricsServer::MetricsServer(const config::MetricsConfig& config, Metrics& metrics,
                             HttpLimits limits)
    : metrics_(metrics),
      cache_(metrics.registry()),
      http_(
          config, [this] { return cache_.Current(); }, limits) {
  metrics_.SetChangeListener([this] { cache_.Invalidate(); });
}

MetricsServer::~MetricsServer() { metrics_.SetChangeListener(nullptr); }

}  // namespace partitiond::metrics
