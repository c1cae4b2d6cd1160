// expect: compile-error
// GCC 12 at -O3 reports a bogus -Wrestrict (an overlapping __builtin_memcpy of
// 9223372036854775810 or more bytes) on chained std::string operator+ (GCC PR 105329; also at -O2
// for assigning or inserting a one-character literal). -Werror makes it an error. Workaround:
// append piecewise (daemon/planner/planner.cc, the "[lo, hi)" range text).
// flags: -O3 -Wall -Werror -c
#include <string>

std::string Format(int value);

std::string Range(int lo, int hi) { return "[" + Format(lo) + ", " + Format(hi) + ")"; }
