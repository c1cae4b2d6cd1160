#include "daemon/common/json_text.h"

namespace partitiond {

std::string DumpJson(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

std::string ValidUtf8(std::string_view text) {
  // nlohmann's serializer already knows which sequences are well-formed; the quoted string it
  // produces parses back to the text with each bad sequence replaced.
  return nlohmann::json::parse(DumpJson(std::string(text))).get<std::string>();
}

}  // namespace partitiond
