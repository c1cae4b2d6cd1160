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

// Waits up to `deadline` for the first bytes of a request; false when none came.
asio::awaitable<bool> AwaitRequest(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   std::chrono::milliseconds deadline) {
  stream.expires_after(deadline);
  beast::error_code ec;
  const std::size_t n = co_await stream.async_read_some(
      buffer.prepare(kHeaderLimit), asio::redirect_error(asio::use_awaitable, ec));
  buffer.commit(n);
  co_return !ec;
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

HttpServer::HttpServer(const config::MetricsConfig& config, Source source, HttpLimits limits)
    : slots_(limits.max_connections),
      acceptor_(Listen(io_, EndpointOf(config))),
      port_(acceptor_.local_endpoint().port()),
      limits_(limits),
      auth_(std::make_shared<const BasicAuth>(config.basic_auth_username,
                                              config.basic_auth_password)),
      source_(std::move(source)) {
  asio::co_spawn(io_, Accept(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
  pthread_setname_np(thread_.native_handle(), "metrics-http");
}

HttpServer::~HttpServer() {
  io_.stop();
  thread_.join();
}

void HttpServer::SetBasicAuth(const std::string& username, const std::string& password) {
  auto fresh = std::make_shared<const BasicAuth>(username, password);
  const std::lock_guard lock(auth_mutex_);
  auth_ = std::move(fresh);
}

std::shared_ptr<const BasicAuth> HttpServer::Auth() const {
  const std::lock_guard lock(auth_mutex_);
  return auth_;
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
    const ConnectionSlots::Admission admission = slots_.Admit();
    if (admission.evict) {
      // Closing the socket ends its pending read; its coroutine then returns. Its slot is
      // already the new connection's.
      if (const auto victim = sockets_.find(*admission.evict); victim != sockets_.end()) {
        victim->second->close(ec);
        sockets_.erase(victim);
      }
    }
    if (!admission.id) continue;  // every slot is sending a response; the socket closes here
    const ConnectionSlots::Id id = *admission.id;
    asio::co_spawn(io_, Serve(id, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::Serve(ConnectionSlots::Id id, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  sockets_[id] = &stream.socket();
  // Forgotten before `stream` dies, however this returns, so an eviction never closes a stream
  // that is gone.
  struct Forget {
    HttpServer& server;
    ConnectionSlots::Id id;
    ~Forget() {
      server.sockets_.erase(id);
      server.slots_.Release(id);
    }
  } forget{*this, id};
  beast::flat_buffer buffer;
  beast::error_code ec;
  bool keep_alive = true;
  for (bool first = true; keep_alive; first = false) {
    // Until its first byte a request costs the client nothing, so that wait is short for a new
    // connection; a kept-alive one may idle longer between scrapes. Either gives up its slot to
    // a newcomer when all are taken.
    if (buffer.size() == 0) {  // else a pipelined request is already here
      slots_.Set(id, ConnectionSlots::State::kIdle);
      const bool arrived =
          co_await AwaitRequest(stream, buffer, first ? limits_.first_request : limits_.keep_alive);
      if (!arrived) break;
    }
    slots_.Set(id, ConnectionSlots::State::kReading);
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kHeaderLimit);
    stream.expires_after(limits_.io);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    slots_.Set(id, ConnectionSlots::State::kWriting);
    ScrapeResponse response = Respond(parser.get(), *Auth(), source_());
    keep_alive = parser.get().keep_alive();
    response.message.keep_alive(keep_alive);
    stream.expires_after(limits_.io);
    co_await http::async_write(stream, response.message,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  if (stream.socket().is_open()) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace partitiond::metrics
