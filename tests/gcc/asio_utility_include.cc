// expect: compile-error
// Not a compiler bug: Boost 1.74's boost/asio/awaitable.hpp calls std::exchange without including
// <utility>, and GCC 12's libstdc++ no longer brings <utility> in through the headers it does
// include ("'exchange' is not a member of 'std'";
// https://github.com/chriskohlhoff/asio/issues/944). Workaround: include <utility> first
// (daemon/common/asio.h).
// flags: -c
#include <boost/asio/awaitable.hpp>
