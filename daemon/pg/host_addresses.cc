#include "daemon/pg/host_addresses.h"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <memory>

namespace partitiond::pg {
namespace {

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> items;
  std::string::size_type start = 0;
  for (;;) {
    const auto comma = list.find(',', start);
    items.push_back(list.substr(start, comma - start));
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string list;
  for (std::size_t i = 0; i < items.size(); ++i) list += (i > 0 ? "," : "") + items[i];
  return list;
}

struct ConninfoOptionsDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

bool IsHostName(const std::string& host) {
  if (host.empty() || host.front() == '/' || host.front() == '@') return false;
  in_addr v4;
  in6_addr v6;
  return inet_pton(AF_INET, host.c_str(), &v4) != 1 && inet_pton(AF_INET6, host.c_str(), &v6) != 1;
}

std::optional<HostTargets> HostsToResolve(const std::string& conninfo, const char* env_host,
                                          const char* env_hostaddr, const char* env_service) {
  std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
      PQconninfoParse(conninfo.c_str(), nullptr));
  if (!options) return std::nullopt;
  std::string host, hostaddr, port, service;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") port = o->val;
    if (key == "service") service = o->val;
  }
  if (host.empty() && env_host != nullptr) host = env_host;
  if (hostaddr.empty() && env_hostaddr != nullptr) hostaddr = env_hostaddr;
  if (service.empty() && env_service != nullptr) service = env_service;
  if (!hostaddr.empty() || !service.empty() || host.empty()) return std::nullopt;
  HostTargets targets{.hosts = SplitList(host),
                      .ports = port.empty() ? std::vector<std::string>{} : SplitList(port)};
  for (const auto& h : targets.hosts) {
    if (IsHostName(h)) return targets;
  }
  return std::nullopt;
}

ConnectLists WithAddresses(const HostTargets& targets,
                           const std::map<std::string, std::vector<std::string>>& addresses) {
  // A port list with one entry per host is expanded along with the hosts; one port (or none)
  // applies to every host as it is.
  const bool port_per_host = targets.ports.size() > 1;
  std::vector<std::string> hosts, hostaddrs, ports;
  for (std::size_t i = 0; i < targets.hosts.size(); ++i) {
    const std::string& host = targets.hosts[i];
    const std::string port =
        port_per_host && i < targets.ports.size() ? targets.ports[i] : std::string();
    std::vector<std::string> resolved;
    if (IsHostName(host)) {
      resolved = addresses.at(host);
    } else {
      resolved.push_back(host.empty() || host.front() == '/' || host.front() == '@' ? "" : host);
    }
    for (const auto& address : resolved) {
      hosts.push_back(host);
      hostaddrs.push_back(address);
      ports.push_back(port);
    }
  }
  return {.host = JoinList(hosts),
          .hostaddr = JoinList(hostaddrs),
          .port = port_per_host ? JoinList(ports) : std::string()};
}

}  // namespace partitiond::pg
