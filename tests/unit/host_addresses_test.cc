#include "daemon/pg/host_addresses.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace partitiond::pg {
namespace {

struct ResolveCase {
  const char* conninfo;
  const char* env_host;
  const char* env_hostaddr;
  std::optional<std::vector<std::string>> hosts;  // nullopt: nothing to resolve
};

const ResolveCase kResolveCases[] = {
    {"host=db.example.internal dbname=app", nullptr, nullptr,
     std::vector<std::string>{"db.example.internal"}},
    {"postgresql://app@db1.internal:5433,db2.internal/app", nullptr, nullptr,
     std::vector<std::string>{"db1.internal", "db2.internal"}},
    {"host=/var/run/postgresql,db.internal dbname=app", nullptr, nullptr,
     std::vector<std::string>{"/var/run/postgresql", "db.internal"}},
    // Nothing for libpq to resolve: sockets, numeric addresses, no host at all.
    {"host=/var/run/postgresql dbname=app", nullptr, nullptr, std::nullopt},
    {"host=@abstract dbname=app", nullptr, nullptr, std::nullopt},
    {"host=127.0.0.1,::1 dbname=app", nullptr, nullptr, std::nullopt},
    {"dbname=app", nullptr, nullptr, std::nullopt},
    // Addresses given already, or a service file decides: libpq's own behaviour stays.
    {"host=db.internal hostaddr=10.0.0.5 dbname=app", nullptr, nullptr, std::nullopt},
    {"service=main", nullptr, nullptr, std::nullopt},
    {"host=db.internal dbname=app", nullptr, "10.0.0.5", std::nullopt},
    // PGHOST when the conninfo names no host.
    {"dbname=app", "db.internal", nullptr, std::vector<std::string>{"db.internal"}},
    {"host=/tmp dbname=app", "db.internal", nullptr, std::nullopt},
    // Unparsable: libpq reports it when connecting.
    {"host='unterminated", nullptr, nullptr, std::nullopt},
};

TEST(HostsToResolveTest, NamesOnlyWhatLibpqWouldResolve) {
  for (const auto& c : kResolveCases) {
    const auto targets = HostsToResolve(c.conninfo, c.env_host, c.env_hostaddr, nullptr);
    ASSERT_EQ(targets.has_value(), c.hosts.has_value()) << c.conninfo;
    if (targets) {
      EXPECT_EQ(targets->hosts, *c.hosts) << c.conninfo;
    }
  }
  EXPECT_FALSE(HostsToResolve("host=db.internal", nullptr, nullptr, "main").has_value());
}

struct ListsCase {
  HostTargets targets;
  std::map<std::string, std::vector<std::string>> addresses;
  ConnectLists expected;
};

TEST(WithAddressesTest, EachNameOncePerAddressSocketsAndNumericHostsAsThey) {
  const ListsCase cases[] = {
      {{.hosts = {"db.internal"}},
       {{"db.internal", {"10.0.0.5"}}},
       {.host = "db.internal", .hostaddr = "10.0.0.5"}},
      // Two addresses: tried in order, as libpq tries getaddrinfo's answers.
      {{.hosts = {"db.internal"}, .ports = {"5433"}},
       {{"db.internal", {"10.0.0.5", "fd00::5"}}},
       {.host = "db.internal,db.internal", .hostaddr = "10.0.0.5,fd00::5"}},
      // A port per host follows its host.
      {{.hosts = {"/var/run/postgresql", "db.internal", "10.0.0.9"},
        .ports = {"5432", "5433", "5434"}},
       {{"db.internal", {"10.0.0.5", "10.0.0.6"}}},
       {.host = "/var/run/postgresql,db.internal,db.internal,10.0.0.9",
        .hostaddr = ",10.0.0.5,10.0.0.6,10.0.0.9",
        .port = "5432,5433,5433,5434"}},
  };
  for (const auto& c : cases) {
    const ConnectLists lists = WithAddresses(c.targets, c.addresses);
    EXPECT_EQ(lists.host, c.expected.host);
    EXPECT_EQ(lists.hostaddr, c.expected.hostaddr);
    EXPECT_EQ(lists.port, c.expected.port);
  }
}

TEST(IsHostNameTest, SocketsAndNumericAddressesAreNotNames) {
  EXPECT_TRUE(IsHostName("localhost"));
  EXPECT_TRUE(IsHostName("db-1.internal"));
  EXPECT_FALSE(IsHostName(""));
  EXPECT_FALSE(IsHostName("/tmp"));
  EXPECT_FALSE(IsHostName("@abstract"));
  EXPECT_FALSE(IsHostName("127.0.0.1"));
  EXPECT_FALSE(IsHostName("::1"));
}

}  // namespace
}  // namespace partitiond::pg
