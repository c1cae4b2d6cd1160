#include <gtest/gtest.h>

#include <chrono>

#include "daemon/catalog/snapshot.h"

namespace partitiond::catalog {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year;

KeyValue Day(int y, unsigned m, unsigned d) {
  return sys_days(year(y) / static_cast<int>(m) / static_cast<int>(d)).time_since_epoch();
}

TEST(ParseKeyLiteralTest, Date) {
  EXPECT_EQ(ParseKeyLiteral("2024-01-01", KeyType::kDate), Day(2024, 1, 1));
  EXPECT_EQ(ParseKeyLiteral("1970-01-01", KeyType::kDate), KeyValue(0));
  EXPECT_EQ(ParseKeyLiteral("1969-12-31", KeyType::kDate), -KeyValue(hours(24)));
  EXPECT_EQ(ParseKeyLiteral("2024-02-29", KeyType::kDate), Day(2024, 2, 29));
  EXPECT_EQ(ParseKeyLiteral("'2024-03-01'", KeyType::kDate), Day(2024, 3, 1));
  EXPECT_EQ(ParseKeyLiteral("10000-01-01", KeyType::kDate), Day(10000, 1, 1));
}

TEST(ParseKeyLiteralTest, Timestamp) {
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00", KeyType::kTimestamp), Day(2024, 1, 1));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 13:45:10", KeyType::kTimestamp),
            Day(2024, 1, 1) + hours(13) + minutes(45) + seconds(10));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00.5", KeyType::kTimestamp),
            Day(2024, 1, 1) + microseconds(500000));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00.000001", KeyType::kTimestamp),
            Day(2024, 1, 1) + microseconds(1));
}

TEST(ParseKeyLiteralTest, TimestamptzConvertsOffsetsToUtc) {
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00+00", KeyType::kTimestamptz), Day(2024, 1, 1));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00.5+00", KeyType::kTimestamptz),
            Day(2024, 1, 1) + microseconds(500000));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 01:00:00+01", KeyType::kTimestamptz), Day(2024, 1, 1));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 05:30:00+05:30", KeyType::kTimestamptz), Day(2024, 1, 1));
  EXPECT_EQ(ParseKeyLiteral("2023-12-31 21:00:00-03", KeyType::kTimestamptz), Day(2024, 1, 1));
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:53:28+00:53:28", KeyType::kTimestamptz),
            Day(2024, 1, 1));
}

TEST(ParseKeyLiteralTest, Infinity) {
  for (KeyType type : {KeyType::kDate, KeyType::kTimestamp, KeyType::kTimestamptz}) {
    EXPECT_EQ(ParseKeyLiteral("infinity", type), KeyValue::max());
    EXPECT_EQ(ParseKeyLiteral("-infinity", type), KeyValue::min());
  }
}

TEST(ParseKeyLiteralTest, RejectsWhatIsNotALiteralOfTheType) {
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00", KeyType::kDate), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-01-01", KeyType::kTimestamp), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00+00", KeyType::kTimestamp), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00", KeyType::kTimestamptz), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-02-30", KeyType::kDate), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2023-02-29", KeyType::kDate), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-13-01", KeyType::kDate), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 24:00:00", KeyType::kTimestamp), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("2024-01-01 00:00:00.1234567", KeyType::kTimestamp), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("0044-03-15 BC", KeyType::kDate), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("0044-03-15 00:00:00+00 BC", KeyType::kTimestamptz), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("", KeyType::kDate), std::nullopt);
  EXPECT_EQ(ParseKeyLiteral("yesterday", KeyType::kDate), std::nullopt);
}

TEST(ParseRangeBoundTest, FromTo) {
  Partition p;
  ASSERT_TRUE(
      ParseRangeBound("FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')",
                      KeyType::kTimestamptz, p));
  EXPECT_FALSE(p.is_default);
  EXPECT_EQ(p.from, Day(2024, 1, 1));
  EXPECT_EQ(p.to, Day(2024, 2, 1));
}

TEST(ParseRangeBoundTest, MinvalueAndMaxvalue) {
  Partition p;
  ASSERT_TRUE(ParseRangeBound("FOR VALUES FROM (MINVALUE) TO ('2024-01-01')", KeyType::kDate, p));
  EXPECT_EQ(p.from, std::nullopt);
  EXPECT_EQ(p.to, Day(2024, 1, 1));
  ASSERT_TRUE(ParseRangeBound("FOR VALUES FROM ('2024-01-01') TO (MAXVALUE)", KeyType::kDate, p));
  EXPECT_EQ(p.from, Day(2024, 1, 1));
  EXPECT_EQ(p.to, std::nullopt);
}

TEST(ParseRangeBoundTest, InfinityLiteralIsAValue) {
  Partition p;
  ASSERT_TRUE(ParseRangeBound("FOR VALUES FROM ('2024-01-01 00:00:00') TO ('infinity')",
                              KeyType::kTimestamp, p));
  EXPECT_EQ(p.to, KeyValue::max());
}

// Verbatim pg_get_expr(relpartbound) output of PostgreSQL 15 (DateStyle ISO).
TEST(ParseRangeBoundTest, WhatPostgres15Prints) {
  Partition p;
  ASSERT_TRUE(
      ParseRangeBound("FOR VALUES FROM ('-infinity') TO ('2024-01-01')", KeyType::kDate, p));
  EXPECT_EQ(p.from, KeyValue::min());
  EXPECT_EQ(p.to, Day(2024, 1, 1));
  ASSERT_TRUE(
      ParseRangeBound("FOR VALUES FROM ('2024-01-01 00:00:00.123') TO ('2024-01-02 00:00:00')",
                      KeyType::kTimestamp, p));
  EXPECT_EQ(p.from, Day(2024, 1, 1) + microseconds(123000));
  // The same bound read with TimeZone=Europe/Berlin instead of UTC.
  ASSERT_TRUE(
      ParseRangeBound("FOR VALUES FROM ('2024-01-01 01:00:00.5+01') TO ('2024-02-01 01:00:00+01')",
                      KeyType::kTimestamptz, p));
  EXPECT_EQ(p.from, Day(2024, 1, 1) + microseconds(500000));
  EXPECT_EQ(p.to, Day(2024, 2, 1));
  ASSERT_TRUE(ParseRangeBound("FOR VALUES FROM (MINVALUE) TO ('2023-01-01 00:00:00+00')",
                              KeyType::kTimestamptz, p));
  EXPECT_EQ(p.from, std::nullopt);
  EXPECT_EQ(p.to, Day(2023, 1, 1));
}

TEST(ParseRangeBoundTest, Default) {
  Partition p;
  p.from = Day(2024, 1, 1);
  ASSERT_TRUE(ParseRangeBound("DEFAULT", KeyType::kTimestamptz, p));
  EXPECT_TRUE(p.is_default);
  EXPECT_EQ(p.from, std::nullopt);
  EXPECT_EQ(p.to, std::nullopt);
}

TEST(ParseRangeBoundTest, RejectsOtherBounds) {
  Partition p;
  const KeyType tz = KeyType::kTimestamptz;
  EXPECT_FALSE(ParseRangeBound("FOR VALUES IN ('2024-01-01 00:00:00+00')", tz, p));
  EXPECT_FALSE(ParseRangeBound("FOR VALUES WITH (modulus 4, remainder 0)", tz, p));
  EXPECT_FALSE(
      ParseRangeBound("FOR VALUES FROM ('2024-01-01', 1) TO ('2024-02-01', 1)", KeyType::kDate, p));
  EXPECT_FALSE(ParseRangeBound("FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')", tz, p));
  EXPECT_FALSE(ParseRangeBound("FOR VALUES FROM (MAXVALUE) TO (MAXVALUE)", tz, p));
  EXPECT_FALSE(
      ParseRangeBound("FOR VALUES FROM ('2024-02-01') TO ('2024-01-01')", KeyType::kDate, p));
  EXPECT_FALSE(
      ParseRangeBound("FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') junk", KeyType::kDate, p));
  EXPECT_FALSE(ParseRangeBound("DEFAULT junk", tz, p));
  EXPECT_FALSE(p.is_default);
  EXPECT_EQ(p.from, std::nullopt);
}

TEST(FormatKeyLiteralTest, EachKeyType) {
  EXPECT_EQ(FormatKeyLiteral(Day(2024, 1, 1), KeyType::kDate), "2024-01-01");
  EXPECT_EQ(FormatKeyLiteral(Day(2024, 1, 1), KeyType::kTimestamp), "2024-01-01 00:00:00");
  EXPECT_EQ(FormatKeyLiteral(Day(2024, 1, 1), KeyType::kTimestamptz), "2024-01-01 00:00:00+00");
  EXPECT_EQ(FormatKeyLiteral(Day(2024, 2, 29) + hours(23) + minutes(59) + seconds(59),
                             KeyType::kTimestamptz),
            "2024-02-29 23:59:59+00");
  EXPECT_EQ(FormatKeyLiteral(-KeyValue(seconds(1)), KeyType::kTimestamp), "1969-12-31 23:59:59");
}

TEST(FormatKeyLiteralTest, FractionOnlyWhenPresent) {
  EXPECT_EQ(FormatKeyLiteral(Day(2024, 1, 1) + microseconds(500000), KeyType::kTimestamptz),
            "2024-01-01 00:00:00.5+00");
  EXPECT_EQ(FormatKeyLiteral(Day(2024, 1, 1) + microseconds(1), KeyType::kTimestamp),
            "2024-01-01 00:00:00.000001");
}

TEST(FormatKeyLiteralTest, InfinityAndBc) {
  EXPECT_EQ(FormatKeyLiteral(KeyValue::max(), KeyType::kTimestamptz), "infinity");
  EXPECT_EQ(FormatKeyLiteral(KeyValue::min(), KeyType::kDate), "-infinity");
  EXPECT_EQ(FormatKeyLiteral(Day(0, 12, 31), KeyType::kDate), "0001-12-31 BC");
}

TEST(FormatKeyLiteralTest, RoundTrips) {
  const KeyValue values[] = {Day(2024, 1, 31), Day(1999, 12, 31) + hours(23) + microseconds(7),
                             Day(1900, 3, 1) + seconds(1), Day(9999, 12, 31)};
  for (KeyType type : {KeyType::kTimestamp, KeyType::kTimestamptz}) {
    for (KeyValue v : values) EXPECT_EQ(ParseKeyLiteral(FormatKeyLiteral(v, type), type), v);
  }
}

TEST(KeyTypeTest, ToString) {
  EXPECT_EQ(ToString(KeyType::kDate), "date");
  EXPECT_EQ(ToString(KeyType::kTimestamp), "timestamp");
  EXPECT_EQ(ToString(KeyType::kTimestamptz), "timestamptz");
}

TEST(TableSnapshotTest, DefaultPartition) {
  TableSnapshot table;
  EXPECT_EQ(table.DefaultPartition(), nullptr);
  Partition p1;
  p1.name = "p1";
  p1.from = Day(2024, 1, 1);
  p1.to = Day(2024, 2, 1);
  table.partitions.push_back(p1);
  EXPECT_EQ(table.DefaultPartition(), nullptr);
  Partition fallback;
  fallback.name = "p_default";
  fallback.is_default = true;
  table.partitions.push_back(fallback);
  ASSERT_NE(table.DefaultPartition(), nullptr);
  EXPECT_EQ(table.DefaultPartition()->name, "p_default");
}

}  // namespace
}  // namespace partitiond::catalog
