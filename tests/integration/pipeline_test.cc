// pg::Connection::AsyncExecPipeline on a real server: the retention recipe sends a mark
// transaction, DETACH ... CONCURRENTLY and a DROP transaction in one round trip, which relies on
// PostgreSQL running a statement that refuses transaction blocks after a COMMIT in the same
// pipeline, and on the server skipping everything after the first failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/common/asio.h"
#include "daemon/pg/connection.h"
#include "daemon/pg/error.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

class PipelineTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    conn_->Exec(
        "CREATE TABLE public.parent (at date) PARTITION BY RANGE (at);"
        "CREATE TABLE public.child PARTITION OF public.parent "
        "  FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');"
        "CREATE TABLE public.log (n int)");
  }

  // Runs the pipeline; returns the last statement's first value ("" when it returns no rows).
  std::string Run(std::vector<pg::PipelinedStatement> statements) {
    return RunToCompletion(FirstValue(*conn_, std::move(statements)));
  }

  static asio::awaitable<std::string> FirstValue(pg::Connection& conn,
                                                 std::vector<pg::PipelinedStatement> statements) {
    const pg::Result last = co_await conn.AsyncExecPipeline(std::move(statements));
    co_return last.rows() > 0 ? std::string(last.Get(0, 0)) : std::string();
  }

  // The error Run throws, or a test failure when it succeeds.
  pg::Error RunFailing(std::vector<pg::PipelinedStatement> statements) {
    try {
      Run(std::move(statements));
    } catch (const pg::Error& e) {
      return e;
    }
    ADD_FAILURE() << "the pipeline succeeded";
    return pg::Error("no error", "");
  }
};

TEST_F(PipelineTest, ADetachConcurrentlyAfterACommitRunsAndTheLastResultIsReturned) {
  const std::string last = Run({
      {.sql = "BEGIN"},
      {.sql = "COMMENT ON TABLE public.child IS 'marked'"},
      {.sql = "INSERT INTO public.log VALUES ($1)", .params = {"1"}},
      {.sql = "COMMIT"},
      {.sql = "ALTER TABLE public.parent DETACH PARTITION public.child CONCURRENTLY"},
      {.sql = "BEGIN"},
      {.sql = "DROP TABLE public.child"},
      {.sql = "COMMIT"},
      {.sql = "SELECT count(*) FROM public.log"},
  });
  EXPECT_EQ(last, "1");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'child'"), 0);
  // The connection is usable and outside any transaction block.
  EXPECT_EQ(QueryText("SELECT count(*) FROM pg_inherits"), "0");
  conn_->Exec("BEGIN; COMMIT;");
}

TEST_F(PipelineTest, AFailureSkipsTheRestAndRollsBackTheOpenTransaction) {
  const pg::Error error = RunFailing({
      {.sql = "BEGIN"},
      {.sql = "INSERT INTO public.log VALUES (1)"},
      {.sql = "SELECT 1 / 0"},
      {.sql = "INSERT INTO public.log VALUES (2)"},
      {.sql = "COMMIT"},
      {.sql = "ALTER TABLE public.parent DETACH PARTITION public.child CONCURRENTLY"},
  });
  EXPECT_EQ(error.sqlstate(), "22012");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM public.log"), 0);
  EXPECT_EQ(QueryText("SELECT relispartition::text FROM pg_class WHERE relname = 'child'"), "true");
  // Had the failed transaction been left open, this would fail with 25P02.
  EXPECT_EQ(conn_->Exec("SELECT 42").Get(0, 0), "42");
}

TEST_F(PipelineTest, AFailureAfterACommitKeepsWhatCommittedAndSkipsTheRest) {
  const pg::Error error = RunFailing({
      {.sql = "BEGIN"},
      {.sql = "INSERT INTO public.log VALUES (1)"},
      {.sql = "COMMIT"},
      {.sql = "ALTER TABLE public.parent DETACH PARTITION public.nosuch CONCURRENTLY"},
      {.sql = "BEGIN"},
      {.sql = "INSERT INTO public.log VALUES (2)"},
      {.sql = "COMMIT"},
  });
  EXPECT_EQ(error.sqlstate(), "42P01");
  EXPECT_EQ(QueryText("SELECT string_agg(n::text, ',') FROM public.log"), "1");
  EXPECT_EQ(conn_->Exec("SELECT 42").Get(0, 0), "42");
}

}  // namespace
}  // namespace partitiond::testing
