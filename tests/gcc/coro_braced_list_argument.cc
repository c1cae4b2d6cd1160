// expect: compile-error
// GCC 12.2 rejects a braced list that initializes a coroutine's std::vector parameter inside a
// co_await expression ("error: array used as initializer"): the list's backing array is moved
// into the coroutine frame. Workaround: build the vector in a named local first
// (daemon/executor/audit.cc, the pg::Params before co_await conn.AsyncExec).
#include <optional>
#include <vector>

#include "coro.h"

using Params = std::vector<std::optional<std::string>>;

asio::awaitable<std::size_t> Exec(std::string sql, Params params) {
  co_return sql.size() + params.size();
}

asio::awaitable<void> Main() {
  Check(co_await Exec(Long("sql"), {Long("a"), Long("b")}) == 69, "braced list argument");
}

int main() { return RunMain(Main()); }
