// Shared by the coroutine reproducers: Boost.Asio awaitables as the daemon uses them, heap-backed
// strings (so a double destruction is a double free AddressSanitizer reports) and a check.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
// clang-format on

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;

// A string too long for the small-string buffer: it owns heap memory.
inline std::string Long(const char* text) { return std::string(text) + std::string(64, 'x'); }

inline void Check(bool ok, const char* what) {
  if (!ok) {
    std::printf("wrong result: %s\n", what);
    std::exit(1);
  }
}

// Runs `main_coroutine` to completion on a private io_context.
inline int RunMain(asio::awaitable<void> main_coroutine) {
  asio::io_context io;
  asio::co_spawn(io, std::move(main_coroutine), asio::detached);
  io.run();
  std::printf("ok\n");
  return 0;
}
