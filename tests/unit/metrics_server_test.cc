// The /metrics endpoint over real loopback sockets: port 0 picks a free port, updates of Metrics
// are what the next scrape returns, connections are kept alive, other paths get 404, and basic
// auth is enforced when configured. No database is needed.
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
#include <string>

namespace partitiond::metrics {
namespace {

using boost::asio::ip::tcp;
using Response = http::response<http::string_body>;

// One synchronous HTTP/1.1 client connection.
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
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
