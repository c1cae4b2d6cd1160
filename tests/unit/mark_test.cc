#include "daemon/catalog/mark.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace partitiond::catalog {
namespace {

const Mark kMarks[] = {
    {.kind = MarkKind::kRetention,
     .parent_oid = 16384,
     .lower = KeyValue(1'767'225'600'000'000),
     .upper = KeyValue(1'769'904'000'000'000)},
    {.kind = MarkKind::kRetention,
     .parent_oid = std::numeric_limits<std::uint32_t>::max(),
     .lower = KeyValue::min(),
     .upper = KeyValue(-86'400'000'000)},
    {.kind = MarkKind::kPendingCreate,
     .parent_oid = 1,
     .lower = KeyValue(0),
     .upper = KeyValue::max()},
};

TEST(MarkTest, ParsesWhatItFormats) {
  for (const Mark& m : kMarks) {
    const std::string text = FormatMark(m);
    EXPECT_EQ(ParseMark(text), m) << text;
    EXPECT_EQ(text.rfind(MarkPrefix(m.kind) + " ", 0), 0u) << text;
  }
  EXPECT_EQ(FormatMark(kMarks[0]),
            "partitiond: detached by retention of 16384 lower 1767225600000000 upper "
            "1769904000000000");
}

TEST(MarkTest, RefusesTextItCannotHaveWritten) {
  for (const char* text : {
           "",
           "partitiond: detached by retention",
           "partitiond: detached by retention of 16384 lower 1 upper",
           "partitiond: detached by retention of 16384 lower 1 upper 2 and more",
           "partitiond: detached by retention of 4294967296 lower 1 upper 2",  // oid > 32 bits
           "partitiond: detached by retention of 1 lower 99999999999999999999 upper 2",
           "partitiond: detached by retention of -1 lower 1 upper 2",
           "partitiond: new partition of x lower 1 upper 2",
           "monthly partition, do not touch",
           "Partitiond: detached by retention of 1 lower 1 upper 2",
       }) {
    EXPECT_FALSE(ParseMark(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace partitiond::catalog
