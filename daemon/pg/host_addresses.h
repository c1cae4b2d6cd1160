// Which host names a libpq conninfo makes libpq resolve, and the host/hostaddr/port lists that let
// it connect without resolving anything itself. libpq resolves names with a blocking getaddrinfo()
// inside PQconnectStartParams/PQconnectPoll; given `hostaddr` it uses the address as is and keeps
// `host` for TLS verification, Kerberos and .pgpass matching. Pure functions, no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace partitiond::pg {

// The host list of a conninfo (URI or key=value), with its ports.
struct HostTargets {
  std::vector<std::string> hosts;  // as written: names, numeric addresses, socket paths, ""
  std::vector<std::string> ports;  // as written: empty, one for all hosts, or one per host
};

// The hosts of `conninfo` when at least one of them is a name to resolve; nullopt when libpq
// would resolve nothing (only sockets and numeric addresses), when addresses are already given
// (`hostaddr`), or when a service file or an unparsable conninfo decides (libpq reports the
// latter itself). `env_host`/`env_hostaddr`/`env_service` are PGHOST/PGHOSTADDR/PGSERVICE
// (nullptr when unset), which libpq falls back to.
std::optional<HostTargets> HostsToResolve(const std::string& conninfo, const char* env_host,
                                          const char* env_hostaddr, const char* env_service);

// Whether libpq would resolve `host` by name (not a socket directory, abstract socket or numeric
// IPv4/IPv6 address, and not empty).
bool IsHostName(const std::string& host);

// The lists to pass after the conninfo so that libpq connects to the resolved addresses: each name
// repeated once per address (libpq tries them in order, as it would the addresses getaddrinfo
// returned), `hostaddr` that address; sockets keep an empty hostaddr and numeric hosts their own.
// `addresses` holds the numeric addresses of every name in `targets` (none empty).
struct ConnectLists {
  std::string host;
  std::string hostaddr;
  std::string port;  // empty: keep the conninfo's
};
ConnectLists WithAddresses(const HostTargets& targets,
                           const std::map<std::string, std::vector<std::string>>& addresses);

}  // namespace partitiond::pg
