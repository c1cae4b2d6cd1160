#include "daemon/metrics/http_server.h"

#include <pthread.h>

// clang-format off
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
// clang-format on

#include <spdlog/spdlog.h>

namespace partitiond::metrics {
namespace {

namespace beast = boost::beast;
using asio::ip::tcp;

constexpr std::chrono::milliseconds kAcceptRetry{100};
constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// The config keeps the host as written: an IPv4 address, "localhost", or "[IPv6]".
tcp::endpoint EndpointOf(const config::MetricsConfig& config) {
  std::string host = config.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const asio::ip::address address = host == "localhost"
                                        ? asio::ip::address(asio::ip::address_v4::loopback())
                                        : asio::ip::make_address(host);
  return tcp::endpoint(address, config.port);
}

tcp::acceptor Listen(asio::io_context& io, const tcp::endpoint& endpoint) {
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
  return acceptor;
}

}  // namespace

HttpServer::HttpServer(const config::MetricsConfig& config, Source source)
    : acceptor_(Listen(io_, EndpointOf(config))),
      port_(acceptor_.local_endpoint().port()),
      auth_(config.basic_auth_username, config.basic_auth_password),
      source_(std::move(source)) {
  asio::co_spawn(io_, Accept(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
  pthread_setname_np(thread_.native_handle(), "metrics-http");
}

HttpServer::~HttpServer() {
  io_.stop();
  thread_.join();
}

asio::awaitable<void> HttpServer::Accept() {
  asio::steady_timer pause(io_);
  while (true) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors, for instance: retrying at once would spin.
      spdlog::warn("metrics: accept failed: {}", ec.message());
      pause.expires_after(kAcceptRetry);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (connections_ >= kMaxConnections) continue;  // the socket closes here
    ++connections_;
    asio::co_spawn(io_, Serve(std::move(socket)), [this](std::exception_ptr) { --connections_; });
  }
}

asio::awaitable<void> HttpServer::Serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  bool keep_alive = true;
  while (keep_alive) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kHeaderLimit);
    // A request already begun must arrive within kIoTimeout; between requests a kept-alive
    // connection may idle longer.
    stream.expires_after(buffer.size() > 0 ? kIoTimeout : kIdleTimeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    ScrapeResponse response = Respond(parser.get(), auth_, source_());
    keep_alive = parser.get().keep_alive();
    response.message.keep_alive(keep_alive);
    stream.expires_after(kIoTimeout);
    co_await http::async_write(stream, response.message,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace partitiond::metrics
