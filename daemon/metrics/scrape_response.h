// What the metrics endpoint answers to one HTTP request, as a pure function of the request, the
// configured credentials and the latest exposition (no I/O, so it is tested without sockets).
//
//   GET /metrics (a query string is ignored)  200, the exposition; gzipped when the request's
//                                             Accept-Encoding allows gzip
//   any other path                            404
//   /metrics without the basic-auth credentials, when configured
//                                             401 with WWW-Authenticate: Basic realm="partitiond"
//   /metrics with another method              405
#pragma once

// clang-format off
#include <utility>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/span_body.hpp>
// clang-format on

#include <memory>
#include <string>
#include <string_view>

#include "daemon/metrics/exposition.h"

namespace partitiond::metrics {

namespace http = boost::beast::http;

// HTTP basic-auth credentials; an empty username means none are required.
class BasicAuth {
 public:
  BasicAuth(const std::string& username, const std::string& password);
  // True if no credentials are required or the Authorization header value carries them.
  bool Allows(std::string_view authorization) const;

 private:
  std::string expected_;  // base64 of "username:password"; empty: no auth
};

// True if an Accept-Encoding header value accepts gzip (a "gzip" or "*" coding without q=0).
bool AcceptsGzip(std::string_view accept_encoding);

struct ScrapeResponse {
  // The body points into `exposition` (or static text), which must outlive the write.
  http::response<http::span_body<const char>> message;
  std::shared_ptr<const Exposition> exposition;
};

ScrapeResponse Respond(const http::request_header<>& request, const BasicAuth& auth,
                       std::shared_ptr<const Exposition> exposition);

}  // namespace partitiond::metrics
