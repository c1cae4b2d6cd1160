// The /metrics endpoint over real loopback sockets: port 0 picks a free port, updates of Metrics
// are what the next scrape returns, connections are kept alive, other paths get 404, basic auth is
// enforced when configured and replaced when reloaded, and connections that never send a byte
// neither hold a slot past the first-request deadline nor lock a scraper out. No database is
// needed.
#include "daemon/metrics/metrics_server.h"

#include <gtest/gtest.h>

// clang-format off
#include <utility>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
// clang-format on

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace partitiond::metrics {
namespace {

using boost::asio::ip::tcp;
using Response = http::response<http::string_body>;

// One synchronous HTTP/1.1 client connection.
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
    // Bounds a hang of the blocking reads below; never reached when the server behaves.
    const timeval limit{.tv_sec = 20, .tv_usec = 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  Response Get(const std::string& target, const std::string& authorization = "") {
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, "127.0.0.1");
    if (!authorization.empty()) request.set(http::field::authorization, authorization);
    http::write(socket_, request);
    Response response;
    http::read(socket_, buffer_, response);
    return response;
  }

 private:
  boost::asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

bool Has(const Response& response, const std::string& line) {
  return response.body().find(line + "\n") != std::string::npos;
}

config::MetricsConfig AnyPort() { return config::MetricsConfig{.host = "127.0.0.1", .port = 0}; }

// A loopback connection that never sends a byte. ReadEof() blocks until the server closes it
// (true) or `limit` passes (false): `limit` only bounds a hang, the test never waits it out.
class SilentSocket {
 public:
  explicit SilentSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~SilentSocket() { close(fd_); }
  SilentSocket(const SilentSocket&) = delete;
  SilentSocket& operator=(const SilentSocket&) = delete;

  bool connected() const { return connected_; }
  bool ReadEof(std::chrono::seconds limit) {
    const timeval tv{.tv_sec = static_cast<time_t>(limit.count()), .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte;
    return read(fd_, &byte, 1) == 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(MetricsServerTest, ScrapesReturnWhatTheLastUpdateSet) {
  Metrics metrics("1.2.3");
  MetricsServer server(AnyPort(), metrics);
  ASSERT_GT(server.port(), 0);
  Client client(server.port());
  const Response first = client.Get("/metrics");
  EXPECT_EQ(first.result(), http::status::ok);
  EXPECT_TRUE(Has(first, "partitiond_build_info{version=\"1.2.3\"} 1")) << first.body();
  EXPECT_TRUE(Has(first, "partitiond_config_reload_failures_total 0")) << first.body();

  metrics.SetDatabaseState("app", true, true, false);
  metrics.RecordReload(false, std::chrono::system_clock::now());
  server.WaitRendered();
  // The same connection, kept alive.
  const Response second = client.Get("/metrics");
  EXPECT_TRUE(Has(second, "partitiond_database_leader{database=\"app\"} 1")) << second.body();
  EXPECT_TRUE(Has(second, "partitiond_config_reload_failures_total 1")) << second.body();
  EXPECT_TRUE(Has(second, "partitiond_config_last_reload_successful 0")) << second.body();

  EXPECT_EQ(client.Get("/").result(), http::status::not_found);
  EXPECT_EQ(Client(server.port()).Get("/metrics/x").result(), http::status::not_found);
}

TEST(MetricsServerTest, BasicAuth) {
  Metrics metrics("1.2.3");
  config::MetricsConfig config = AnyPort();
  config.basic_auth_username = "prom";
  config.basic_auth_password = "s3cret";
  MetricsServer server(config, metrics);
  Client client(server.port());
  const Response refused = client.Get("/metrics");
  EXPECT_EQ(refused.result(), http::status::unauthorized);
  EXPECT_FALSE(Has(refused, "partitiond_build_info{version=\"1.2.3\"} 1"));
  const Response allowed = client.Get("/metrics", "Basic cHJvbTpzM2NyZXQ=");
  EXPECT_EQ(allowed.result(), http::status::ok);
  EXPECT_TRUE(Has(allowed, "partitiond_build_info{version=\"1.2.3\"} 1"));
}

TEST(MetricsServerTest, ReloadedBasicAuthAppliesToTheNextScrape) {
  Metrics metrics("1.2.3");
  config::MetricsConfig config = AnyPort();
  config.basic_auth_username = "prom";
  config.basic_auth_password = "s3cret";
  MetricsServer server(config, metrics);
  Client client(server.port());
  ASSERT_EQ(client.Get("/metrics", "Basic cHJvbTpzM2NyZXQ=").result(), http::status::ok);

  server.SetBasicAuth("prom", "n3w");
  // The same kept-alive connection: the old password no longer opens it, the new one does.
  EXPECT_EQ(client.Get("/metrics", "Basic cHJvbTpzM2NyZXQ=").result(), http::status::unauthorized);
  EXPECT_EQ(client.Get("/metrics", "Basic cHJvbTpuM3c=").result(), http::status::ok);
  server.SetBasicAuth("", "");
  EXPECT_EQ(client.Get("/metrics").result(), http::status::ok);
}

TEST(MetricsServerTest, SilentConnectionsDoNotLockOutAScrape) {
  Metrics metrics("1.2.3");
  // Deadlines far beyond the test: what frees a slot here is the eviction, not a timeout.
  const HttpLimits limits{.first_request = std::chrono::minutes(10)};
  MetricsServer server(AnyPort(), metrics, limits);
  std::vector<std::unique_ptr<SilentSocket>> silent;
  for (int i = 0; i < limits.max_connections + 6; ++i) {
    silent.push_back(std::make_unique<SilentSocket>(server.port()));
    ASSERT_TRUE(silent.back()->connected()) << i;
  }
  // Every slot is held by a silent connection, yet a scraper gets in, at once.
  const auto started = std::chrono::steady_clock::now();
  Response response;
  ASSERT_NO_THROW(response = Client(server.port()).Get("/metrics"));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_LT(took, std::chrono::seconds(2))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  // The six beyond the limit, then the scraper, took the slots of the seven oldest.
  for (int i = 0; i < 7; ++i) EXPECT_TRUE(silent[i]->ReadEof(std::chrono::seconds(20))) << i;
}

TEST(MetricsServerTest, ASilentConnectionIsClosedAtTheFirstRequestDeadline) {
  Metrics metrics("1.2.3");
  const HttpLimits limits{.first_request = std::chrono::milliseconds(200)};
  MetricsServer server(AnyPort(), metrics, limits);
  SilentSocket silent(server.port());
  ASSERT_TRUE(silent.connected());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.ReadEof(std::chrono::seconds(20)));
  const auto took = std::chrono::steady_clock::now() - started;
  // Closed by the first-request deadline, long before the keep-alive one (120 s).
  EXPECT_LT(took, std::chrono::seconds(10))
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  // A scraper that does send is served, and kept alive.
  Client client(server.port());
  EXPECT_EQ(client.Get("/metrics").result(), http::status::ok);
  EXPECT_EQ(client.Get("/metrics").result(), http::status::ok);
}

TEST(MetricsServerTest, ListenErrors) {
  Metrics metrics("1.2.3");
  MetricsServer first(AnyPort(), metrics);
  config::MetricsConfig taken = AnyPort();
  taken.port = static_cast<std::uint16_t>(first.port());
  EXPECT_THROW(MetricsServer(taken, metrics), std::exception);
  // Names other than localhost never reach here (config validation); localhost is loopback.
  config::MetricsConfig local{.host = "localhost", .port = 0};
  MetricsServer by_name(local, metrics);
  EXPECT_EQ(Client(by_name.port()).Get("/metrics").result(), http::status::ok);
}

}  // namespace
}  // namespace partitiond::metrics
