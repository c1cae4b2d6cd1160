// archive::VerifyAgainstManifest on a real archive file in a temporary directory.
#include "daemon/archive/reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemon/archive/error.h"
#include "daemon/archive/writer.h"

namespace partitiond::archive {
namespace {

class VerifyAgainstManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "partitiond-reader-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    path_ = directory_ + "/t.copy.zst";
    ArchiveWriter writer(path_);
    writer.Write("1\ta\n2\tb\\nstill b\n");
    writer.Write("3\tc\n");
    const WrittenArchive written = writer.Finish();
    manifest_.rows = 3;
    manifest_.sha256 = written.sha256;
    writer.Publish(directory_ + "/t.manifest.json", manifest_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  // The SQLSTATE VerifyAgainstManifest throws, or "" when it accepts the archive.
  std::string Verify() {
    try {
      VerifyAgainstManifest(manifest_, path_);
    } catch (const pg::Error& e) {
      message_ = e.what();
      return e.sqlstate();
    }
    return "";
  }

  std::string directory_;
  std::string path_;
  Manifest manifest_;
  std::string message_;
};

TEST_F(VerifyAgainstManifestTest, AcceptsAMatchingArchive) { EXPECT_EQ(Verify(), ""); }

TEST_F(VerifyAgainstManifestTest, RejectsAnotherRowCount) {
  manifest_.rows = 4;
  EXPECT_EQ(Verify(), kDataCorrupted);
  EXPECT_NE(message_.find(path_), std::string::npos) << message_;
  EXPECT_NE(message_.find("3 rows read back"), std::string::npos) << message_;
}

TEST_F(VerifyAgainstManifestTest, RejectsAnotherChecksum) {
  const std::string written = manifest_.sha256;
  manifest_.sha256 = std::string(64, '0');
  EXPECT_EQ(Verify(), kDataCorrupted);
  EXPECT_NE(message_.find(written), std::string::npos) << message_;
}

TEST_F(VerifyAgainstManifestTest, AMissingFileIsAnIoError) {
  path_ = directory_ + "/missing.copy.zst";
  EXPECT_EQ(Verify(), kIoError);
}

}  // namespace
}  // namespace partitiond::archive
