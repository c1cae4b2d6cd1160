// CheckConninfo's errors never repeat a secret from the conninfo, even when libpq's own parse
// error quotes part of it (a stray word, a whole malformed URI), yet still name option keys.
#include "daemon/config/conninfo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace partitiond::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ErrorOf(const std::string& conninfo) {
  try {
    CheckConninfo(conninfo);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(CheckConninfoTest, AcceptsConninfoWithoutPassword) {
  EXPECT_EQ(ErrorOf("host=/run/postgresql dbname=app user=partitiond"), "accepted");
  EXPECT_EQ(ErrorOf("postgresql://partitiond@db:5432/app?sslmode=require"), "accepted");
}

TEST(CheckConninfoTest, HidesAStrayWordOfAnUnquotedPassword) {
  EXPECT_EQ(ErrorOf("host=db password=correct horse"),
            "invalid conninfo: missing \"=\" after \"<hidden>\" in connection info string");
}

TEST(CheckConninfoTest, HidesAMalformedUriThatHoldsAPassword) {
  // libpq quotes the whole URI in this error, also when it sits inside dbname.
  for (const std::string conninfo :
       {"postgresql://app:hunter2@[::1/x", "host=db dbname='postgresql://app:hunter2@[::1/x'"}) {
    const std::string error = ErrorOf(conninfo);
    EXPECT_THAT(error, HasSubstr("invalid conninfo: end of string reached")) << conninfo;
    EXPECT_THAT(error, HasSubstr("\"<hidden>\"")) << conninfo;
    EXPECT_THAT(error, Not(HasSubstr("hunter2"))) << conninfo;
  }
}

TEST(CheckConninfoTest, HidesABadPercentEscapeInAPassword) {
  EXPECT_EQ(ErrorOf("postgresql://app:hunter2%zz@db/x"),
            "invalid conninfo: invalid percent-encoded token: \"<hidden>\"");
}

TEST(CheckConninfoTest, RefusesAnSslKeyPassphrase) {
  // In key/value form, in a URI's query, and inside dbname; never repeated in the error.
  for (const std::string conninfo :
       {"host=db sslkey=/k sslpassword=hunter2", "postgresql://db/x?sslpassword=hunter2",
        "host=db dbname='host=db sslpassword=hunter2'"}) {
    EXPECT_EQ(ErrorOf(conninfo),
              "sslpassword does not belong in the config; use a client key without a passphrase, "
              "readable only by partitiond's user (sslkey)")
        << conninfo;
  }
}

TEST(CheckConninfoTest, StillNamesOptionKeysAndKeywords) {
  EXPECT_EQ(ErrorOf("host=db passwrod=hunter2"),
            "invalid conninfo: invalid connection option \"passwrod\"");
  EXPECT_EQ(ErrorOf("postgresql://db/x?sslmode=a=b"),
            "invalid conninfo: extra key/value separator \"=\" in URI query parameter: "
            "\"sslmode\"");
  EXPECT_EQ(ErrorOf("host"),
            "invalid conninfo: missing \"=\" after \"host\" in connection info string");
}

}  // namespace
}  // namespace partitiond::config
