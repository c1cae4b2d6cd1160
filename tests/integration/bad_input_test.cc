// Bad input never changes anything: clear message, the right exit code, and no DDL (asserted on
// the catalog, not only on the message). Broken tables do not stop healthy ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->Exec(
        "CREATE SCHEMA app; CREATE TABLE app.events (at timestamptz NOT NULL) "
        "PARTITION BY RANGE (at);");
    before_ = CatalogFingerprint();
  }
  std::string before_;
};

TEST_F(BadInputTest, MalformedYamlExitsTwoNamingTheLine) {
  const std::string path = WriteFile("bad.yaml", "databases:\n  - name: [unclosed\n");
  const CliResult r = RunCli("once --config " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":"));
  EXPECT_EQ(CatalogFingerprint(), before_);
}

TEST_F(BadInputTest, WrongTypeExitsTwoNamingLineAndColumn) {
  const std::string path = WriteConfig(
      "      - name: app.events\n"
      "        interval: 1 month\n"
      "        premake: three\n");
  const CliResult r = RunCli("once --config " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":9:18:"));
  EXPECT_EQ(CatalogFingerprint(), before_);
}

TEST_F(BadInputTest, UnreachableDatabaseExitsThree) {
  const std::string path = WriteFile("unreachable.yaml",
                                     "databases:\n"
                                     "  - name: gone\n"
                                     "    conninfo: \"host=/nonexistent port=1 dbname=x "
                                     "connect_timeout=2\"\n"
                                     "    tables:\n"
                                     "      - { name: app.events, interval: 1 day }\n");
  const CliResult r = RunCli("once --config " + path);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("database gone"));
  const CliResult check = RunCli("check-config --connect --config " + path);
  EXPECT_EQ(check.exit_code, 3);
}

TEST_F(BadInputTest, MissingTableFailsAloneAndHealthyTablesAreStillMaintained) {
  conn_->Exec(
      "CREATE TABLE app.by_list (k text) PARTITION BY LIST (k);"
      "CREATE TABLE app.by_int (k int) PARTITION BY RANGE (k);"
      "CREATE TABLE app.by_two (a date, b date) PARTITION BY RANGE (a, b);"
      "CREATE TABLE app.plain (at date);");
  const std::string path = WriteConfig(
      "      - { name: app.missing, interval: 1 day }\n"
      "      - { name: app.by_list, interval: 1 day }\n"
      "      - { name: app.by_int, interval: 1 day }\n"
      "      - { name: app.by_two, interval: 1 day }\n"
      "      - { name: app.plain, interval: 1 day }\n"
      "      - { name: app.events, interval: 1 day, premake: 2 }\n");
  const CliResult r = RunCli("once --config " + path + " --now 2026-11-25T00:00:00Z");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("table app.missing does not exist"));
  EXPECT_THAT(r.err, HasSubstr("app.by_list is LIST-partitioned"));
  EXPECT_THAT(r.err, HasSubstr("has type integer"));
  EXPECT_THAT(r.err, HasSubstr("2-column partition key"));
  EXPECT_THAT(r.err, HasSubstr("app.plain is a regular table"));
  EXPECT_EQ(Partitions("app.events").size(), 3u);
  // Nothing was created for the broken ones.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent "
                     "WHERE c.relname <> 'events'"),
            0);
  const CliResult check = RunCli("check-config --connect --config " + path);
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_THAT(check.out, HasSubstr("table app.events ok"));
}

TEST_F(BadInputTest, MissingTableAloneChangesNothing) {
  const std::string path = WriteConfig("      - { name: app.missing, interval: 1 day }\n");
  const CliResult r = RunCli("once --config " + path + " --now 2026-11-25T00:00:00Z");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("ERROR: table app.missing does not exist"));
  EXPECT_EQ(CatalogFingerprint(), before_);
}

TEST_F(BadInputTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCli("once").exit_code, 2);
  EXPECT_EQ(RunCli("frobnicate --config x").exit_code, 2);
  const std::string path = WriteConfig("      - { name: app.events, interval: 1 day }\n");
  EXPECT_EQ(RunCli("plan --config " + path + " --now yesterday").exit_code, 2);
  EXPECT_EQ(RunCli("plan --config " + path + " --table app.other").exit_code, 2);
  EXPECT_EQ(CatalogFingerprint(), before_);
}

TEST_F(BadInputTest, IdentifiersAreQuotedSafely) {
  conn_->Exec(
      "CREATE SCHEMA \"Odd Schema\";"
      "CREATE TABLE \"Odd Schema\".\"Events; DROP TABLE app.events; --\" "
      "(\"Created \"\"At\" timestamptz NOT NULL) PARTITION BY RANGE (\"Created \"\"At\");");
  const std::string path = WriteConfig(
      "      - name: '\"Odd Schema\".\"Events; DROP TABLE app.events; --\"'\n"
      "        interval: 1 day\n"
      "        premake: 1\n");
  const CliResult r = RunCli("once --config " + path + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Partitions("\"Odd Schema\".\"Events; DROP TABLE app.events; --\"").size(), 2u);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = "
                     "'Events; DROP TABLE app.events; --_p20261125'"),
            1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events'"), 1);
}

}  // namespace
}  // namespace partitiond::testing
