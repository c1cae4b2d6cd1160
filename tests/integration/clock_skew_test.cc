// A host clock far from the database server's (a bad RTC, a broken NTP): the pass plans from the
// server's clock instead, creates no partitions for the host's imagined future, and says so with
// both clocks named. The host clock is skewed through the injected Env, as a bad RTC would skew
// the system clock; the server's clock stays the real one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>

#include "daemon/common/asio.h"
#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/maintenance/pass.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The real clocks and timers, with the wall clock moved by `offset`.
class SkewedEnv final : public Env {
 public:
  explicit SkewedEnv(std::chrono::seconds offset) : real_(MakeSystemEnv()), offset_(offset) {}
  std::chrono::system_clock::time_point Now() override { return real_->Now() + offset_; }
  std::chrono::steady_clock::time_point SteadyNow() override { return real_->SteadyNow(); }
  std::unique_ptr<Timer> MakeTimer(asio::any_io_executor executor) override {
    return real_->MakeTimer(executor);
  }
  double Random01() override { return real_->Random01(); }

 private:
  std::unique_ptr<Env> real_;
  std::chrono::seconds offset_;
};

// Everything logged while it lives, as text.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() { std::erase(spdlog::default_logger()->sinks(), sink_); }
  std::string Text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class ClockSkewTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
    config_ =
        config::LoadConfigFile(WriteConfig("      - name: app.events\n"
                                           "        interval: 1 month\n"
                                           "        premake: 3\n"));
  }

  maintenance::DatabaseReport Pass(Env& env) {
    const auto now = std::chrono::floor<std::chrono::seconds>(env.Now());
    return RunToCompletion(
        maintenance::RunPass(config_.databases[0], config_.maintenance, env, now, {.apply = true}));
  }

  config::Config config_;
};

TEST_F(ClockSkewTest, AHostClockACenturyAheadCreatesNothingForItsFuture) {
  auto real = MakeSystemEnv();
  const auto first = Pass(*real);
  ASSERT_FALSE(first.error) << *first.error;
  ASSERT_THAT(Partitions("app.events"), SizeIs(4));
  const std::string before = CatalogFingerprint();

  SkewedEnv century(std::chrono::years(100));
  LogCapture log;
  const auto report = Pass(century);
  ASSERT_FALSE(report.error) << *report.error;

  // Without the guard this pass filled the century between the server's now and the host's with
  // 1,000 partitions.
  EXPECT_THAT(report.tables.at(0).plan.actions, IsEmpty());
  EXPECT_EQ(CatalogFingerprint(), before);
  // Planned from the server's clock, reported with both clocks.
  const auto server_year = QueryText("SELECT extract(year FROM now())::int::text");
  ASSERT_TRUE(report.clock_skew.has_value());
  EXPECT_GT(report.clock_skew->count(), 99LL * 365 * 86400);
  EXPECT_EQ(catalog::FormatKeyLiteral(report.planned_now.time_since_epoch(),
                                      catalog::KeyType::kTimestamptz)
                .substr(0, 4),
            server_year);
  const std::string host_year = std::to_string(std::stoi(server_year) + 100);
  EXPECT_THAT(log.Text(), HasSubstr("database test: host clock " + host_year + "-"));
  EXPECT_THAT(log.Text(), HasSubstr(" and server clock " + server_year + "-"));
  EXPECT_THAT(log.Text(), HasSubstr("planning from the server's clock"));
}

TEST_F(ClockSkewTest, TheServersClockStillCreatesTheNextPartitions) {
  // A host a century ahead on a fresh table: the current month and premake ahead of the server's
  // clock are made, nothing else.
  SkewedEnv century(std::chrono::years(100));
  const auto report = Pass(century);
  ASSERT_FALSE(report.error) << *report.error;
  ASSERT_THAT(Partitions("app.events"), SizeIs(4));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p' || "
                     "to_char(date_trunc('month', now() AT TIME ZONE 'UTC'), 'YYYYMMDD')"),
            1);
}

}  // namespace
}  // namespace partitiond::testing
