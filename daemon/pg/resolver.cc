#include "daemon/pg/resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/pg/error.h"

namespace partitiond::pg {
namespace {

// What the lookup thread hands back. The thread owns one end of a socket pair and writes a byte
// to it when done; the loop waits for that byte on the other end. If the loop gave up and closed
// its end, the write fails quietly (MSG_NOSIGNAL) and the thread just ends.
struct Lookup {
  std::mutex mutex;
  std::vector<std::string> addresses;
  std::string error;
};

void RunLookup(const std::string& name, Lookup& lookup) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &found);
  std::vector<std::string> addresses;
  for (const addrinfo* a = found; rc == 0 && a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(
                  &reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        inet_ntop(a->ai_family, raw, text, sizeof text) == nullptr) {
      continue;
    }
    if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
      addresses.emplace_back(text);
    }
  }
  if (found != nullptr) freeaddrinfo(found);
  std::lock_guard lock(lookup.mutex);
  lookup.addresses = std::move(addresses);
  if (rc != 0) {
    lookup.error = gai_strerror(rc);
  } else if (lookup.addresses.empty()) {
    lookup.error = "no IPv4 or IPv6 address";
  }
}

}  // namespace

asio::awaitable<std::vector<std::string>> ResolveHostName(
    const std::string& name, std::chrono::steady_clock::time_point deadline) {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    throw Error("could not resolve host name \"" + name + "\": socketpair failed", "08001");
  }
  const auto executor = co_await asio::this_coro::executor;
  asio::posix::stream_descriptor done(executor, ends[0]);  // owns ends[0]
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([name, lookup, signal = ends[1]] {
      RunLookup(name, *lookup);
      const char byte = 1;
      (void)send(signal, &byte, 1, MSG_NOSIGNAL);
      close(signal);
    }).detach();
  } catch (const std::system_error& e) {
    close(ends[1]);
    throw Error("could not resolve host name \"" + name + "\": " + e.what(), "08001");
  }
  // The deadline handler may run after this frame resumed (its completion was already queued): it
  // reaches the frame only through this shared slot, emptied before the wait ends.
  struct Waiting {
    asio::posix::stream_descriptor* done;
    bool expired = false;
  };
  auto waiting = std::make_shared<Waiting>(Waiting{.done = &done});
  asio::steady_timer timer(executor, deadline);
  timer.async_wait([waiting](const boost::system::error_code& ec) {
    if (ec || waiting->done == nullptr) return;
    waiting->expired = true;
    waiting->done->cancel();
  });
  boost::system::error_code ec;
  co_await done.async_wait(asio::posix::stream_descriptor::wait_read,
                           asio::redirect_error(asio::use_awaitable, ec));
  waiting->done = nullptr;
  timer.cancel();
  if (waiting->expired) {
    throw Error("timeout expired while resolving host name \"" + name + "\"", "08001");
  }
  std::lock_guard lock(lookup->mutex);
  if (!lookup->error.empty()) {
    throw Error("could not translate host name \"" + name + "\" to address: " + lookup->error,
                "08001");
  }
  co_return lookup->addresses;
}

}  // namespace partitiond::pg
