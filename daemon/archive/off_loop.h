// Runs blocking file work off the event loop: co_await RunOffLoop<T>(files, function) calls
// `function` on `files` (a thread pool's executor, or a strand of one), suspends the calling
// coroutine meanwhile, and resumes it on its own executor with the value `function` returned or
// the exception it threw. The loop's io_context counts as busy until the result is back, so a
// loop with nothing else to do does not return from run() in between. `function` must not touch
// loop-owned objects (connections, timers), and what it captures must outlive it (capture by
// value or shared_ptr). T must be void or default-constructible.
//
// Deliberately not a coroutine, and `function` a std::function built by the caller as a named
// local: GCC 12 mis-copies closure objects with non-trivial captures when they are temporaries
// inside a co_await expression or parameters of a coroutine (their std::string members ended up
// pointing into the caller's frame, then freed twice).
#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include "daemon/common/asio.h"

#include <boost/asio/executor_work_guard.hpp>

namespace partitiond::archive {
namespace off_loop_internal {

template <typename Value>
struct Signature {
  using type = void(std::exception_ptr, Value);
};
template <>
struct Signature<void> {
  using type = void(std::exception_ptr);
};

// asio's initiation for RunOffLoop: posts the work to `files`, and the result back to the
// handler's executor (the loop) while keeping that executor's io_context busy.
template <typename Value, typename Files>
struct Initiation {
  template <typename Handler>
  void operator()(Handler handler, std::function<Value()> function) const {
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(files, [work = std::move(work), function = std::move(function),
                       handler = std::move(handler)]() mutable {
      std::exception_ptr failure;
      if constexpr (std::is_void_v<Value>) {
        try {
          function();
        } catch (...) {
          failure = std::current_exception();
        }
        asio::post(work.get_executor(), [handler = std::move(handler), failure]() mutable {
          std::move(handler)(failure);
        });
      } else {
        Value value{};
        try {
          value = function();
        } catch (...) {
          failure = std::current_exception();
        }
        asio::post(work.get_executor(),
                   [handler = std::move(handler), failure, value = std::move(value)]() mutable {
                     std::move(handler)(failure, std::move(value));
                   });
      }
      work.reset();
    });
  }
  Files files;
};

}  // namespace off_loop_internal

template <typename Value, typename Files>
asio::awaitable<Value> RunOffLoop(Files files, std::function<Value()> function) {
  return asio::async_initiate<const asio::use_awaitable_t<>,
                              typename off_loop_internal::Signature<Value>::type>(
      off_loop_internal::Initiation<Value, Files>{files}, asio::use_awaitable, std::move(function));
}

}  // namespace partitiond::archive
