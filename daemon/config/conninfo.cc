#include "daemon/config/conninfo.h"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace partitiond::config {
namespace {

constexpr std::string_view kNoPasswords =
    "passwords do not belong in the config; use PGPASSFILE or PGPASSWORD";

struct OptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
struct ErrorDeleter {
  void operator()(char* message) const { PQfreemem(message); }
};
using OptionsPtr = std::unique_ptr<PQconninfoOption, OptionsDeleter>;
using ErrorPtr = std::unique_ptr<char, ErrorDeleter>;

std::string TrimmedError(const char* message) {
  std::string text = message != nullptr ? message : "cannot parse";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
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
  if (!options) throw std::invalid_argument("invalid conninfo: " + TrimmedError(error.get()));
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) continue;
    const std::string_view keyword = option->keyword;
    if (keyword == "password") throw std::invalid_argument(std::string(kNoPasswords));
    if (keyword == "dbname" && depth == 0 && LooksLikeConnectionString(option->val)) {
      Check(option->val, depth + 1);
    }
  }
}

}  // namespace

void CheckConninfo(std::string_view conninfo) { Check(conninfo, 0); }

}  // namespace partitiond::config
