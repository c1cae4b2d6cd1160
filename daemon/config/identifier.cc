#include "daemon/config/identifier.h"

#include <algorithm>
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

bool IsControl(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

std::string Hex(char c) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
  return hex;
}

std::string Describe(char c) { return IsControl(c) ? Hex(c) : std::string(1, c); }

// The length of the well-formed UTF-8 sequence starting at text[pos], or 0 when it is not one
// (stray continuation byte, truncated or overlong sequence, surrogate, beyond U+10FFFF).
std::size_t Utf8SequenceLength(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char min = 0x80, max = 0xbf;  // allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) min = 0xa0;
    if (lead == 0xed) max = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) min = 0x90;
    if (lead == 0xf4) max = 0x8f;
  } else {
    return 0;
  }
  if (pos + length > text.size() || byte(pos + 1) < min || byte(pos + 1) > max) return 0;
  for (std::size_t i = pos + 2; i < pos + length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

// `text` fit to print: control characters and bytes that are not UTF-8 as \xNN.
std::string Printable(std::string_view text) {
  std::string out;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = Utf8SequenceLength(text, pos);
    if (length == 0 || IsControl(text[pos])) {
      out += Hex(text[pos++]);
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

// Reads one name part starting at `pos` and leaves `pos` just after it.
class PartReader {
 public:
  explicit PartReader(std::string_view text, std::string_view what = "table name")
      : text_(text), what_(what) {}

  std::string Read(std::size_t& pos) const {
    if (pos >= text_.size() || text_[pos] == '.') Fail("empty name part");
    const std::size_t start = pos;
    std::string part = text_[pos] == '"' ? ReadQuoted(pos) : ReadUnquoted(pos);
    // PostgreSQL rejects invalid UTF-8 (failing the whole catalog query, not one table) and
    // accepts control characters, which here are mistakes that would break log lines.
    for (std::size_t i = start; i < pos;
         i += std::max<std::size_t>(1, Utf8SequenceLength(text_, i))) {
      if (IsControl(text_[i])) Fail("control character " + Hex(text_[i]) + " in a name");
      if (Utf8SequenceLength(text_, i) == 0) Fail("byte " + Hex(text_[i]) + " is not UTF-8");
    }
    if (part.size() > kMaxIdentifierBytes) {
      Fail("identifier \"" + Printable(part) +
           "\" is longer than 63 bytes (PostgreSQL would truncate it)");
    }
    return part;
  }

  [[noreturn]] void Fail(std::string_view reason) const {
    std::string message = "invalid ";
    message.append(what_).append(" '").append(Printable(text_)).append("': ").append(reason);
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
