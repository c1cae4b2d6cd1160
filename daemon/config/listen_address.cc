#include "daemon/config/listen_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <limits>
#include <stdexcept>
#include <string>

namespace partitiond::config {
namespace {

[[noreturn]] void Fail(std::string_view text, std::string_view reason) {
  std::string message = "invalid listen address \"";
  message.append(text).append("\": ").append(reason);
  throw std::invalid_argument(message);
}

bool IsAddress(int family, std::string_view host) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(family, std::string(host).c_str(), buffer) == 1;
}

std::uint16_t ParsePort(std::string_view text, std::string_view port) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() ||
      value > std::numeric_limits<std::uint16_t>::max()) {
    Fail(text, "port must be a number from 0 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

MetricsConfig ParseListenAddress(std::string_view text) {
  constexpr std::string_view kExpected =
      "expected host:port, such as \"127.0.0.1:9187\" or \"[::1]:9187\"";
  constexpr std::string_view kBadHost =
      "host must be an IPv4 address, localhost or a bracketed IPv6 address such as [::1]";
  std::string_view host;
  std::string_view rest;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) Fail(text, "missing ']' after IPv6 address");
    if (!IsAddress(AF_INET6, text.substr(1, close - 1))) Fail(text, kBadHost);
    host = text.substr(0, close + 1);
    rest = text.substr(close + 1);
  } else {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) Fail(text, kExpected);
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (rest.find(':', 1) != std::string_view::npos) Fail(text, kBadHost);  // bare IPv6
    if (host != "localhost" && !IsAddress(AF_INET, host)) Fail(text, kBadHost);
  }
  if (!rest.starts_with(':')) Fail(text, kExpected);
  return MetricsConfig{.host = std::string(host), .port = ParsePort(text, rest.substr(1))};
}

}  // namespace partitiond::config
