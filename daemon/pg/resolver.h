// Host-name resolution that never blocks the event loop. getaddrinfo() cannot be cancelled and can
// take seconds when a resolver is slow or silent, so each lookup runs on a thread of its own and
// the coroutine waits for it on the loop, up to a deadline. A lookup that misses its deadline is
// abandoned: its thread finishes on its own and its answer is dropped; nothing it touches belongs
// to the loop. Safe to call from any number of coroutines at once.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/common/asio.h"

namespace partitiond::pg {

// The numeric addresses of `name` (IPv4 and IPv6, as getaddrinfo orders them for a TCP
// connection, without duplicates). Throws pg::Error with SQLSTATE 08001 when the name does not
// resolve, or when `deadline` passes first.
asio::awaitable<std::vector<std::string>> ResolveHostName(
    const std::string& name, std::chrono::steady_clock::time_point deadline);

}  // namespace partitiond::pg
