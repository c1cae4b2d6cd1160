// The one place Boost.Asio comes in. Boost 1.74's awaitable.hpp uses std::exchange without
// including <utility>, which GCC 12's libstdc++ no longer pulls in by other headers, so <utility>
// must come first (reproducer: tests/gcc/asio_utility_include.cc).
#pragma once

// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
// clang-format on

#include <exception>
#include <optional>

namespace partitiond {
namespace asio = boost::asio;

// Runs `task` on a private io_context until it completes; returns its value or rethrows its
// exception. For one-shot commands; the daemon runs one long-lived loop instead.
template <typename T>
T RunToCompletion(asio::awaitable<T> task) {
  asio::io_context io;
  std::optional<T> value;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T result) {
    failure = e;
    if (!e) value.emplace(std::move(result));
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*value);
}

}  // namespace partitiond
