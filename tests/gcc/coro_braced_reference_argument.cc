// expect: run-error
// GCC 12.2 destroys twice a temporary made from a braced (designated) initializer and bound to a
// coroutine's const reference parameter inside a co_await expression: AddressSanitizer reports
// "attempting double-free". Workaround: pass a named object that outlives the co_await
// (daemon/pg/connection.h, Connection::AsyncOpen's SessionOptions).
#include "coro.h"

struct Options {
  std::string name;
};

asio::awaitable<std::size_t> Open(const std::string& conninfo, const Options& options) {
  co_return conninfo.size() + options.name.size();
}

asio::awaitable<void> Main() {
  Check(co_await Open(Long("host"), {.name = Long("app")}) == 135, "braced reference argument");
}

int main() { return RunMain(Main()); }
