// What a pass report does to the exported series: a pass cut short sets no last success; the
// clock skew and the removal guard's holds are exported.
#include "daemon/metrics/metrics.h"

#include <date/tz.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

namespace partitiond::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

maintenance::DatabaseReport Applied(bool cut_short) {
  static const config::TableConfig policy = [] {
    config::TableConfig p;
    p.name = {"app", "events"};
    p.interval = {1, config::CalendarUnit::kMonth};
    p.timezone = date::locate_zone("UTC");
    return p;
  }();
  maintenance::DatabaseReport report{.database = "main", .applied = true};
  maintenance::TableReport table{.policy = &policy};
  table.snapshot.configured = policy.name;
  table.plan.held_removals = 23;
  report.tables.push_back(std::move(table));
  report.clock_skew = std::chrono::seconds(-42);
  report.cut_short = cut_short;
  return report;
}

std::string Exposition(Metrics& m) {
  return prometheus::TextSerializer().Serialize(m.registry()->Collect());
}

TEST(MetricsTest, APassCutShortIsNoSuccess) {
  const auto at = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
  Metrics cut("test");
  cut.RecordPass(Applied(true), at, at);
  EXPECT_THAT(Exposition(cut), Not(HasSubstr("partitiond_last_success_timestamp_seconds{")));
  Metrics whole("test");
  whole.RecordPass(Applied(false), at, at);
  EXPECT_THAT(Exposition(whole),
              HasSubstr("partitiond_last_success_timestamp_seconds{database=\"main\",table=\"app."
                        "events\"} 1800000000\n"));
}

TEST(MetricsTest, ExportsClockSkewAndHeldRemovals) {
  Metrics m("test");
  const auto at = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
  m.RecordPass(Applied(false), at, at);
  const std::string text = Exposition(m);
  EXPECT_THAT(text, HasSubstr("partitiond_clock_skew_seconds{database=\"main\"} -42\n"));
  EXPECT_THAT(text,
              HasSubstr("partitiond_retention_held{database=\"main\",table=\"app.events\"} 23\n"));
}

TEST(MetricsTest, LabelsThatAreNotUtf8AreReplacedAndRestartsStartAtZero) {
  Metrics m("test");
  const auto at = std::chrono::sys_seconds(std::chrono::seconds(1'800'000'000));
  maintenance::DatabaseReport report = Applied(false);
  report.database = "d\xe9j\xe0";  // a config label in LATIN1
  m.RecordPass(report, at, at);
  m.SetDatabaseState("d\xe9j\xe0", true, false, false);
  const std::string label = "{database=\"d\xef\xbf\xbdj\xef\xbf\xbd\"}";  // U+FFFD each
  const std::string text = Exposition(m);
  EXPECT_THAT(text, Not(HasSubstr("d\xe9")));
  EXPECT_THAT(text, HasSubstr("partitiond_clock_skew_seconds" + label + " -42\n"));
  EXPECT_THAT(text, HasSubstr("partitiond_worker_restarts_total" + label + " 0\n"));
  m.RecordWorkerRestart("d\xe9j\xe0");
  EXPECT_THAT(Exposition(m), HasSubstr("partitiond_worker_restarts_total" + label + " 1\n"));
}

}  // namespace
}  // namespace partitiond::metrics
