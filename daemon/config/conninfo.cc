#include "daemon/config/conninfo.h"

#include <libpq-fe.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace partitiond::config {
namespace {

constexpr std::string_view kNoPasswords =
    "passwords do not belong in the config; use PGPASSFILE or PGPASSWORD";
// libpq reads the passphrase of an encrypted client key from sslpassword alone (no environment
// variable, no file): a daemon's key is stored unencrypted, readable only by its user.
constexpr std::string_view kNoSslPasswords =
    "sslpassword does not belong in the config; use a client key without a passphrase, readable "
    "only by partitiond's user (sslkey)";

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
struct ErrorDeleter {
  void operator()(char* message) const { PQfreemem(message); }
};
using OptionsPtr = std::unique_ptr<PQconninfoOption, OptionsDeleter>;
using ErrorPtr = std::unique_ptr<char, ErrorDeleter>;

bool IsKeyChar(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

// True when `fragment` is written in `conninfo` as a key: a word at a token start (start, space,
// '?' or '&') followed, after optional spaces, by '='.
bool IsKeyIn(std::string_view fragment, std::string_view conninfo) {
  if (fragment.empty()) return false;
  for (const char c : fragment) {
    if (!IsKeyChar(c)) return false;
  }
  for (std::size_t at = conninfo.find(fragment); at != std::string_view::npos;
       at = conninfo.find(fragment, at + 1)) {
    const bool starts =
        at == 0 || conninfo[at - 1] == ' ' || conninfo[at - 1] == '?' || conninfo[at - 1] == '&';
    std::size_t end = at + fragment.size();
    while (end < conninfo.size() && conninfo[end] == ' ') ++end;
    if (starts && end < conninfo.size() && conninfo[end] == '=') return true;
  }
  return false;
}

bool IsLibpqKeyword(std::string_view fragment) {
  const OptionsPtr defaults(PQconndefaults());
  if (!defaults) return false;
  for (const PQconninfoOption* option = defaults.get(); option->keyword != nullptr; ++option) {
    if (fragment == option->keyword) return true;
  }
  return false;
}

bool IsPunctuation(std::string_view fragment) {
  for (const char c : fragment) {
    if (IsKeyChar(c) || static_cast<unsigned char>(c) >= 0x80 || (c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

// libpq quotes pieces of the conninfo in its parse errors (`missing "=" after "TOKEN"`, a whole
// URI), and a piece may be a password written wrongly (`password=two words`). Keep only quoted
// fragments that are punctuation, libpq's option names, or written as a key; the rest become
// "<hidden>".
std::string RedactedError(const char* message, std::string_view conninfo) {
  const std::string_view text = message != nullptr ? message : "cannot parse";
  std::string redacted;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('"', pos);
    if (open == std::string_view::npos) {
      redacted.append(text.substr(pos));
      break;
    }
    redacted.append(text.substr(pos, open + 1 - pos));
    const std::size_t close = text.find('"', open + 1);
    const std::string_view fragment =
        text.substr(open + 1, close == std::string_view::npos ? close : close - open - 1);
    const bool shown =
        IsPunctuation(fragment) || IsLibpqKeyword(fragment) || IsKeyIn(fragment, conninfo);
    redacted.append(shown ? fragment : "<hidden>");
    if (close == std::string_view::npos) break;
    redacted.push_back('"');
    pos = close + 1;
  }
  while (!redacted.empty() && (redacted.back() == '\n' || redacted.back() == ' ')) {
    redacted.pop_back();
  }
  return redacted;
}

// libpq can be told to read a whole connection string from dbname; check that one too.
bool LooksLikeConnectionString(std::string_view value) {
  return value.find('=') != std::string_view::npos || value.starts_with("postgresql://") ||
         value.starts_with("postgres://");
}

void Check(std::string_view conninfo, int depth) {
  char* raw_error = nullptr;
  const OptionsPtr options(PQconninfoParse(std::string(conninfo).c_str(), &raw_error));
  const ErrorPtr error(raw_error);
  if (!options) {
    throw std::invalid_argument("invalid conninfo: " + RedactedError(error.get(), conninfo));
  }
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    if (keyword == "password") throw std::invalid_argument(std::string(kNoPasswords));
    if (keyword == "sslpassword") throw std::invalid_argument(std::string(kNoSslPasswords));
    if (keyword == "dbname" && depth == 0 && LooksLikeConnectionString(option->val)) {
      Check(option->val, depth + 1);
    }
  }
}

}  // namespace

void CheckConninfo(std::string_view conninfo) { Check(conninfo, 0); }

}  // namespace partitiond::config
