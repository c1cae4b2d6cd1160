#include "daemon/metrics/scrape_response.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace partitiond::metrics {
namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Beast's string_view is Boost's, not std's.
std::string_view Field(const http::request_header<>& request, http::field name) {
  const auto value = request[name];
  return {value.data(), value.size()};
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

ScrapeResponse Plain(http::status status, unsigned version, std::string_view text) {
  ScrapeResponse out;
  out.message.result(status);
  out.message.version(version);
  out.message.set(http::field::content_type, "text/plain; charset=utf-8");
  out.message.body() = {text.data(), text.size()};
  out.message.prepare_payload();
  return out;
}

}  // namespace

BasicAuth::BasicAuth(const std::string& username, const std::string& password) {
  if (username.empty()) return;
  const std::string plain = username + ":" + password;
  expected_.resize(4 * ((plain.size() + 2) / 3) + 1);  // EVP_EncodeBlock adds a NUL
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected_.data()),
                      reinterpret_cast<const unsigned char*>(plain.data()), plain.size());
  expected_.resize(static_cast<size_t>(length));
}

bool BasicAuth::Allows(std::string_view authorization) const {
  if (expected_.empty()) return true;
  authorization = Trim(authorization);
  const auto space = authorization.find(' ');
  if (space == std::string_view::npos) return false;
  if (!EqualsIgnoringCase(authorization.substr(0, space), "basic")) return false;
  const std::string_view given = Trim(authorization.substr(space + 1));
  // Constant time in the credentials, so timing does not reveal how much of a guess was right.
  return given.size() == expected_.size() &&
         CRYPTO_memcmp(given.data(), expected_.data(), given.size()) == 0;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding =
        comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const auto semicolon = item.find(';');
    const std::string_view coding = Trim(item.substr(0, semicolon));
    if (!EqualsIgnoringCase(coding, "gzip") && coding != "*") continue;
    if (semicolon == std::string_view::npos) return true;
    // "q=0", "q=0.0", "q=0.000" refuse the coding; any other weight accepts it.
    const std::string_view weight = Trim(item.substr(semicolon + 1));
    if (!(weight.starts_with("q=0") || weight.starts_with("Q=0")) ||
        weight.find_first_not_of("0.", 2) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

ScrapeResponse Respond(const http::request_header<>& request, const BasicAuth& auth,
                       std::shared_ptr<const Exposition> exposition) {
  const unsigned version = request.version();
  const auto raw_target = request.target();
  const std::string_view target(raw_target.data(), raw_target.size());
  if (target.substr(0, target.find('?')) != "/metrics") {
    return Plain(http::status::not_found, version, "Not found; metrics are at /metrics.\n");
  }
  if (!auth.Allows(Field(request, http::field::authorization))) {
    ScrapeResponse out = Plain(http::status::unauthorized, version, "Unauthorized.\n");
    out.message.set(http::field::www_authenticate, "Basic realm=\"partitiond\"");
    return out;
  }
  if (request.method() != http::verb::get) {
    ScrapeResponse out = Plain(http::status::method_not_allowed, version, "Use GET.\n");
    out.message.set(http::field::allow, "GET");
    return out;
  }
  ScrapeResponse out;
  out.message.result(http::status::ok);
  out.message.version(version);
  out.message.set(http::field::content_type, kContentType);
  out.message.set(http::field::vary, "Accept-Encoding");
  const std::string* body = &exposition->text;
  if (AcceptsGzip(Field(request, http::field::accept_encoding))) {
    body = &exposition->gzip;
    out.message.set(http::field::content_encoding, "gzip");
  }
  out.message.body() = {body->data(), body->size()};
  out.message.prepare_payload();
  out.exposition = std::move(exposition);
  return out;
}

}  // namespace partitiond::metrics
