#include "daemon/config/identifier.h"

#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <utility>
#include <vector>

namespace partitiond::config {
namespace {

constexpr std::size_t kMaxIdentifierBytes = 63;

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsHighBit(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return IsAsciiLetter(c) || c == '_' || IsHighBit(c); }
bool IsIdentContinue(char c) { return IsIdentStart(c) || IsDigit(c) || c == '$'; }
char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Describe(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte < 0x20 || byte == 0x7f) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", byte);
    return hex;
  }
  return std::string(1, c);
}

// Reads one name part starting at `pos` and leaves `pos` just after it.
class PartReader {
 public:
  explicit PartReader(std::string_view text, std::string_view what = "table name")
      : text_(text), what_(what) {}

  std::string Read(std::size_t& pos) const {
    if (pos >= text_.size() || text_[pos] == '.') Fail("empty name part");
    std::string part = text_[pos] == '"' ? ReadQuoted(pos) : ReadUnquoted(pos);
    if (part.size() > kMaxIdentifierBytes) {
      Fail("identifier \"" + part + "\" is longer than 63 bytes");
    }
    return part;
  }

  [[noreturn]] void Fail(std::string_view reason) const {
    std::string message = "invalid ";
    message.append(what_).append(" '").append(text_).append("': ").append(reason);
    throw std::invalid_argument(message);
  }

  [[noreturn]] void FailUnexpected(std::size_t pos) const {
    Fail("unexpected character '" + Describe(text_[pos]) + "' at position " +
         std::to_string(pos + 1));
  }

 private:
  std::string ReadQuoted(std::size_t& pos) const {
    std::string part;
    ++pos;  // opening quote
    while (true) {
      if (pos >= text_.size()) Fail("unterminated quoted identifier");
      if (text_[pos] != '"') {
        part.push_back(text_[pos++]);
      } else if (pos + 1 < text_.size() && text_[pos + 1] == '"') {
        part.push_back('"');
        pos += 2;
      } else {
        ++pos;  // closing quote
        break;
      }
    }
    if (part.empty()) Fail("zero-length quoted identifier");
    return part;
  }

  std::string ReadUnquoted(std::size_t& pos) const {
    if (!IsIdentStart(text_[pos])) FailUnexpected(pos);
    std::string part;
    while (pos < text_.size() && IsIdentContinue(text_[pos]))
      part.push_back(FoldAscii(text_[pos++]));
    return part;
  }

  std::string_view text_;
  std::string_view what_;
};

bool IsPlainIdentifier(std::string_view part) {
  if (part.empty()) return false;
  const char first = part.front();
  if (!((first >= 'a' && first <= 'z') || first == '_')) return false;
  for (const char c : part) {
    if (!((c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' || c == '$')) return false;
  }
  return true;
}

}  // namespace

QualifiedName ParseQualifiedName(std::string_view text) {
  const PartReader reader(text);
  if (text.empty()) reader.Fail("empty name");
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (true) {
    parts.push_back(reader.Read(pos));
    if (pos == text.size()) break;
    if (text[pos] != '.') reader.FailUnexpected(pos);
    ++pos;
  }
  if (parts.size() != 2) {
    std::string message = "table name must be schema-qualified (schema.table), got '";
    message.append(text).append("'");
    throw std::invalid_argument(message);
  }
  return QualifiedName{.schema = std::move(parts[0]), .table = std::move(parts[1])};
}

std::string ParseIdentifier(std::string_view text, std::string_view what) {
  const PartReader reader(text, what);
  if (text.empty()) reader.Fail("empty name");
  std::size_t pos = 0;
  std::string part = reader.Read(pos);
  if (pos != text.size()) reader.FailUnexpected(pos);
  return part;
}

std::string QuoteIdentifierIfNeeded(std::string_view part) {
  if (IsPlainIdentifier(part)) return std::string(part);
  std::string quoted = "\"";
  for (const char c : part) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string QualifiedName::ToString() const {
  return QuoteIdentifierIfNeeded(schema) + "." + QuoteIdentifierIfNeeded(table);
}

}  // namespace partitiond::config
