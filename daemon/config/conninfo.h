// Checks on the libpq connection strings in the config.
#pragma once

#include <string_view>

namespace partitiond::config {

// Accepts a libpq key/value conninfo or postgres:// / postgresql:// URI, as libpq itself parses it
// (PQconninfoParse), and rejects one that carries a password (`password=...`, `user:pass@` or
// `?password=`), a client key's passphrase (`sslpassword=`) or that libpq cannot parse. Throws
// std::invalid_argument with a message fit for a user; the message never repeats the conninfo,
// which may hold secrets.
void CheckConninfo(std::string_view conninfo);

}  // namespace partitiond::config
