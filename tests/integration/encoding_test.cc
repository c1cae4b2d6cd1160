// A database in LATIN1 whose table and partition names are not ASCII: the daemon's sessions ask
// for UTF8, so the configured (UTF-8) names find their tables, partitions are created and dropped
// under the right names, and the JSON plan, the JSON logs, the status and the audit trail carry
// the names as valid UTF-8 (nlohmann's parser rejects anything else).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kEvenements = "\xc3\xa9v\xc3\xa9nements";  // "événements"
const std::string kArchived = "archiv\xc3\xa9_2026_11";      // "archivé_2026_11"
const std::string kNow = "--now 2027-01-15T00:00:00Z";

class Latin1DatabaseTest : public DatabaseTest {
 protected:
  Latin1DatabaseTest() {
    database_options_ = "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0";
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DatabaseTest::SetUp());
    // This superuser session spells the names in UTF-8 whatever the daemon's sessions do.
    conn_->Exec("SET client_encoding = 'UTF8'");
    CreateMonthlyEvents();
    const std::string parent = "app.\"" + kEvenements + "\"";
    conn_->Exec("CREATE TABLE " + parent +
                " (id bigint, at timestamptz NOT NULL) PARTITION BY RANGE (at);"
                "CREATE TABLE app.\"" +
                kEvenements + "_p2026_11\" PARTITION OF " + parent +
                " FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');"
                "CREATE TABLE app.\"" +
                kEvenements + "_p2027_01\" PARTITION OF " + parent +
                " FOR VALUES FROM ('2027-01-01 00:00+00') TO ('2027-02-01 00:00+00');"
                // A hand-made name under an ASCII parent: only the server's output carries it.
                "CREATE TABLE app.\"" +
                kArchived +
                "\" PARTITION OF app.events "
                "FOR VALUES FROM ('2026-11-01 00:00+00') TO ('2026-12-01 00:00+00');");
    config_ = WriteConfig("      - name: 'app.\"" + kEvenements +
                              "\"'\n"
                              "        interval: 1 month\n"
                              "        premake: 2\n"
                              "        retention: 1 month\n"
                              "        retention_action: drop\n"
                              "      - name: app.events\n"
                              "        interval: 1 month\n"
                              "        premake: 2\n"
                              "        retention: 1 month\n"
                              "        retention_action: drop\n",
                          "{ lock_timeout: 100ms, max_attempts: 3, statement_timeout: 30s }",
                          "{ level: debug, format: json }");
  }

  std::string config_;
};

// Every stderr line is a JSON object: parsing fails on invalid UTF-8.
std::string JsonLogText(const std::string& err) {
  std::istringstream in(err);
  std::string messages;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json object;
    EXPECT_NO_THROW(object = nlohmann::json::parse(line)) << line;
    if (object.contains("message")) messages += object["message"].get<std::string>() + "\n";
  }
  return messages;
}

TEST_F(Latin1DatabaseTest, NonAsciiNamesAreMaintainedAndReportedAsUtf8) {
  ASSERT_EQ(QueryText("SELECT pg_encoding_to_char(encoding) FROM pg_database "
                      "WHERE datname = current_database()"),
            "LATIN1");

  const CliResult plan = RunCli("plan --config " + config_ + " " + kNow + " --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  nlohmann::json root;
  ASSERT_NO_THROW(root = nlohmann::json::parse(plan.out)) << plan.out;
  std::vector<std::string> planned;
  for (const auto& table : root["databases"][0]["tables"]) {
    EXPECT_FALSE(table.contains("error")) << table.dump();
    for (const auto& a : table["actions"]) {
      planned.push_back(a["action"].get<std::string>() + " " + a["partition"].get<std::string>());
    }
  }
  // The gap before January is filled; new names follow pg_partman 5's style.
  EXPECT_THAT(planned,
              ::testing::IsSupersetOf({"create " + kEvenements + "_p20261201",
                                       "create " + kEvenements + "_p20270301",
                                       "drop " + kEvenements + "_p2026_11", "drop " + kArchived}));
  JsonLogText(plan.err);

  const CliResult once = RunCli("once --config " + config_ + " " + kNow);
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  EXPECT_THAT(JsonLogText(once.err), HasSubstr(kArchived));
  EXPECT_THAT(
      Partitions("app.\"" + kEvenements + "\""),
      ElementsAre(kEvenements + "_p20261201 [2026-12-01 00:00:00+00, 2027-01-01 00:00:00+00)",
                  kEvenements + "_p20270201 [2027-02-01 00:00:00+00, 2027-03-01 00:00:00+00)",
                  kEvenements + "_p20270301 [2027-03-01 00:00:00+00, 2027-04-01 00:00:00+00)",
                  kEvenements + "_p2027_01 [2027-01-01 00:00:00+00, 2027-02-01 00:00:00+00)"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = '" + kArchived + "'"), 0);
  EXPECT_EQ(QueryText("SELECT string_agg(partition_name, ',' ORDER BY partition_name) "
                      "FROM partitiond.audit WHERE action = 'drop' AND step IS NULL"),
            "app." + kArchived + ",app." + kEvenements + "_p2026_11");

  const CliResult status = RunCli("status --config " + config_ + " " + kNow + " --format json");
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  ASSERT_NO_THROW(root = nlohmann::json::parse(status.out)) << status.out;
  EXPECT_THAT(root.dump(), HasSubstr(kEvenements));
  JsonLogText(status.err);
}

}  // namespace
}  // namespace partitiond::testing
