#include "tests/support/archive_fixture.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace partitiond::testing {

std::vector<std::string> ArchiveFixture::Files(const std::string& suffix) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(PartitionDir(), ec)) {
    if (e.path().string().ends_with(suffix)) found.push_back(e.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

long long ArchiveFixture::Differences(const std::string& table) {
  return QueryInt(fmt::format(
      "SELECT (SELECT count(*) FROM (SELECT * FROM {0} EXCEPT ALL SELECT * FROM reference) a) "
      "     + (SELECT count(*) FROM (SELECT * FROM reference EXCEPT ALL SELECT * FROM {0}) b)",
      table));
}

bool ArchiveFixture::TableExists(const std::string& name) {
  return QueryInt("SELECT count(*) FROM pg_class WHERE oid = to_regclass('" + name + "')") == 1;
}

std::string ArchiveFixture::AuditSteps() {
  return QueryText(
      "SELECT coalesce(string_agg(coalesce(step, 'summary') || ':' || outcome, ' ' ORDER BY "
      "id), '') FROM partitiond.audit WHERE action = 'archive'");
}

std::string ArchiveFixture::ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace partitiond::testing
