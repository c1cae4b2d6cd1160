#include "daemon/config/duration.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace partitiond::config {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

template <typename Fn>
std::string ErrorOf(Fn fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

std::string DurationError(std::string_view text) {
  return ErrorOf([&] { ParseDuration(text); });
}

std::string IntervalError(std::string_view text, std::string_view subject = "partitions") {
  return ErrorOf([&] { ParseCalendarInterval(text, subject); });
}

constexpr std::string_view kUnitHelp =
    "use ms, s, m, h, d or millisecond(s), second(s), minute(s), hour(s), day(s), week(s), "
    "month(s), year(s)";

TEST(ParseDurationTest, SuffixForms) {
  EXPECT_EQ(ParseDuration("200ms"), milliseconds(200));
  EXPECT_EQ(ParseDuration("30s"), seconds(30));
  EXPECT_EQ(ParseDuration("5m"), minutes(5));
  EXPECT_EQ(ParseDuration("1h"), hours(1));
  EXPECT_EQ(ParseDuration("2d"), days(2));
}

TEST(ParseDurationTest, WordForms) {
  EXPECT_EQ(ParseDuration("3 days"), days(3));
  EXPECT_EQ(ParseDuration("1 hour"), hours(1));
  EXPECT_EQ(ParseDuration("2 weeks"), days(14));
  EXPECT_EQ(ParseDuration("90 minutes"), minutes(90));
  EXPECT_EQ(ParseDuration("10 seconds"), seconds(10));
  EXPECT_EQ(ParseDuration("500 milliseconds"), milliseconds(500));
}

TEST(ParseDurationTest, SingularAndPluralAreBothAccepted) {
  EXPECT_EQ(ParseDuration("1 day"), days(1));
  EXPECT_EQ(ParseDuration("1 days"), days(1));
  EXPECT_EQ(ParseDuration("2 minute"), minutes(2));
  EXPECT_EQ(ParseDuration("1 week"), days(7));
  EXPECT_EQ(ParseDuration("1 millisecond"), milliseconds(1));
}

TEST(ParseDurationTest, WhitespaceBetweenNumberAndUnitIsOptional) {
  EXPECT_EQ(ParseDuration("5 m"), minutes(5));
  EXPECT_EQ(ParseDuration("200 ms"), milliseconds(200));
  EXPECT_EQ(ParseDuration("3days"), days(3));
  EXPECT_EQ(ParseDuration("3 \t days"), days(3));
  EXPECT_EQ(ParseDuration(" 1h "), hours(1));
}

TEST(ParseDurationTest, RejectsMonths) {
  EXPECT_EQ(DurationError("1 month"),
            "invalid duration \"1 month\": months have no fixed length; use days or weeks");
  EXPECT_EQ(DurationError("12 months"),
            "invalid duration \"12 months\": months have no fixed length; use days or weeks");
}

TEST(ParseDurationTest, RejectsYears) {
  EXPECT_EQ(DurationError("1 year"),
            "invalid duration \"1 year\": years have no fixed length; use days or weeks");
}

TEST(ParseDurationTest, RejectsZero) {
  EXPECT_EQ(DurationError("0s"), "invalid duration \"0s\": must be greater than zero");
}

TEST(ParseDurationTest, AcceptsZeroWhenAllowed) {
  EXPECT_EQ(ParseDuration("0s", /*allow_zero=*/true), milliseconds(0));
  EXPECT_EQ(ParseDuration("0 minutes", /*allow_zero=*/true), milliseconds(0));
}

TEST(ParseDurationTest, RejectsNegative) {
  EXPECT_EQ(DurationError("-5m"),
            "invalid duration \"-5m\": expected a positive whole number followed by a unit, "
            "such as \"5m\" or \"1 month\"");
}

TEST(ParseDurationTest, RejectsFraction) {
  EXPECT_EQ(DurationError("1.5h"), "invalid duration \"1.5h\": the count must be a whole number");
}

TEST(ParseDurationTest, RejectsEmpty) {
  EXPECT_EQ(DurationError(""),
            "invalid duration \"\": expected a positive whole number followed by a unit, such as "
            "\"5m\" or \"1 month\"");
}

TEST(ParseDurationTest, RejectsMissingUnit) {
  EXPECT_EQ(DurationError("300"),
            "invalid duration \"300\": missing unit; " + std::string(kUnitHelp));
}

TEST(ParseDurationTest, RejectsUnknownUnit) {
  EXPECT_EQ(
      DurationError("2 fortnights"),
      "invalid duration \"2 fortnights\": unknown unit \"fortnights\"; " + std::string(kUnitHelp));
  EXPECT_EQ(DurationError("5M"),
            "invalid duration \"5M\": unknown unit \"M\"; " + std::string(kUnitHelp));
  EXPECT_EQ(DurationError("5 mins"),
            "invalid duration \"5 mins\": unknown unit \"mins\"; " + std::string(kUnitHelp));
}

TEST(ParseDurationTest, RejectsNumberTooLarge) {
  EXPECT_EQ(DurationError("99999999999999999999s"),
            "invalid duration \"99999999999999999999s\": number too large");
}

TEST(ParseDurationTest, RejectsDurationThatOverflowsMilliseconds) {
  EXPECT_EQ(DurationError("9223372036854775807d"),
            "invalid duration \"9223372036854775807d\": too long");
  EXPECT_EQ(ParseDuration("9223372036854775807ms"), milliseconds(9223372036854775807));
}

TEST(ParseCalendarIntervalTest, Units) {
  EXPECT_EQ(ParseCalendarInterval("1 month"), (CalendarInterval{1, CalendarUnit::kMonth}));
  EXPECT_EQ(ParseCalendarInterval("12 months"), (CalendarInterval{12, CalendarUnit::kMonth}));
  EXPECT_EQ(ParseCalendarInterval("3 days"), (CalendarInterval{3, CalendarUnit::kDay}));
  EXPECT_EQ(ParseCalendarInterval("1 hour"), (CalendarInterval{1, CalendarUnit::kHour}));
  EXPECT_EQ(ParseCalendarInterval("2 weeks"), (CalendarInterval{2, CalendarUnit::kWeek}));
  EXPECT_EQ(ParseCalendarInterval("1 year"), (CalendarInterval{1, CalendarUnit::kYear}));
}

TEST(ParseCalendarIntervalTest, DayAndHourSuffixes) {
  EXPECT_EQ(ParseCalendarInterval("6h"), (CalendarInterval{6, CalendarUnit::kHour}));
  EXPECT_EQ(ParseCalendarInterval("2d"), (CalendarInterval{2, CalendarUnit::kDay}));
  EXPECT_EQ(ParseCalendarInterval("1month"), (CalendarInterval{1, CalendarUnit::kMonth}));
}

TEST(ParseCalendarIntervalTest, RejectsUnitsFinerThanAnHour) {
  EXPECT_EQ(IntervalError("30m"),
            "invalid interval \"30m\": partitions finer than an hour are not supported");
  EXPECT_EQ(IntervalError("90 minutes"),
            "invalid interval \"90 minutes\": partitions finer than an hour are not supported");
  EXPECT_EQ(IntervalError("10 seconds"),
            "invalid interval \"10 seconds\": partitions finer than an hour are not supported");
  EXPECT_EQ(IntervalError("500ms"),
            "invalid interval \"500ms\": partitions finer than an hour are not supported");
}

TEST(ParseCalendarIntervalTest, SubjectNamesWhatIsTooFine) {
  EXPECT_EQ(IntervalError("30m", "retention periods"),
            "invalid interval \"30m\": retention periods finer than an hour are not supported");
}

TEST(ParseCalendarIntervalTest, RejectsZero) {
  EXPECT_EQ(IntervalError("0 days"), "invalid interval \"0 days\": must be greater than zero");
}

TEST(ParseCalendarIntervalTest, RejectsMoreThanTenThousandYears) {
  EXPECT_EQ(ParseCalendarInterval("10000 years"), (CalendarInterval{10000, CalendarUnit::kYear}));
  EXPECT_EQ(IntervalError("10001 years"),
            "invalid interval \"10001 years\": longer than 10000 years");
  EXPECT_EQ(IntervalError("120001 months"),
            "invalid interval \"120001 months\": longer than 10000 years");
  EXPECT_EQ(IntervalError("99999999999 hours"),
            "invalid interval \"99999999999 hours\": longer than 10000 years");
}

TEST(ParseCalendarIntervalTest, HoldsToTheCallersYears) {
  EXPECT_EQ(ParseCalendarInterval("10 years", "partitions", 10),
            (CalendarInterval{10, CalendarUnit::kYear}));
  EXPECT_EQ(ParseCalendarInterval("120 months", "partitions", 10),
            (CalendarInterval{120, CalendarUnit::kMonth}));
  EXPECT_EQ(ParseCalendarInterval("3660 days", "partitions", 10),
            (CalendarInterval{3660, CalendarUnit::kDay}));
  const auto error = [](std::string_view text) {
    return ErrorOf([&] { ParseCalendarInterval(text, "partitions", 10); });
  };
  EXPECT_EQ(error("11 years"), "invalid interval \"11 years\": longer than 10 years");
  EXPECT_EQ(error("121 months"), "invalid interval \"121 months\": longer than 10 years");
  EXPECT_EQ(error("523 weeks"), "invalid interval \"523 weeks\": longer than 10 years");
  EXPECT_EQ(error("87841 hours"), "invalid interval \"87841 hours\": longer than 10 years");
}

// Counts that overflow int64 before any unit is applied, negative counts and zero.
TEST(ParseCalendarIntervalTest, RejectsHugeNegativeAndZeroCounts) {
  EXPECT_EQ(IntervalError("99999999999999999999 months"),
            "invalid interval \"99999999999999999999 months\": number too large");
  EXPECT_EQ(IntervalError("-3 months"),
            "invalid interval \"-3 months\": expected a positive whole number followed by a "
            "unit, such as \"5m\" or \"1 month\"");
  EXPECT_EQ(IntervalError("0 days"), "invalid interval \"0 days\": must be greater than zero");
}

TEST(ParseDurationTest, RejectsHugeNegativeAndZeroCounts) {
  EXPECT_EQ(DurationError("99999999999999999999 days"),
            "invalid duration \"99999999999999999999 days\": number too large");
  EXPECT_EQ(DurationError("9223372036854775807 ms"), "no error");
  EXPECT_EQ(DurationError("9223372036854776 s"),
            "invalid duration \"9223372036854776 s\": too long");
  EXPECT_EQ(DurationError("-5m"),
            "invalid duration \"-5m\": expected a positive whole number followed by a unit, "
            "such as \"5m\" or \"1 month\"");
  EXPECT_EQ(DurationError("0 days"), "invalid duration \"0 days\": must be greater than zero");
  EXPECT_EQ(ParseDuration("0 days", /*allow_zero=*/true), milliseconds(0));
}

TEST(ParseCalendarIntervalTest, RejectsUnknownUnit) {
  EXPECT_EQ(IntervalError("1 quarter"),
            "invalid interval \"1 quarter\": unknown unit \"quarter\"; " + std::string(kUnitHelp));
}

TEST(CalendarIntervalTest, ToString) {
  EXPECT_EQ((CalendarInterval{1, CalendarUnit::kMonth}).ToString(), "1 month");
  EXPECT_EQ((CalendarInterval{3, CalendarUnit::kDay}).ToString(), "3 days");
  EXPECT_EQ((CalendarInterval{6, CalendarUnit::kHour}).ToString(), "6 hours");
  EXPECT_EQ((CalendarInterval{1, CalendarUnit::kHour}).ToString(), "1 hour");
  EXPECT_EQ((CalendarInterval{2, CalendarUnit::kWeek}).ToString(), "2 weeks");
  EXPECT_EQ((CalendarInterval{1, CalendarUnit::kYear}).ToString(), "1 year");
  EXPECT_EQ((CalendarInterval{12, CalendarUnit::kMonth}).ToString(), "12 months");
}

TEST(CalendarIntervalTest, ToStringParsesBack) {
  for (const CalendarInterval interval :
       {CalendarInterval{1, CalendarUnit::kMonth}, CalendarInterval{7, CalendarUnit::kDay},
        CalendarInterval{2, CalendarUnit::kWeek}, CalendarInterval{5, CalendarUnit::kYear},
        CalendarInterval{1, CalendarUnit::kHour}}) {
    EXPECT_EQ(ParseCalendarInterval(interval.ToString()), interval);
  }
}

TEST(FormatDurationTest, ShortestExactSuffix) {
  EXPECT_EQ(FormatDuration(milliseconds(200)), "200ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(FormatDuration(seconds(30)), "30s");
  EXPECT_EQ(FormatDuration(seconds(90)), "90s");
  EXPECT_EQ(FormatDuration(minutes(5)), "5m");
  EXPECT_EQ(FormatDuration(hours(1)), "1h");
  EXPECT_EQ(FormatDuration(days(14)), "14d");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
}

TEST(FormatDurationTest, ParsesBack) {
  for (const milliseconds duration :
       {milliseconds(1), milliseconds(61000), milliseconds(hours(25))}) {
    EXPECT_EQ(ParseDuration(FormatDuration(duration)), duration);
  }
}

}  // namespace
}  // namespace partitiond::config
