// What the archive integration tests share: a DatabaseTest whose archives go to a directory of
// the test's own, and helpers to look at the files and at the archived table's rows.
#pragma once

#include <string>
#include <vector>

#include "tests/support/database_test.h"

namespace partitiond::testing {

class ArchiveFixture : public DatabaseTest {
 protected:
  std::string ArchiveDir() { return tmp_dir_ + "/archive"; }
  // Where the archives of schema app in the database labelled "test" go.
  std::string PartitionDir() { return ArchiveDir() + "/test/app"; }
  // Paths of the files in PartitionDir() whose names end with `suffix`, sorted.
  std::vector<std::string> Files(const std::string& suffix);
  // Rows of `table` that differ from public.reference, both ways.
  long long Differences(const std::string& table);
  bool TableExists(const std::string& name);
  // "step:outcome ..." of the archive actions' audit rows in order, "summary" for the action's own.
  std::string AuditSteps();
  static std::string ReadText(const std::string& path);
};

}  // namespace partitiond::testing
