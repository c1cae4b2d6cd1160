// What the metrics endpoint answers, without sockets: routing, basic auth, gzip negotiation.
#include "daemon/metrics/scrape_response.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace partitiond::metrics {
namespace {

std::shared_ptr<const Exposition> Sample() {
  return std::make_shared<const Exposition>(Exposition{.text = "plain text", .gzip = "zipped"});
}

http::request_header<> Get(const std::string& target) {
  http::request_header<> request;
  request.method(http::verb::get);
  request.target(target);
  request.version(11);
  return request;
}

std::string Body(const ScrapeResponse& response) {
  return {response.message.body().data(), response.message.body().size()};
}

std::string Header(const ScrapeResponse& response, http::field name) {
  const auto value = response.message[name];
  return {value.data(), value.size()};
}

const BasicAuth kNoAuth("", "");

TEST(ScrapeResponseTest, ServesTheExpositionAtMetricsOnly) {
  const ScrapeResponse ok = Respond(Get("/metrics"), kNoAuth, Sample());
  EXPECT_EQ(ok.message.result(), http::status::ok);
  EXPECT_EQ(Body(ok), "plain text");
  EXPECT_EQ(Header(ok, http::field::content_length), "10");
  EXPECT_EQ(Header(ok, http::field::content_type), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(Header(ok, http::field::content_encoding), "");

  EXPECT_EQ(Body(Respond(Get("/metrics?name[]=x"), kNoAuth, Sample())), "plain text");
  for (const char* other : {"/", "/metric", "/metrics/", "/metricsx", "/favicon.ico"}) {
    const ScrapeResponse missing = Respond(Get(other), kNoAuth, Sample());
    EXPECT_EQ(missing.message.result(), http::status::not_found) << other;
    EXPECT_EQ(missing.exposition, nullptr) << other;
  }
}

TEST(ScrapeResponseTest, OnlyGet) {
  auto request = Get("/metrics");
  request.method(http::verb::post);
  const ScrapeResponse response = Respond(request, kNoAuth, Sample());
  EXPECT_EQ(response.message.result(), http::status::method_not_allowed);
  EXPECT_EQ(Header(response, http::field::allow), "GET");
}

TEST(ScrapeResponseTest, GzipWhenTheClientAcceptsIt) {
  auto request = Get("/metrics");
  request.set(http::field::accept_encoding, "gzip");  // what Prometheus sends
  const ScrapeResponse zipped = Respond(request, kNoAuth, Sample());
  EXPECT_EQ(Body(zipped), "zipped");
  EXPECT_EQ(Header(zipped, http::field::content_encoding), "gzip");
  EXPECT_EQ(Header(zipped, http::field::content_length), "6");

  request.set(http::field::accept_encoding, "gzip;q=0, identity");
  EXPECT_EQ(Body(Respond(request, kNoAuth, Sample())), "plain text");
}

TEST(ScrapeResponseTest, AcceptEncodingParsing) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip; q=0.001"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("x-gzip2, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
}

TEST(ScrapeResponseTest, BasicAuthWhenConfigured) {
  const BasicAuth auth("prom", "s3cret");
  auto request = Get("/metrics");
  const ScrapeResponse anonymous = Respond(request, auth, Sample());
  EXPECT_EQ(anonymous.message.result(), http::status::unauthorized);
  EXPECT_EQ(Header(anonymous, http::field::www_authenticate), "Basic realm=\"partitiond\"");
  EXPECT_EQ(Body(anonymous).find("plain text"), std::string::npos);

  // base64("prom:s3cret") = cHJvbTpzM2NyZXQ=
  request.set(http::field::authorization, "Basic cHJvbTpzM2NyZXQ=");
  EXPECT_EQ(Respond(request, auth, Sample()).message.result(), http::status::ok);
  request.set(http::field::authorization, "basic   cHJvbTpzM2NyZXQ= ");
  EXPECT_EQ(Respond(request, auth, Sample()).message.result(), http::status::ok);
  // base64("prom:s3crex"), a truncated value, another scheme, nothing after the scheme.
  for (const char* wrong : {"Basic cHJvbTpzM2NyZXg=", "Basic cHJvbTpzM2NyZXQ",
                            "Bearer cHJvbTpzM2NyZXQ=", "Basic", "cHJvbTpzM2NyZXQ="}) {
    request.set(http::field::authorization, wrong);
    EXPECT_EQ(Respond(request, auth, Sample()).message.result(), http::status::unauthorized)
        << wrong;
  }
  // Other paths are not found whether or not credentials come with them.
  EXPECT_EQ(Respond(Get("/"), auth, Sample()).message.result(), http::status::not_found);
}

}  // namespace
}  // namespace partitiond::metrics
