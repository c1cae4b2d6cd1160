// The registry's text exposition, rendered once per change and served from memory.
//
// Scrapes are frequent and values change only when a pass ends (or on a reload), so rendering on
// every request (what prometheus-cpp's Exposer does: 15,000 series, 1.1 MB at 1,000 parents)
// wastes most of a scrape's time. ExpositionCache renders on a thread of its own after each
// change and hands every scrape the latest complete rendering without waiting for anything.
// The registry stays the source of truth; the cache only holds its last serialization.
#pragma once

#include <prometheus/registry.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace partitiond::metrics {

// One serialization of the registry: Prometheus text format 0.0.4, and the same bytes gzipped.
struct Exposition {
  std::string text;
  std::string gzip;
};

// Serializes `registry` with prometheus::TextSerializer and gzips the result.
Exposition Render(prometheus::Registry& registry);

// Gzip (RFC 1952) of `data` at zlib's default level. Throws std::runtime_error if zlib fails.
std::string Gzip(std::string_view data);

// Thread-safe. Owns one render thread, which sleeps (no wake-ups) until Invalidate() is called.
class ExpositionCache {
 public:
  // Renders once before returning, so the first scrape already has a body. `registry` is shared
  // with whoever updates it.
  explicit ExpositionCache(std::shared_ptr<prometheus::Registry> registry);
  // Stops and joins the render thread (a render in progress finishes first).
  ~ExpositionCache();
  ExpositionCache(const ExpositionCache&) = delete;
  ExpositionCache& operator=(const ExpositionCache&) = delete;

  // Any thread, cheap: the registry changed; render it again. Calls made while a render runs
  // coalesce into one more render.
  void Invalidate();
  // Any thread: the latest complete rendering, never null. Never waits for a render.
  std::shared_ptr<const Exposition> Current() const;
  // Blocks until every change announced before this call has been rendered (tests and shutdown
  // paths; a scrape never calls it).
  void WaitRendered();

 private:
  void RenderLoop();

  const std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;   // requested_ advanced, or stopping_
  std::condition_variable rendered_;  // rendered_generation_ advanced
  std::shared_ptr<const Exposition> current_;
  std::uint64_t requested_ = 0;            // generation of the latest Invalidate()
  std::uint64_t rendered_generation_ = 0;  // generation current_ reflects
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is initialized
};

}  // namespace partitiond::metrics
