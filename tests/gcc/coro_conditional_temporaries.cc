// expect: run-error
// GCC 12.2 destroys twice the temporaries of a conditional expression (c ? a : b) that is an
// argument inside a co_await expression: AddressSanitizer reports "attempting double-free".
// Workaround: compute the value into a named local before the co_await
// (daemon/executor/archiver.cc, the NO FORCE ROW LEVEL SECURITY clause).
#include "coro.h"

asio::awaitable<std::size_t> Exec(std::string sql) { co_return sql.size(); }

asio::awaitable<void> Main() {
  for (int i = 0; i < 2; ++i) {
    const bool with_clause = i == 0;
    const std::size_t size = co_await Exec(with_clause ? Long("clause") : std::string());
    Check(size == (with_clause ? 70u : 0u), "conditional argument");
  }
}

int main() { return RunMain(Main()); }
