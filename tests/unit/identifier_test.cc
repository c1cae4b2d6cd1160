#include "daemon/config/identifier.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace partitiond::config {
namespace {

std::string ErrorOf(std::string_view text) {
  try {
    ParseQualifiedName(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

QualifiedName Name(std::string schema, std::string table) {
  return QualifiedName{.schema = std::move(schema), .table = std::move(table)};
}

TEST(ParseQualifiedNameTest, PlainName) {
  EXPECT_EQ(ParseQualifiedName("public.events"), Name("public", "events"));
}

TEST(ParseQualifiedNameTest, FoldsUnquotedPartsToLowerCase) {
  EXPECT_EQ(ParseQualifiedName("Scheduler.AUDIT"), Name("scheduler", "audit"));
}

TEST(ParseQualifiedNameTest, QuotedPartsKeepCaseSpacesDotsAndSemicolons) {
  EXPECT_EQ(ParseQualifiedName(R"("My Schema"."Odd; Table")"), Name("My Schema", "Odd; Table"));
  EXPECT_EQ(ParseQualifiedName(R"("a.b"."c.d")"), Name("a.b", "c.d"));
}

TEST(ParseQualifiedNameTest, MixesQuotedAndUnquotedParts) {
  EXPECT_EQ(ParseQualifiedName(R"(Sched."Audit Log")"), Name("sched", "Audit Log"));
}

TEST(ParseQualifiedNameTest, DoubledQuoteIsAnEscapedQuote) {
  EXPECT_EQ(ParseQualifiedName(R"("a""b".c)"), Name("a\"b", "c"));
}

TEST(ParseQualifiedNameTest, DigitsDollarsAndUnderscores) {
  EXPECT_EQ(ParseQualifiedName("_s1.t$2_x"), Name("_s1", "t$2_x"));
}

TEST(ParseQualifiedNameTest, NonAsciiLettersAreIdentifierCharactersAndNotFolded) {
  EXPECT_EQ(ParseQualifiedName("Données.Été"), Name("données", "Été"));
}

TEST(ParseQualifiedNameTest, AcceptsSixtyThreeBytes) {
  const std::string longest(63, 'a');
  EXPECT_EQ(ParseQualifiedName("s." + longest), Name("s", longest));
}

TEST(ParseQualifiedNameTest, RejectsQuoteInsideUnquotedPart) {
  EXPECT_EQ(ErrorOf(R"(public.t""q)"),
            R"(invalid table name 'public.t""q': unexpected character '"' at position 9)");
}

TEST(ParseQualifiedNameTest, RejectsUnqualifiedName) {
  EXPECT_EQ(ErrorOf("audit"), "table name must be schema-qualified (schema.table), got 'audit'");
}

TEST(ParseQualifiedNameTest, RejectsThreeParts) {
  EXPECT_EQ(ErrorOf("db.public.audit"),
            "table name must be schema-qualified (schema.table), got 'db.public.audit'");
}

TEST(ParseQualifiedNameTest, RejectsEmptyName) {
  EXPECT_EQ(ErrorOf(""), "invalid table name '': empty name");
}

TEST(ParseQualifiedNameTest, RejectsEmptyParts) {
  EXPECT_EQ(ErrorOf(".t"), "invalid table name '.t': empty name part");
  EXPECT_EQ(ErrorOf("s."), "invalid table name 's.': empty name part");
  EXPECT_EQ(ErrorOf("s..t"), "invalid table name 's..t': empty name part");
}

TEST(ParseQualifiedNameTest, RejectsUnterminatedQuote) {
  EXPECT_EQ(ErrorOf(R"(public."audit)"),
            R"(invalid table name 'public."audit': unterminated quoted identifier)");
}

TEST(ParseQualifiedNameTest, RejectsZeroLengthQuotedPart) {
  EXPECT_EQ(ErrorOf(R"("".t)"), R"(invalid table name '"".t': zero-length quoted identifier)");
}

TEST(ParseQualifiedNameTest, RejectsLeadingDigit) {
  EXPECT_EQ(ErrorOf("public.1t"),
            "invalid table name 'public.1t': unexpected character '1' at position 8");
}

TEST(ParseQualifiedNameTest, RejectsWhitespaceAroundParts) {
  EXPECT_EQ(ErrorOf("public. t"),
            "invalid table name 'public. t': unexpected character ' ' at position 8");
  EXPECT_EQ(ErrorOf("public.t "),
            "invalid table name 'public.t ': unexpected character ' ' at position 9");
}

TEST(ParseQualifiedNameTest, ShowsControlCharactersEscaped) {
  EXPECT_EQ(ErrorOf("public.t\n"),
            "invalid table name 'public.t\\x0a': unexpected character '\\x0a' at position 9");
}

TEST(ParseQualifiedNameTest, RejectsControlCharactersInsideQuotes) {
  EXPECT_EQ(ErrorOf("app.\"ev\nents\""),
            "invalid table name 'app.\"ev\\x0aents\"': control character \\x0a in a name");
  EXPECT_EQ(ErrorOf(std::string("app.\"ev\0ents\"", 13)),
            "invalid table name 'app.\"ev\\x00ents\"': control character \\x00 in a name");
}

TEST(ParseQualifiedNameTest, RejectsBytesThatAreNotUtf8) {
  EXPECT_EQ(ErrorOf("app.\"ev\xff"
                    "ents\""),
            "invalid table name 'app.\"ev\\xffents\"': byte \\xff is not UTF-8");
  // A truncated sequence (the first two bytes of a euro sign), unquoted.
  EXPECT_EQ(ErrorOf("app.ev\xe2\x82"),
            "invalid table name 'app.ev\\xe2\\x82': byte \\xe2 is not UTF-8");
}

TEST(ParseQualifiedNameTest, AcceptsUnicodeAndExactlySixtyThreeBytes) {
  std::string euros;
  for (int i = 0; i < 21; ++i) euros += "\xe2\x82\xac";
  const QualifiedName name = ParseQualifiedName("app.\"" + euros + "\"");
  EXPECT_EQ(name.table, euros);
  EXPECT_EQ(ParseQualifiedName("\xc3\xbcn\xc3\xaf"
                               "code.t")
                .schema,
            "\xc3\xbcn\xc3\xaf"
            "code");
}

TEST(ParseQualifiedNameTest, RejectsPartsLongerThanSixtyThreeBytes) {
  const std::string too_long(64, 'a');
  EXPECT_EQ(ErrorOf("s." + too_long),
            "invalid table name 's." + too_long + "': identifier \"" + too_long +
                "\" is longer than 63 bytes (PostgreSQL would truncate it)");
}

TEST(QualifiedNameTest, ToStringLeavesPlainNamesBare) {
  EXPECT_EQ(Name("public", "events").ToString(), "public.events");
  EXPECT_EQ(Name("_s1", "t$2").ToString(), "_s1.t$2");
}

TEST(QualifiedNameTest, ToStringQuotesWhenNeeded) {
  EXPECT_EQ(Name("sched", "Audit Log").ToString(), R"(sched."Audit Log")");
  EXPECT_EQ(Name("My Schema", "Odd; Table").ToString(), R"("My Schema"."Odd; Table")");
  EXPECT_EQ(Name("a\"b", "c").ToString(), R"("a""b".c)");
  EXPECT_EQ(Name("s", "1t").ToString(), R"(s."1t")");
  EXPECT_EQ(Name("s", "a.b").ToString(), R"(s."a.b")");
  EXPECT_EQ(Name("s", "Été").ToString(), R"(s."Été")");
}

TEST(QualifiedNameTest, ToStringParsesBack) {
  for (const QualifiedName& name :
       {Name("public", "events"), Name("sched", "Audit Log"), Name("a\"b", "c"),
        Name("My Schema", "Odd; Table"), Name("s", "1t"), Name("x", "\"")}) {
    EXPECT_EQ(ParseQualifiedName(name.ToString()), name) << name.ToString();
  }
}

TEST(QuoteIdentifierIfNeededTest, Cases) {
  EXPECT_EQ(QuoteIdentifierIfNeeded("events"), "events");
  EXPECT_EQ(QuoteIdentifierIfNeeded("Events"), "\"Events\"");
  EXPECT_EQ(QuoteIdentifierIfNeeded(""), "\"\"");
  EXPECT_EQ(QuoteIdentifierIfNeeded("$x"), "\"$x\"");
}

}  // namespace
}  // namespace partitiond::config
