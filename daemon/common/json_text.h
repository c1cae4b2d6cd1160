// JSON and label text built from strings the daemon does not control (server messages, object
// names, config values, file paths): a byte sequence that is not UTF-8 is replaced by U+FFFD
// instead of making the output fail. nlohmann::json::dump() throws type_error 316 on such bytes
// unless told to replace them; every dump of outside text goes through DumpJson.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace partitiond {

// `value` serialized (indent < 0: one line); invalid UTF-8 in its strings becomes U+FFFD. Never
// throws for the text it carries.
std::string DumpJson(const nlohmann::json& value, int indent = -1);

// `text` with every byte sequence that is not well-formed UTF-8 replaced by U+FFFD; valid text
// comes back unchanged. For places that require UTF-8, such as Prometheus label values.
std::string ValidUtf8(std::string_view text);

}  // namespace partitiond
