// expect: run-error
// GCC 12.2 miscompiles a co_await in the condition of an if (or while) whose branch co_returns
// a temporary: resuming the coroutine executes an illegal instruction (SIGILL), with or without
// braces around the branch and at any optimization level. co_await inside the cases of a switch
// (and on a switch's condition) is compiled correctly; so is an awaited value held in a local and
// tested afterwards, which is the workaround (daemon/executor/executor.cc, Executor::Step).
#include "coro.h"

asio::awaitable<bool> Ready(bool ready) { co_return ready; }

asio::awaitable<std::string> Pick(bool ready) {
  if (co_await Ready(ready)) co_return Long("ready");
  co_return Long("waiting");
}

asio::awaitable<void> Main() {
  Check(co_await Pick(true) == Long("ready"), "co_await in a condition");
  Check(co_await Pick(false) == Long("waiting"), "co_await in a condition");
}

int main() { return RunMain(Main()); }
